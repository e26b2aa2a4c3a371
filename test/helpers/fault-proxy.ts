/**
 * A TCP proxy on 127.0.0.1 (port 0) between a client and a server (a broker), which injects the
 * faults a network makes: a connection cut (both sides closed), reset (RST), or stalled (no byte
 * either way for a while, then everything that waited). A fault can wait until a number of bytes
 * has gone one way, to land in the middle of a publish (`up`: client to server) or of a delivery
 * (`down`: server to client). Used by the broker fault tests and the soak.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export type Fault = 'cut' | 'reset' | 'stall';
export type Direction = 'up' | 'down';

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
}

export class FaultProxy {
  /** Connections accepted so far: a client that reconnects makes more than one. */
  accepted = 0;
  /** Faults injected so far, by kind. */
  readonly injected: Record<Fault, number> = { cut: 0, reset: 0, stall: 0 };
  private readonly pairs = new Set<Pair>();
  private readonly bytes: Record<Direction, number> = { up: 0, down: 0 };
  private readonly armed: Array<{ direction: Direction; at: number; fault: Fault; stallMs: number; done: () => void }> = [];
  /** The stall under way, if any: the latest one's timer ends it. */
  private stall: object | undefined;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listens on 127.0.0.1:0 and forwards each connection to 127.0.0.1:`targetPort`. */
  static async start(targetPort: number): Promise<FaultProxy> {
    let proxy: FaultProxy | undefined;
    const server = createServer((client) => proxy!.accept(client, targetPort));
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
    proxy = new FaultProxy(server, port);
    return proxy;
  }

  /** Connections open now. */
  get open(): number {
    return this.pairs.size;
  }

  /** Injects `fault` into every open connection now; a stall lasts `stallMs`. */
  inject(fault: Fault, stallMs = 500): void {
    this.injected[fault]++;
    if (fault === 'stall') {
      // Ended by its own timer, not by comparing clocks: a timer may fire a millisecond before Date.now() says it is due.
      const stall = {};
      this.stall = stall;
      for (const pair of this.pairs) this.hold(pair);
      setTimeout(() => this.stall === stall && this.release(), stallMs).unref();
      return;
    }
    for (const pair of [...this.pairs]) {
      if (fault === 'reset') {
        pair.client.resetAndDestroy();
        pair.upstream.resetAndDestroy();
      } else {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      this.pairs.delete(pair);
    }
  }

  /** Injects `fault` once `bytes` more bytes have gone `direction`; resolves when it has. */
  after(direction: Direction, bytes: number, fault: Fault, stallMs = 500): Promise<void> {
    return new Promise((done) => this.armed.push({ direction, at: this.bytes[direction] + bytes, fault, stallMs, done }));
  }

  async close(): Promise<void> {
    this.inject('cut');
    this.injected.cut--;
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: Socket, targetPort: number): void {
    this.accepted++;
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    const pair = { client, upstream };
    this.pairs.add(pair);
    const drop = (): void => {
      if (!this.pairs.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) socket.on('error', drop).on('close', drop);
    client.on('data', (chunk: Buffer) => this.forward(pair, 'up', chunk));
    upstream.on('data', (chunk: Buffer) => this.forward(pair, 'down', chunk));
    if (this.stall !== undefined) this.hold(pair);
  }

  private forward(pair: Pair, direction: Direction, chunk: Buffer): void {
    (direction === 'up' ? pair.upstream : pair.client).write(chunk);
    this.bytes[direction] += chunk.length;
    for (const trigger of [...this.armed]) {
      if (trigger.direction !== direction || this.bytes[direction] < trigger.at) continue;
      this.armed.splice(this.armed.indexOf(trigger), 1);
      this.inject(trigger.fault, trigger.stallMs);
      trigger.done();
    }
  }

  private hold(pair: Pair): void {
    pair.client.pause();
    pair.upstream.pause();
  }

  private release(): void {
    this.stall = undefined;
    for (const pair of this.pairs) {
      pair.client.resume();
      pair.upstream.resume();
    }
  }
}
