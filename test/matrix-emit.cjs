// The `program.emit` path (what ts-loader and ts-node do): the matrix leg's own TypeScript compiles the
// fixture with spanweave as a `before` transformer. Run from a leg's directory: node emit.cjs <outDir>
'use strict';
const ts = require('typescript');
const spanweave = require('spanweave/transformer').default;

const format = (diagnostics) => ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => process.cwd(), getNewLine: () => '\n' });
const fatal = (diagnostic) => { console.log(format([diagnostic])); process.exit(1); };
const config = ts.getParsedCommandLineOfConfigFile('tsconfig.json', { outDir: process.argv[2], declaration: true }, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: fatal });
const program = ts.createProgram(config.fileNames, config.options);
const result = program.emit(undefined, undefined, undefined, false, { before: [spanweave(program)] });
const diagnostics = [...config.errors, ...ts.getPreEmitDiagnostics(program), ...result.diagnostics];
if (diagnostics.length > 0) console.log(format(diagnostics));
process.exitCode = diagnostics.length > 0 || result.emitSkipped ? 1 : 0;
