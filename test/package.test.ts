/**
 * The package a user installs: `npm pack` of the build, unpacked into a project outside this
 * repository, compiled there with tspc from its tsconfig, run as CommonJS and as ESM.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { repoRoot } from './helpers/paths.js';

let project: string;
let packedFiles: string[];

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'spanweave-user-'));
  const modules = join(project, 'node_modules');
  mkdirSync(join(modules, '@opentelemetry'), { recursive: true });
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', project], { cwd: repoRoot, encoding: 'utf8' })) as { filename: string; files: { path: string }[] }[];
  packedFiles = packed[0]!.files.map((f) => f.path);
  mkdirSync(join(modules, 'spanweave'));
  execFileSync('tar', ['-xzf', join(project, packed[0]!.filename), '-C', join(modules, 'spanweave'), '--strip-components=1']);
  for (const name of ['typescript', 'ts-patch']) symlinkSync(join(repoRoot, 'node_modules', name), join(modules, name));
  for (const name of readdirSync(join(repoRoot, 'node_modules/@opentelemetry'))) {
    symlinkSync(join(repoRoot, 'node_modules/@opentelemetry', name), join(modules, '@opentelemetry', name));
  }
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', strict: true, rootDir: 'src', outDir: 'out', types: [], plugins: [{ transform: 'spanweave/transformer' }] },
      include: ['src'],
    }),
  );
  mkdirSync(join(project, 'src'));
  const program = `
import { trace, context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

const exporter = new InMemorySpanExporter();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));

/** @traced */
async function outer(n: number): Promise<number> {
  return inner(n) + 1;
}

/** @traced attr.n=n */
function inner(n: number): number {
  return n * 2;
}

void outer(20).then((value) => {
  const spans = exporter.getFinishedSpans().map((s) => [s.name, s.parentSpanContext?.spanId === undefined ? 'root' : 'child', s.attributes]);
  console.log(JSON.stringify({ value, spans }));
});
`;
  writeFileSync(join(project, 'src/app.cts'), program);
  writeFileSync(join(project, 'src/app.mts'), program);
});

it('ships the built transformer and runtime, no sources or tests', () => {
  expect(packedFiles).toContain('dist/transformer/index.js');
  expect(packedFiles).toContain('dist/runtime/cjs/index.js');
  expect(packedFiles).toContain('dist/runtime/esm/index.js');
  expect(packedFiles).toContain('dist/runtime/esm/package.json');
  expect(packedFiles.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(f))).toEqual([]);
  expect(packedFiles.filter((f) => f.endsWith('.map'))).toEqual([]);
});

/** Runs the compiled program as CommonJS and as ESM: both traced alike. */
function expectTraced(outDir: string): void {
  for (const file of [`${outDir}/app.cjs`, `${outDir}/app.mjs`]) {
    const output = execFileSync(process.execPath, [join(project, file)], { encoding: 'utf8' });
    expect(JSON.parse(output), file).toEqual({
      value: 41,
      spans: [
        ['inner', 'child', { n: 20 }],
        ['outer', 'root', {}],
      ],
    });
  }
}

it('compiles with tspc in a user project and traces under CommonJS and ESM', () => {
  const tspc = spawnSync(process.execPath, [join(project, 'node_modules/ts-patch/bin/tspc.js'), '-p', project], { encoding: 'utf8' });
  expect(tspc.stdout + tspc.stderr).toBe('');
  expectTraced('out');
});

it('compiles with plain tsc after `ts-patch install` (the persistent patch the README offers)', () => {
  // A copy: the patch rewrites TypeScript's files in place.
  const typescript = join(project, 'patched/typescript');
  cpSync(join(repoRoot, 'node_modules/typescript'), typescript, { recursive: true });
  execFileSync(process.execPath, [join(project, 'node_modules/ts-patch/bin/ts-patch.js'), 'install', '-s', '-d', typescript]);
  const tsc = spawnSync(process.execPath, [join(typescript, 'bin/tsc'), '-p', project, '--outDir', join(project, 'out-installed')], { encoding: 'utf8' });
  expect(tsc.stdout + tsc.stderr).toBe('');
  expectTraced('out-installed');
});
