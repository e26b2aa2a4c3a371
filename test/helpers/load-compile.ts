/** Builds for test/loading.test.ts beyond what compile.ts offers. */
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as ts from 'typescript';
import { typescript, type Build } from './compile.js';
import { freshDir, repoRoot } from './paths.js';

const require = createRequire(import.meta.url);

/** `program.emit` of a fixture project with the `before` transformers that `before(program)` returns. */
export function emitWithProgram(project: string, label: string, before: (program: ts.Program) => ts.TransformerFactory<ts.SourceFile>[]): Build {
  const { config } = typescript.readConfigFile(join(project, 'tsconfig.json'), typescript.sys.readFile);
  const parsed = typescript.parseJsonConfigFileContent(config, typescript.sys, project);
  const outDir = freshDir(`load-${label}`);
  const program = typescript.createProgram(parsed.fileNames, { ...parsed.options, outDir });
  const result = program.emit(undefined, undefined, undefined, false, { before: before(program) });
  const diagnostics = [...typescript.getPreEmitDiagnostics(program), ...result.diagnostics];
  const output = typescript.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => repoRoot, getNewLine: () => '\n' });
  return { outDir, output, exitCode: diagnostics.length > 0 ? 1 : 0, load: (module) => require(join(outDir, `${module}.js`)) };
}

/**
 * A new project whose sources are the JavaScript files a build emitted (comments and all),
 * compiled with allowJs and the plugin: what happens when emitted code goes through again.
 */
export function projectOfEmittedJs(build: Build): string {
  const project = freshDir('load-emitted-js');
  mkdirSync(join(project, 'src'));
  for (const name of readdirSync(build.outDir)) {
    if (name.endsWith('.js')) copyFileSync(join(build.outDir, name), join(project, 'src', name));
  }
  const compilerOptions = { target: 'ES2022', module: 'commonjs', allowJs: true, checkJs: false, rootDir: 'src', outDir: 'out', types: [], plugins: [{ transform: 'spanweave/transformer' }] };
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['src'] }, null, 2));
  return project;
}
