// node weave-files.mjs <weave core path> < [[fileName, code], ...] as JSON: each file through the
// weave core of this Node, as [code, mappings, diagnostics] (or null where it leaves the file be).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { weave } = require(process.argv[2]);
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const files = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const results = files.map(([fileName, code]) => {
  const woven = weave(fileName, code);
  return woven === undefined ? null : [woven.code, woven.map.mappings, woven.diagnostics];
});
process.stdout.write(JSON.stringify(results));
