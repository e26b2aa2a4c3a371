/**
 * A real library's own test suite, traced whole: zod 3's source and vitest suite (shipped in the
 * zod package) compiled with tspc + `traceAll`, run with an SDK recording, against the same suite
 * on a plain tsc build (test/trace-library.mjs, also `npm run trace-library`).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from './helpers/paths.js';

it('zod passes its own tests with every function traced, and the spans are made', () => {
  const run = spawnSync(process.execPath, [join(repoRoot, 'test/trace-library.mjs')], { encoding: 'utf8' });
  const summary = run.stdout.slice(run.stdout.indexOf('## A real library traced'));
  expect(summary).toMatch(/untraced build \(plain tsc\): (\d+) tests passed, 0 failed/);
  expect(summary).toMatch(/traced build, SDK recording: \d+ passed, \d+ failed; [\d,]+ spans/);
  expect(Number(/; ([\d,]+) spans/.exec(summary)?.[1]?.replace(/,/g, ''))).toBeGreaterThan(1000);
  expect(summary).toContain('passing untraced, not traced: none.');
  expect(run.status, `${summary}\n${run.stderr}`).toBe(0);
}, 240_000);
