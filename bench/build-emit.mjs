// The plugin's own cost inside one process, where a whole build's run-to-run noise cannot hide it:
// the generated project's program is built and checked once, then emitted (to nowhere) with and
// without the spanweave transformer, in alternating order; prints the median CPU ms per emit of each.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuMicros, median, rotated } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const ts = require('typescript');
const spanweave = require(join(here, '../dist/transformer/index.js')).default;

const [dir, rounds] = [process.argv[2], Number(process.argv[3])];
const config = ts.getParsedCommandLineOfConfigFile(join(dir, 'tsconfig.plain.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
const program = ts.createProgram(config.fileNames, config.options);
program.getSemanticDiagnostics();
const discard = () => undefined;
const emits = {
  'without the plugin': () => program.emit(undefined, discard),
  'with the plugin': () => program.emit(undefined, discard, undefined, false, { before: [spanweave(program, {}, { ts })] }),
};
const samples = { 'without the plugin': [], 'with the plugin': [] };
for (let round = -1; round < rounds; round++) {
  for (const name of rotated(Object.keys(emits), round + 1)) {
    const start = cpuMicros();
    emits[name]();
    if (round >= 0) samples[name].push((cpuMicros() - start) / 1000);
  }
}
console.log(JSON.stringify(Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]))));
