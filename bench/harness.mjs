// Timing helpers shared by the benchmarks: rounds of calls, interleaved, and their median.
import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** `items` starting at index `shift` (modulo its length) and wrapping around: the order of a rotated round. */
export const rotated = (items, shift) => {
  const at = shift % items.length;
  return [...items.slice(at), ...items.slice(0, at)];
};

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
export const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

let sink;
/** Keeps results alive so the engine cannot drop the calls that made them. */
export const keep = (value) => {
  sink = value;
};
export const kept = () => sink;

/** Nanoseconds per call of `fn(i)` over `calls` calls; awaits each result when `isAsync`. */
export async function nsPerCall(fn, calls, isAsync) {
  const start = process.hrtime.bigint();
  if (isAsync) for (let i = 0; i < calls; i++) keep(await fn(i));
  else for (let i = 0; i < calls; i++) keep(fn(i));
  return Number(process.hrtime.bigint() - start) / calls;
}

/**
 * Median ns/call of each function, measured in interleaved rounds (so that drift of the machine
 * affects all alike), in a rotated order, after a warm-up of the same size.
 */
export async function compare(functions, { calls, rounds, isAsync }) {
  const samples = Object.fromEntries(Object.keys(functions).map((name) => [name, []]));
  const entries = Object.entries(functions);
  for (let round = -1; round < rounds; round++) {
    // Rotated, so that no function always runs right after the same one (its garbage, its tier-up).
    for (const [name, fn] of rotated(entries, round + 1)) {
      const ns = await nsPerCall(fn, calls, isAsync);
      if (round >= 0) samples[name].push(ns);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
}

/** Runs `node <args>` and parses the JSON line it prints last. */
export function runJson(args, options = {}) {
  const output = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  return JSON.parse(output.trim().split('\n').pop());
}

export const fixed = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
export const ratio = (value, base) => `${(value / base).toFixed(2)}×`;
/** `ours / theirs` to two places, or n/a where theirs is not positive (a setting measured at or below its base). */
export const share = (ours, theirs) => (theirs > 0 ? (ours / theirs).toFixed(2) : 'n/a');

/** A Markdown table. */
export function table(header, rows) {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

/** A child process that answers each line written to it with one JSON line. */
export function child(args, env) {
  const spawned = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: spawned.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`${args.join(' ')} exited`);
    return JSON.parse(value);
  };
  const ask = (message) => {
    spawned.stdin.write(`${JSON.stringify(message)}\n`);
    return next();
  };
  return { next, ask, stop: () => spawned.kill() };
}

/** This process's CPU time so far, user + system, in µs. */
export const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
