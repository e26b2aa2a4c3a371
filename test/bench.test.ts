/**
 * `npm run bench` keeps working: a smoke run (tiny counts) of every benchmark. Its figures mean
 * nothing and are not checked; only that each benchmark runs to the end and reports.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from './helpers/paths.js';

it('every benchmark runs and reports (smoke run)', () => {
  const report = execFileSync(process.execPath, [join(repoRoot, 'bench/run.mjs'), '--smoke'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const sections = [...report.matchAll(/^## (.+)$/gm)].map((match) => match[1]);
  expect(sections).toEqual(['Per-call overhead of a traced function', 'gRPC throughput and latency, 127.0.0.1', 'Connect and nice-grpc: CPU per RPC beside their own tracing, 127.0.0.1', 'Build time', 'Bundlers and TypeScript 7', 'Memory over 1,000,000 traced calls', 'Runtime size', 'Page weight in the browser']);
  expect(report).not.toMatch(/NaN|undefined/); // 'n/a' may appear: tiny counts can show no overhead to compare with
  expect(report).toMatch(/\| a tag in every file \| tsc 7 \| [\d.]+ \([\d.]+\) \| [\d.]+ \([\d.]+\) \| [\d.]+× \| ≤ 1\.3× \|/);
  expect(report).toMatch(/\| spanweave\/runtime \| [\d.]+ \| [\d.]+ \| ≤ 4 KB \|/);
  expect(report).toMatch(/\| spanweave \/ official \| [\d.]+× \| [\d.]+× \| [\d.]+× \| [\d.]+× \|/);
}, 300_000); // a bound for a busy machine, not a measurement
