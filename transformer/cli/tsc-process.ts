import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { signalStatus } from './signal-status.js';
import type { Command } from './typescript.js';

const EMITTED = /^TSFILE: (.*)$/;
/** How long a list of emitted files may pause before it counts as complete (watch mode). */
const LIST_SETTLED_MS = 100;

/** Runs `tsc` as it is, its output the command's own; resolves with its exit status. */
export function runPlainTsc([program, ...programArgs]: Command, args: readonly string[]): Promise<number> {
  const child = spawn(program, [...programArgs, ...args], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(signal !== null ? signalStatus(signal) : (code ?? 1)));
  });
}

/**
 * Runs a TypeScript 7 `tsc` with `--listEmittedFiles` and hands over the files of each emit as one
 * list. tsc prints the list after writing the files, and then its summary line: that line, the
 * end of the process or a pause closes the list. Its other output passes through; the list itself
 * only when `echoList` (the user asked for it). Resolves with tsc's exit status.
 */
export function runTsc([program, ...programArgs]: Command, args: readonly string[], echoList: boolean, onEmitted: (files: string[]) => void): Promise<number> {
  // Its own process group (but on Windows): where the package's `tsc` runs (a Node script that runs
  // the native compiler as a child), both must stop when this command is stopped.
  const grouped = process.platform !== 'win32';
  const child = spawn(program, [...programArgs, ...args, '--listEmittedFiles'], { stdio: ['inherit', 'pipe', 'inherit'], detached: grouped });
  // The signal this command was stopped by: its status, whatever tsc's own (the native compiler exits 0 on SIGTERM).
  let stoppedBy: NodeJS.Signals | undefined;
  const stop = (signal: NodeJS.Signals) => () => {
    stoppedBy = signal;
    if (grouped && child.pid !== undefined) process.kill(-child.pid, signal);
    else child.kill(signal);
  };
  const onInterrupt = stop('SIGINT');
  const onTerminate = stop('SIGTERM');
  process.on('SIGINT', onInterrupt).on('SIGTERM', onTerminate);

  let listed: string[] = [];
  let settled: NodeJS.Timeout | undefined;
  const closeList = (): void => {
    clearTimeout(settled);
    if (listed.length === 0) return;
    const files = listed;
    listed = [];
    onEmitted(files);
  };
  createInterface({ input: child.stdout }).on('line', (line) => {
    const emitted = EMITTED.exec(line)?.[1];
    if (emitted === undefined) closeList();
    else {
      listed.push(emitted);
      clearTimeout(settled);
      settled = setTimeout(closeList, LIST_SETTLED_MS);
    }
    if (emitted === undefined || echoList) process.stdout.write(`${line}\n`);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      process.off('SIGINT', onInterrupt).off('SIGTERM', onTerminate);
      closeList();
      const endedBy = stoppedBy ?? signal;
      resolve(endedBy !== null ? signalStatus(endedBy) : (code ?? 1));
    });
  });
}
