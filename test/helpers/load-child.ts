/**
 * Running compiled fixtures in a child `node` process, and reading back what it printed: spans
 * (from load-sdk-child.mjs, preloaded with --import) and other one-line JSON reports.
 */
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { FinishedSpan } from './sdk.js';
import { repoRoot } from './paths.js';

/** Preload with `--import` to register a real SDK in the child and print its spans at exit. */
export const childSdk = join(repoRoot, 'test/helpers/load-sdk-child.mjs');

export interface NodeRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number | null;
}

export function runNode(args: readonly string[]): NodeRun {
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: repoRoot });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

/** Runs a command without blocking, for child processes that run side by side; never rejects. */
export function runAsync(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<NodeRun> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { cwd: repoRoot, maxBuffer: 1 << 26, ...options, encoding: 'utf8' }, (_error, stdout, stderr) => {
      resolve({ stdout, stderr, status: child.exitCode });
    });
  });
}

/** runNode without blocking. */
export const runNodeAsync = (args: readonly string[]): Promise<NodeRun> => runAsync(process.execPath, args);

/** The value under `key` of the one stdout line that is a JSON object with that key. */
export function reported<T>(run: NodeRun, key: string): T {
  const found: unknown[] = [];
  for (const line of run.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed === 'object' && parsed !== null && key in parsed) found.push((parsed as Record<string, unknown>)[key]);
  }
  if (found.length !== 1) throw new Error(`expected one line reporting '${key}', found ${found.length}.\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  return found[0] as T;
}

/** A finished span as the child prints it (and as recordOf makes it from an in-process span). */
export interface SpanRecord {
  readonly name: string;
  readonly kind: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string | undefined;
  readonly attributes: Record<string, unknown>;
  readonly status: { readonly code: number; readonly message?: string | undefined };
  readonly startTime: readonly [number, number];
}

export function recordOf(span: FinishedSpan): SpanRecord {
  return {
    name: span.name,
    kind: span.kind,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    attributes: { ...span.attributes },
    status: { code: span.status.code, message: span.status.message },
    startTime: [span.startTime[0], span.startTime[1]],
  };
}

/**
 * The same indented tree of names as sdk.ts's spanTree (children in start order, ties in the
 * order the spans ended), for spans that come back from a child process as JSON.
 */
export function recordTree(records: readonly SpanRecord[]): string {
  const ids = new Set(records.map((r) => r.spanId));
  const byParent = new Map<string | undefined, SpanRecord[]>();
  for (const record of records) {
    const key = record.parentSpanId !== undefined && ids.has(record.parentSpanId) ? record.parentSpanId : undefined;
    byParent.set(key, [...(byParent.get(key) ?? []), record]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number): void => {
    const children = [...(byParent.get(parent) ?? [])].sort((a, b) => a.startTime[0] * 1e9 + a.startTime[1] - (b.startTime[0] * 1e9 + b.startTime[1]));
    for (const child of children) {
      lines.push(`${'  '.repeat(depth)}${child.name}`);
      walk(child.spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}
