import type { Attributes, Context, Span, TextMapGetter, Tracer } from '@opentelemetry/api';
import { context, propagation, trace, SpanKind, SpanStatusCode } from '../api.js';
import { bounded, evaluateAttributes, merged, safeString, type AttributeSource } from '../attributes.js';
import { EMIT_OLD_RPC_CONVENTIONS } from '../semconv.js';
import { startDuration, type Duration } from '../metrics.js';
import { endSpan } from '../span.js';
import { MessageEvents } from './messages.js';
import type { GrpcTagOptions } from './options.js';
import { ask, describe, isError, oldRpcAttributes, Status, statusAttributes, statusName, statusOf } from './status.js';

/** What a stack's adapter reads from an incoming call; the same span follows from it whatever the stack. */
export interface IncomingRpc {
  /** `rpc.system.name`: `grpc`, or `connectrpc` for whatever Connect serves (its conventions). */
  readonly system: string;
  /** `package.Service/Method`. */
  readonly method: string;
  /** Where the caller's context is: metadata or headers, read with `getter`. */
  readonly carrier: unknown;
  readonly getter: TextMapGetter<unknown>;
  /** Addresses and the `metadata=` values, as the stack reports them. */
  readonly attributes: Attributes;
  /** The call's deadline in epoch milliseconds, when the stack tells it. */
  readonly deadline?: () => number | undefined;
}

/**
 * One served RPC's SERVER span, the same for every stack: its parent is the context the caller
 * sent (or, for `public`, a new trace linked to it), and it ends once, with the status the
 * caller sees, errors counted by the server rules of the RPC conventions.
 */
export class ServerSpan {
  readonly context: Context;
  readonly messages: MessageEvents | undefined;
  private readonly span: Span;
  private readonly duration: Duration | undefined;
  private ended = false;

  constructor(tracer: Tracer, private readonly incoming: IncomingRpc, attributes: AttributeSource | undefined, options: GrpcTagOptions | undefined) {
    const active = context.active();
    let extracted = active;
    try {
      extracted = propagation.extract(active, incoming.carrier, incoming.getter) ?? active;
    } catch {
      // Propagators are written not to throw on bad input; a broken custom one must not reach the handler either.
    }
    const remote = trace.getSpanContext(extracted);
    const spanAttributes = merged({ 'rpc.system.name': incoming.system, 'rpc.method': incoming.method }, incoming.attributes, attributes && evaluateAttributes(attributes));
    if (EMIT_OLD_RPC_CONVENTIONS) Object.assign(spanAttributes, oldRpcAttributes(incoming.system, incoming.method));
    const untrusted = options?.public === true;
    this.span = tracer.startSpan(
      incoming.method === OTHER_METHOD ? incoming.system : incoming.method,
      { kind: SpanKind.SERVER, attributes: spanAttributes, root: untrusted, links: untrusted && remote ? [{ context: remote }] : undefined },
      extracted,
    );
    this.context = trace.setSpan(extracted, this.span);
    this.messages = options?.messages ? new MessageEvents(this.span) : undefined;
    this.duration = startDuration('rpc.server.call.duration', () => ({ 'rpc.system.name': incoming.system, 'rpc.method': incoming.method }));
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** A thrown or rejected value: recorded, with the status the stack answers it with. */
  fail(error: unknown, code: number): void {
    if (this.ended) return;
    try {
      this.span.recordException(error instanceof Error ? error : bounded(safeString(error)));
    } catch {
      // a hostile error object: the status below still tells
    }
    this.finish(code, error);
  }

  /**
   * Ends the span with the RPC's status; the first end wins (a stack may report a cancellation
   * after a normal finish). A response after the deadline never reaches the client: DEADLINE_EXCEEDED.
   */
  finish(code: number, error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (this.messages) this.messages.ended = true;
    if (code === Status.OK && this.deadlinePassed()) code = Status.DEADLINE_EXCEEDED;
    const status = statusAttributes(code, 'server');
    this.span.setAttributes(status);
    if (EMIT_OLD_RPC_CONVENTIONS) this.span.setAttribute('rpc.grpc.status_code', code);
    if (isError(code, 'server')) this.span.setStatus({ code: SpanStatusCode.ERROR, message: describe(error) ?? statusName(code) });
    endSpan(this.span);
    this.duration?.record(status, this.context);
  }

  /** A cancellation: the deadline's when it has passed (the client's timer usually fires first). */
  cancelled(): void {
    this.finish(this.deadlinePassed() ? Status.DEADLINE_EXCEEDED : Status.CANCELLED);
  }

  /** Ends the span when the call's signal aborts (the client went away, the deadline passed), with the reason's status. */
  endOnAbort(signal: AbortSignal | undefined): void {
    if (typeof signal?.addEventListener !== 'function') return;
    const end = (): void => this.aborted(signal.reason);
    if (signal.aborted) end();
    else signal.addEventListener('abort', end, { once: true });
  }

  /** The call's signal aborted with `reason`: its status, a cancellation where it tells none. */
  aborted(reason: unknown): void {
    const code = statusOf(reason);
    if (code === Status.UNKNOWN || code === Status.CANCELLED) this.cancelled();
    else this.finish(code, reason);
  }

  private deadlinePassed(): boolean {
    const deadline = this.incoming.deadline && ask(this.incoming.deadline);
    return typeof deadline === 'number' && deadline <= Date.now() + DEADLINE_TOLERANCE_MS;
  }
}

const DEADLINE_TOLERANCE_MS = 10;
/** The conventions' `rpc.method` for a method the instrumentation cannot name; the span is then named after the system. */
const OTHER_METHOD = '_OTHER';
