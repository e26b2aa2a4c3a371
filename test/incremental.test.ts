/**
 * Builds that emit only what changed (fixtures/incremental, copied before each test): `tspc
 * --watch`, `incremental` and `tspc --build` with project references re-emit an edited file
 * instrumented and leave the others' instrumented outputs alone; a bad tag is reported by the
 * rebuild that introduces it and by none after it is fixed; and an incremental build over outputs
 * that spanweave did not emit (build-stamp.ts) fails with a fix hint, except a first build and
 * `--build --force`, and only once a file is emitted (when none is, spanweave does not run).
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spanweave, typescript } from './helpers/compile.js';
import { runAsync } from './helpers/load-child.js';
import { fixturesDir, freshDir, repoRoot } from './helpers/paths.js';

const tspc = join(repoRoot, 'node_modules/ts-patch/bin/tspc.js');
const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };

interface Run {
  readonly output: string;
  readonly exitCode: number;
}

/** Runs a compiler in `dir` (plain output, paths relative to it); resolves when it exits. */
async function compile(bin: string, dir: string, args: readonly string[]): Promise<Run> {
  for (let attempt = 1; ; attempt++) {
    const run = await runAsync(process.execPath, [bin, ...args, '--pretty', 'false'], { cwd: dir });
    const output = run.stdout + run.stderr;
    // tspc reads its cached patched compiler under a file lock it gives up on after 2 s: a race
    // between processes starting together on a busy machine, unrelated to what is tested.
    if (!output.includes('Could not acquire lock') || attempt === 3) return { output, exitCode: run.status ?? -1 };
  }
}

function copyFixture(label: string): string {
  const dir = freshDir(`incremental-${label}`);
  cpSync(join(fixturesDir, 'incremental'), dir, { recursive: true });
  return dir;
}

/** The span names of the runtime calls in an emitted file, sorted: empty when it is not instrumented. */
function traced(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/\bspanweave\w*\.run\w*\("([^"]+)"/g)].map((m) => m[1]!).sort();
}

function errors(output: string): string[] {
  return output.split('\n').filter((line) => /(^|: )error TS\d+:/.test(line));
}

/** The JavaScript files a build listed with --listEmittedFiles, relative to `dir`. */
function emitted(output: string, dir: string): string[] {
  return [...output.matchAll(/^TSFILE: (.*\.js)$/gm)].map((m) => m[1]!.slice(dir.length + 1)).sort();
}

function edit(file: string, replace: (text: string) => string): void {
  writeFileSync(file, replace(readFileSync(file, 'utf8')));
}

/**
 * price.ts with an exported `discount` (a change of its shape: importers are emitted again) that
 * calls a local `half` tagged with the given text (a change of `half` alone does not change the shape).
 */
const withDiscount = (halfTag: string) => (text: string) =>
  text.replace(/\n\/\*\* @traced \*\/\nexport function discount[^]*$/, '') +
  `\n/** @traced */\nexport function discount(amount: number): number {\n  return half(amount);\n}\n\n/** ${halfTag} */\nfunction half(amount: number): number {\n  return amount / 2;\n}\n`;

const STALE = `error TS95006: spanweave: tsconfig.tsbuildinfo is from a build without spanweave ${version} (or with other options of it), and an incremental build emits only the files that changed: the others may be left uninstrumented. Emit every file once: `;

it('tspc --watch: each rebuild emits instrumented code; a bad tag is reported by the rebuild that adds it, not after its fix, again when re-broken', { timeout: 240_000 }, async () => {
  const dir = copyFixture('watch');
  const price = join(dir, 'src/price.ts');
  const watcher = spawn(process.execPath, [tspc, '-p', 'tsconfig.watch.json', '--watch', '--preserveWatchOutput', '--listEmittedFiles', '--pretty', 'false'], { cwd: dir });
  let output = '';
  watcher.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  watcher.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let builds = 0;
  /** The output of the next build, once tsc says it is watching again (polled: no timing assumed). */
  const nextBuild = async (): Promise<string> => {
    builds++;
    const deadline = Date.now() + 120_000;
    let parts: string[];
    while ((parts = output.split('Watching for file changes.')).length <= builds) {
      if (Date.now() > deadline || watcher.exitCode !== null) throw new Error(`no build ${builds} from tspc --watch:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return parts[builds - 1]!;
  };
  try {
    let build = await nextBuild();
    expect(errors(build)).toEqual([]);
    expect(traced(join(dir, 'out/price.js'))).toEqual(['price']);
    expect(traced(join(dir, 'out/cart.js'))).toEqual(['total']);

    // A new export changes price.ts's shape: cart.ts, which imports it, is emitted after it in the same rebuild.
    edit(price, withDiscount('@traced bogus=1'));
    build = await nextBuild();
    expect(emitted(build, dir)).toEqual(['out/cart.js', 'out/price.js']);
    expect(errors(build)).toEqual([expect.stringMatching(/^src\/price\.ts\(11,\d+\): error TS95001: spanweave: Unknown @traced option 'bogus='/)]);
    expect(traced(join(dir, 'out/price.js'))).toEqual(['discount', 'price']);
    expect(traced(join(dir, 'out/cart.js'))).toEqual(['total']);

    // Only price.ts is emitted: the error must not live on as cart.ts's.
    edit(price, withDiscount('@traced'));
    build = await nextBuild();
    expect(emitted(build, dir)).toEqual(['out/price.js']);
    expect(errors(build)).toEqual([]);
    expect(traced(join(dir, 'out/price.js'))).toEqual(['discount', 'half', 'price']);
    expect(traced(join(dir, 'out/cart.js'))).toEqual(['total']);

    edit(price, withDiscount('@traced bogus=2'));
    build = await nextBuild();
    expect(errors(build)).toEqual([expect.stringMatching(/^src\/price\.ts\(11,\d+\): error TS95001: spanweave: Unknown @traced option 'bogus='/)]);
    expect(traced(join(dir, 'out/price.js'))).toEqual(['discount', 'price']);
  } finally {
    watcher.kill();
  }
  // Not incremental: no stamp (nor anything else of spanweave's) is written.
  expect(readdirSync(dir, { recursive: true }).filter((path) => String(path).endsWith('.spanweave'))).toEqual([]);
});

describe.concurrent('builds that emit only what changed', () => {
  it('incremental: a second build emits only the edited file, instrumented, and leaves the other instrumented', async () => {
    const dir = copyFixture('tsbuildinfo');
    const first = await compile(tspc, dir, ['-p', '.']);
    expect(first).toEqual({ output: '', exitCode: 0 });
    expect(readFileSync(join(dir, 'tsconfig.tsbuildinfo.spanweave'), 'utf8')).toBe(`{"spanweave":"${version}","options":{}}\n`);

    edit(join(dir, 'src/cart.ts'), (text) => `${text}\n/** @traced */\nexport function count(items: readonly string[]): number {\n  return items.length;\n}\n`);
    const second = await compile(tspc, dir, ['-p', '.', '--listEmittedFiles']);
    expect(errors(second.output)).toEqual([]);
    expect(second.exitCode).toBe(0);
    expect(emitted(second.output, dir)).toEqual(['out/cart.js']);
    expect(traced(join(dir, 'out/cart.js'))).toEqual(['count', 'total']);
    expect(traced(join(dir, 'out/price.js'))).toEqual(['price']);
  });

  it('tspc --build with project references: an edit in the referenced project rebuilds both, instrumented', async () => {
    const dir = copyFixture('references');
    const first = await compile(tspc, dir, ['--build', 'refs']);
    expect(first).toEqual({ output: '', exitCode: 0 });
    expect(existsSync(join(dir, 'refs/core/tsconfig.tsbuildinfo.spanweave'))).toBe(true);
    expect(existsSync(join(dir, 'refs/app/tsconfig.tsbuildinfo.spanweave'))).toBe(true);

    edit(join(dir, 'refs/core/src/price.ts'), withDiscount('@traced'));
    const second = await compile(tspc, dir, ['--build', 'refs', '--listEmittedFiles']);
    expect(second.exitCode, second.output).toBe(0);
    expect(emitted(second.output, dir)).toEqual(['refs/app/out/cart.js', 'refs/core/out/price.js']);
    expect(traced(join(dir, 'refs/core/out/price.js'))).toEqual(['discount', 'half', 'price']);
    expect(traced(join(dir, 'refs/app/out/cart.js'))).toEqual(['total']);
  });

  it('an incremental build over outputs spanweave did not emit fails with a fix hint, and keeps failing until --build --force; so does a change of its options', async () => {
    const dir = copyFixture('stale');
    const editCart = (): void => edit(join(dir, 'src/cart.ts'), (text) => `${text}// edited\n`);
    const untraced = await compile(tsc, dir, ['-p', '.']);
    expect(untraced).toEqual({ output: '', exitCode: 0 });

    editCart();
    const stale = await compile(tspc, dir, ['-p', '.']);
    expect(errors(stale.output)).toEqual([`${STALE}delete tsconfig.tsbuildinfo and build again.`]);
    expect(stale.exitCode).not.toBe(0);
    expect(traced(join(dir, 'out/cart.js'))).toEqual(['total']);
    expect(traced(join(dir, 'out/price.js')), 'the mix the error is about').toEqual([]);

    // tsc keeps the error as cart.ts's emit diagnostic: a build with nothing to emit fails too.
    const again = await compile(tspc, dir, ['-p', '.']);
    expect(errors(again.output)).toEqual(errors(stale.output));

    const forced = await compile(tspc, dir, ['--build', '.', '--force']);
    expect(forced).toEqual({ output: '', exitCode: 0 });
    expect(traced(join(dir, 'out/cart.js'))).toEqual(['total']);
    expect(traced(join(dir, 'out/price.js'))).toEqual(['price']);

    edit(join(dir, 'tsconfig.json'), (text) => text.replace('"transform": "spanweave/transformer"', '"transform": "spanweave/transformer", "traceAll": ["src/none"]'));
    editCart();
    const otherOptions = await compile(tspc, dir, ['--build', '.']);
    expect(errors(otherOptions.output)).toEqual([`${STALE}\`tspc --build tsconfig.json --force\`.`]);
  });

  it('program.emit outside ts-patch (ts-loader, ts-jest) over an incremental project neither stamps nor reports a stale build', async () => {
    const dir = copyFixture('api');
    expect(await compile(tsc, dir, ['-p', '.'])).toEqual({ output: '', exitCode: 0 });
    const { config } = typescript.readConfigFile(join(dir, 'tsconfig.json'), typescript.sys.readFile);
    const parsed = typescript.parseJsonConfigFileContent(config, typescript.sys, dir, undefined, join(dir, 'tsconfig.json'));
    const program = typescript.createProgram(parsed.fileNames, parsed.options);
    // In memory, as ts-loader does: the outputs tsc's .tsbuildinfo describes stay tsc's.
    const written = new Map<string, string>();
    const diagnostics: unknown[] = [];
    program.emit(undefined, (name, text) => written.set(name, text), undefined, false, { before: [spanweave(program, { onDiagnostic: (d: unknown) => diagnostics.push(d) })] });
    expect(diagnostics).toEqual([]);
    expect(written.get(join(dir, 'out/cart.js'))).toContain('spanweave/runtime');
    expect(readdirSync(dir).filter((name) => name.endsWith('.spanweave'))).toEqual([]);
  });
});
