import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import { context, propagation, trace, SpanKind, SpanStatusCode } from '../api.js';
import { bounded, evaluateAttributes, safeString, type AttributeSource } from '../attributes.js';
import { EMIT_OLD_RPC_CONVENTIONS } from '../semconv.js';
import { endSpan, sdkSafely, withContext } from '../span.js';
import { activeTracer } from '../tracer.js';
import { checkDuplicateInstrumentation } from './duplicate.js';
import { MessageEvents } from './messages.js';
import { metadataAttributes, metadataGetter } from './metadata.js';
import type { GrpcTagOptions } from './options.js';
import { addressAttributes } from './peer.js';
import { isError, oldRpcAttributes, Status, statusName, statusOf } from './status.js';

/** The parts of a grpc-js server call (unary, readable, writable or duplex) the runtime reads. */
export interface ServerCallLike {
  readonly metadata?: unknown;
  getPath?(): string;
  getPeer?(): string;
  getHost?(): string;
  getDeadline?(): Date | number;
  on?(event: string, listener: (...args: never[]) => void): unknown;
}

/**
 * Runs the body of a gRPC server handler inside a SERVER span whose parent is the context in the
 * call's metadata. `callback` is the handler's second parameter (unary and client-streaming
 * calls); the body gets a wrapped one, under the same name. The span ends when the RPC ends:
 * the callback is called, a response stream finishes or emits an error, the call is cancelled
 * or its deadline passes, or the handler throws or rejects.
 */
export function serve<T>(
  name: string,
  call: ServerCallLike,
  callback: unknown,
  body: (callback: unknown) => T,
  attributes?: AttributeSource,
  options?: GrpcTagOptions,
): T {
  const tracer = activeTracer();
  if (tracer === undefined) return body(callback);
  checkDuplicateInstrumentation();
  const rpc = sdkSafely(() => new ServerRpc(tracer, name, call, attributes, options));
  if (rpc === undefined) return body(callback);
  // grpc-js emits a call's events ('data', 'end', ...) from its own context: the listeners the
  // handler adds must see the handler's span, as its callbacks do.
  context.bind(rpc.context, call);
  let result: T;
  try {
    result = withContext(rpc.context, body, undefined, typeof callback === 'function' ? rpc.wrap(callback) : callback);
  } catch (error) {
    rpc.fail(error);
    throw error;
  }
  return result instanceof Promise ? (failOnRejection(rpc, result) as T) : result;
}

/** An async handler's rejection ends the span (grpc-js ignores the promise; the RPC may hang). */
async function failOnRejection<T>(rpc: ServerRpc, promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    rpc.fail(error);
    throw error;
  }
}

class ServerRpc {
  readonly context: Context;
  private readonly span: Span;
  private readonly messages: MessageEvents | undefined;
  private ended = false;

  constructor(tracer: Tracer, name: string, private readonly call: ServerCallLike, attributes: AttributeSource | undefined, options: GrpcTagOptions | undefined) {
    const path = ask(() => call.getPath?.());
    const method = typeof path === 'string' && path.startsWith('/') ? path.slice(1) : name;
    const active = context.active();
    // Propagators are written not to throw on bad input; a broken custom one must not reach the handler either.
    const incoming = ask(() => propagation.extract(active, call.metadata, metadataGetter)) ?? active;
    const remote = trace.getSpanContext(incoming);
    const spanAttributes: Attributes = {
      'rpc.system.name': 'grpc',
      'rpc.method': method,
      ...addressAttributes('server', ask(() => call.getHost?.())),
      ...addressAttributes('network.peer', ask(() => call.getPeer?.())),
      ...metadataAttributes(call.metadata, options?.metadata, 'request'),
      ...(attributes && evaluateAttributes(attributes)),
    };
    if (EMIT_OLD_RPC_CONVENTIONS) Object.assign(spanAttributes, oldRpcAttributes(method));
    const untrusted = options?.public === true;
    this.span = tracer.startSpan(
      method,
      { kind: SpanKind.SERVER, attributes: spanAttributes, root: untrusted, links: untrusted && remote ? [{ context: remote }] : undefined },
      incoming,
    );
    this.context = trace.setSpan(incoming, this.span);
    this.watch(callbackLess(call));
    if (options?.messages) this.messages = this.observeMessages();
  }

  /** The unary / client-streaming callback: the RPC ends when it is called. */
  wrap(callback: Function): Function {
    const rpc = this;
    return function (this: unknown, error: unknown, response?: unknown) {
      if (!error && response !== undefined) rpc.messages?.sent();
      rpc.finish(error ? statusOf(error) : Status.OK, error);
      return callback.apply(this, arguments);
    };
  }

  /** A thrown or rejected value: recorded; grpc-js answers a throwing handler with UNKNOWN. */
  fail(error: unknown): void {
    if (this.ended) return;
    try {
      this.span.recordException(error instanceof Error ? error : bounded(safeString(error)));
    } catch {
      // a hostile error object: the status below still tells
    }
    this.finish(Status.UNKNOWN, error);
  }

  /**
   * Ends the span with the RPC's status; the first end wins (grpc-js may emit 'cancelled' after a
   * normal finish). A response after the deadline never reaches the client: DEADLINE_EXCEEDED.
   */
  finish(code: number, error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (this.messages) this.messages.ended = true;
    if (code === Status.OK && this.deadlinePassed()) code = Status.DEADLINE_EXCEEDED;
    this.span.setAttribute('rpc.status_code', statusName(code));
    if (EMIT_OLD_RPC_CONVENTIONS) this.span.setAttribute('rpc.grpc.status_code', code);
    if (isError(code, 'server')) {
      this.span.setAttribute('error.type', statusName(code));
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: describe(error) ?? statusName(code) });
    }
    endSpan(this.span);
  }

  private watch(streaming: boolean): void {
    const on = this.call.on;
    if (typeof on !== 'function') return;
    on.call(this.call, 'cancelled', () => this.finish(this.deadlinePassed() ? Status.DEADLINE_EXCEEDED : Status.CANCELLED));
    if (!streaming) return;
    // grpc-js listens for 'error' on response streams itself, so one more listener changes nothing.
    on.call(this.call, 'error', (error: unknown) => this.finish(statusOf(error), error));
    on.call(this.call, 'finish', () => this.finish(Status.OK));
  }

  /** The request of a unary or server-streaming call, then every message streamed either way. */
  private observeMessages(): MessageEvents {
    const messages = new MessageEvents(this.span);
    if ((this.call as { request?: unknown }).request !== undefined) messages.received();
    messages.observe(this.call);
    return messages;
  }

  /**
   * Whether a cancellation is the deadline's: the client's deadline timer usually fires a moment
   * before the server's, and its cancel arrives first.
   */
  private deadlinePassed(): boolean {
    const deadline = ask(() => this.call.getDeadline?.());
    const time = deadline instanceof Date ? deadline.getTime() : deadline;
    return typeof time === 'number' && time <= Date.now() + DEADLINE_TOLERANCE_MS;
  }
}

const DEADLINE_TOLERANCE_MS = 10;

/** Server-streaming and bidi calls are response streams: they have `end` and no callback. */
function callbackLess(call: ServerCallLike): boolean {
  return typeof (call as { end?: unknown }).end === 'function';
}

/** A status error's `details`, else its `message`. */
export function describe(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return error === undefined ? undefined : bounded(safeString(error));
  const { details, message } = error as { details?: unknown; message?: unknown };
  const text = typeof details === 'string' && details !== '' ? details : message;
  return typeof text === 'string' ? bounded(text) : undefined;
}

/** Calls an accessor of a call object that may be missing or throw. */
function ask<T>(question: () => T): T | undefined {
  try {
    return question();
  } catch {
    return undefined;
  }
}
