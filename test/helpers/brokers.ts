/**
 * The message brokers the broker tests run against (on 127.0.0.1, started before each session on
 * the project's machines; ../shared/NOTES.md), and the child processes that produce and consume.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { beforeAll, describe } from 'vitest';
import type { PrintedMetric, PrintedSpan } from '../../fixtures/brokers/src/tracing.js';
import { repoRoot } from './paths.js';

export interface BrokerService {
  readonly name: string;
  readonly port: number;
  /** The command that starts it again on these machines. */
  readonly start: string;
}

export const brokerServices = {
  rabbitmq: { name: 'RabbitMQ', port: 5672, start: 'rabbitmq-server -detached' },
  nats: {
    name: 'NATS with JetStream',
    port: 4222,
    start: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log',
  },
  redis: {
    name: 'Redis',
    port: 6379,
    start: 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log',
  },
  mqtt: { name: 'Mosquitto (MQTT)', port: 1883, start: 'mosquitto -d -c /etc/mosquitto/mosquitto.conf' },
} as const satisfies Record<string, BrokerService>;

/** Why the last probe of each broker failed, for the line that says it is skipped. */
const failures = new Map<string, string>();

/** Whether something accepts a TCP connection on 127.0.0.1:`port` within `timeoutMs`. */
export function brokerReachable(name: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (failure: string | undefined): void => {
      socket.destroy();
      if (failure !== undefined) failures.set(name, failure);
      resolve(failure === undefined);
    };
    socket.setTimeout(timeoutMs, () => finish(`no answer in ${timeoutMs} ms`));
    socket.once('connect', () => finish(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
  });
}

export type Describe = (title: string, body: () => void) => void;

/**
 * The `describe` for one broker's tests: vitest's own when the broker is reachable. When it is not,
 * the block is skipped after one printed line naming the broker and the command that starts it,
 * except under CI=true, where the block fails: CI must not pass by skipping.
 */
export async function describeWithBroker(service: BrokerService): Promise<Describe> {
  if (await brokerReachable(service.name, service.port)) return (title, body) => describe(title, body);
  const line = `${service.name} is not reachable on 127.0.0.1:${service.port} (${failures.get(service.name) ?? 'unknown'}); start it with: ${service.start}`;
  if (process.env.CI === 'true') {
    return (title, body) =>
      describe(title, () => {
        beforeAll(() => {
          throw new Error(`${line}. Under CI=true its tests fail instead of being skipped.`);
        });
        body();
      });
  }
  console.log(`skipping ${service.name} tests: ${line}`);
  return (title, body) => describe.skip(title, body);
}

/** What a fixtures/brokers child printed by the time it exited. */
export interface ChildResult {
  readonly spans: PrintedSpan[];
  /** spanweave's histogram points. */
  readonly metrics: PrintedMetric[];
  /** The message bodies its traced consumer processed, in order. */
  readonly processed: string[];
}

export interface Child {
  /** Resolves when a consumer is subscribed (its `{"type":"ready"}` line); rejects if it exits first. */
  readonly ready: Promise<void>;
  /** Resolves when it exits with status 0 after its `done` line; rejects otherwise, with its stderr. */
  readonly done: Promise<ChildResult>;
  /** Ends the process if it still runs (SIGKILL: nothing of it is wanted any more). */
  kill(): void;
}

/**
 * Runs `node <script> ...args` from the repository root (in `env`, else this process's
 * environment) and reads its JSON lines. A child that has not exited after `timeoutMs` is killed,
 * so that no test waits for ever.
 */
export function startChild(script: string, args: readonly string[], { timeoutMs = 45_000, env }: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Child {
  const child = spawn(process.execPath, [script, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const label = `node ${args.join(' ')}`;
  let stdout = '';
  let stderr = '';
  let pending = '';
  const spans: PrintedSpan[] = [];
  const metrics: PrintedMetric[] = [];
  let processed: string[] | undefined;
  let markReady: () => void = () => undefined;
  let failReady: (error: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const text of lines) {
      if (!text.startsWith('{')) continue;
      const line = JSON.parse(text) as { type: string } & Record<string, unknown>;
      if (line.type === 'ready') markReady();
      else if (line.type === 'span') {
        const { type: _type, ...span } = line;
        spans.push(span as unknown as PrintedSpan);
      } else if (line.type === 'metric') {
        const { type: _type, ...metric } = line;
        metrics.push(metric as unknown as PrintedMetric);
      } else if (line.type === 'done') processed = line['processed'] as string[];
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<ChildResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status, signal) => {
      clearTimeout(timer);
      const failure = new Error(`${label} ${signal === 'SIGKILL' ? `was killed (still running after ${timeoutMs} ms, or its test ended)` : `exited with ${status ?? signal}`}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
      failReady(failure);
      if (status === 0 && processed !== undefined) resolve({ spans, metrics, processed });
      else reject(failure);
    });
  });
  ready.catch(() => undefined); // a test that never waits for `ready` learns of the failure from `done`
  done.catch(() => undefined);
  return {
    ready,
    done,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
