import type { Attributes, Tracer } from '@opentelemetry/api';
import { context } from '../api.js';
import { merged, type AttributeSource } from '../attributes.js';
import type { GrpcTagOptions } from '../rpc-core/options.js';
import { address, addressAttributes } from '../rpc-core/peer.js';
import type { ServerStack, StackRules } from '../rpc-core/served.js';
import { ServerSpan } from '../rpc-core/server-span.js';
import { ask, Status, statusOf } from '../rpc-core/status.js';
import { checkDuplicateInstrumentation } from './duplicate.js';
import { grpcMetadataAttributes, metadataGetter } from './metadata.js';

/** grpc-js handlers `(call, callback?)`, and NestJS's `@GrpcStreamCall` (the same call object). */
export const grpcJsServer: ServerStack = {
  recognise(tracer, name, args, attributes, options) {
    // By index: destructuring would run the iterator protocol over the handler's `arguments`.
    const call = args[0];
    if (!isGrpcJsCall(call)) return undefined;
    const second = args[1];
    const span = grpcJsServerSpan(tracer, name, call, attributes, options);
    return { span, second: typeof second === 'function' ? endingCallback(span, second) : second, rules: GRPC_JS };
  },
};

/** grpc-js answers a throwing handler with UNKNOWN, and ignores an async handler's promise (a rejection is recorded). */
const GRPC_JS: StackRules = {
  statusOf: () => Status.UNKNOWN,
  returned(span, result) {
    if (!(result instanceof Promise)) return result;
    return result.then(undefined, (error: unknown) => {
      span.fail(error, Status.UNKNOWN);
      throw error;
    }) as typeof result;
  },
};

/** The parts of a grpc-js server call (unary, readable, writable or duplex) the runtime reads. */
export interface ServerCallLike {
  readonly metadata?: unknown;
  getPath?(): string;
  getPeer?(): string;
  getHost?(): string;
  getDeadline?(): Date | number;
  on?(event: string, listener: (...args: never[]) => void): unknown;
}

/** A grpc-js server call: what a raw handler, and NestJS beneath its decorators, receives. */
export function isGrpcJsCall(value: unknown): value is ServerCallLike {
  return typeof value === 'object' && value !== null && typeof (value as ServerCallLike).getPath === 'function' && typeof (value as ServerCallLike).getPeer === 'function';
}

/**
 * The SERVER span of a grpc-js call, from its path and metadata (`countWrites`: the messages the
 * call writes are the ones sent; NestJS's handlers return theirs instead). It ends when the RPC ends: the
 * call is cancelled or its deadline passes, a response stream finishes or emits an error (the
 * caller wires the unary callback, a throw or a rejection).
 */
export function grpcJsServerSpan(tracer: Tracer, name: string, call: ServerCallLike, attributes: AttributeSource | undefined, options: GrpcTagOptions | undefined, countWrites = true): ServerSpan {
  checkDuplicateInstrumentation();
  let path: string | undefined;
  let host: string | undefined;
  try {
    path = call.getPath?.();
    host = call.getHost?.();
  } catch {
    // another object with these names: the handler's name, and no server address
  }
  const span = new ServerSpan(
    tracer,
    {
      system: 'grpc',
      method: typeof path === 'string' && path.startsWith('/') ? path.slice(1) : name,
      carrier: call.metadata,
      getter: metadataGetter,
      attributes: merged(
        addressAttributes('server', host),
        peerAttributes(call),
        grpcMetadataAttributes(call.metadata, options?.metadata, 'request'),
      ),
      deadline: () => {
        const deadline = call.getDeadline?.();
        return deadline instanceof Date ? deadline.getTime() : deadline;
      },
    },
    attributes,
    options,
  );
  // grpc-js emits a call's events ('data', 'end', 'cancelled', ...) from its own context: the
  // listeners on the call (the handler's, and those NestJS adds before calling it) must see the
  // span, as the handler's callbacks do. The call's `emit` enters it once per event, and sees the
  // events that end the RPC; binding the emitter instead wrapped every listener grpc-js adds and
  // ran each through the context manager, a third of the server's tracing cost for a unary call.
  watchEvents(call, span);
  if (span.messages) {
    if ((call as { request?: unknown }).request !== undefined) span.messages.received();
    span.messages.observe(call, countWrites);
  }
  return span;
}

/**
 * Wraps the call's `emit`: the span ends on 'cancelled' (the client went away or the deadline
 * passed) and, on a response stream, on 'finish' or 'error', before the listeners run; an event
 * that has listeners is emitted in the span's context. Listening instead cost an `on` and a
 * closure per event per call.
 */
function watchEvents(call: ServerCallLike, span: ServerSpan): void {
  const emitter = call as ServerCallLike & { emit?: (event: string | symbol, ...args: unknown[]) => boolean; listenerCount?(event: string | symbol): number };
  const emit = emitter.emit;
  if (typeof emit !== 'function') return;
  const responseStream = isResponseStream(call);
  // An assignment, not defineProperty: V8 caches the transition it makes on every call object.
  emitter.emit = function (this: typeof emitter, event: string | symbol) {
    if (event === 'cancelled') span.cancelled();
    else if (responseStream && event === 'finish') span.finish(Status.OK);
    // grpc-js listens for 'error' on response streams itself.
    else if (responseStream && event === 'error') span.finish(statusOf(arguments[1]), arguments[1]);
    if (this.listenerCount?.(event) === 0) return emit.apply(this, arguments as unknown as Parameters<typeof emit>);
    return context.with(span.context, emit as (...args: unknown[]) => boolean, this, ...arguments);
  };
}

/**
 * The caller's address. grpc-js reads it from the socket once per call, into the object a
 * handler's call wraps (kept as its `call`; `getConnectionInfo()` is grpc-js's server-interceptor
 * API). `getPeer()` rebuilds the string through the HTTP/2 session's socket proxy each time, about
 * 2 µs in a loaded server: it is the fallback where that object is not there (another version).
 */
function peerAttributes(call: ServerCallLike): Attributes {
  let info: ConnectionInfo | undefined;
  try {
    info = (call as { call?: { getConnectionInfo?(): ConnectionInfo } }).call?.getConnectionInfo?.();
  } catch {
    // an object of another shape: getPeer() below
  }
  const remote = info?.remoteAddress;
  if (typeof remote !== 'string' || remote === '') return addressAttributes('network.peer', ask(() => call.getPeer?.()));
  return address('network.peer', remote, typeof info!.remotePort === 'number' ? info!.remotePort : undefined);
}

interface ConnectionInfo {
  readonly remoteAddress?: string;
  readonly remotePort?: number;
}

/** Server-streaming and bidi calls are response streams: they have `end` and no callback. */
function isResponseStream(call: ServerCallLike): boolean {
  return typeof (call as { end?: unknown }).end === 'function';
}

/** The unary / client-streaming callback: the RPC ends when it is called. */
function endingCallback(span: ServerSpan, callback: Function): Function {
  return function (this: unknown, error: unknown, response?: unknown) {
    if (!error && response !== undefined) span.messages?.sent();
    span.finish(error ? statusOf(error) : Status.OK, error);
    return callback.apply(this, arguments);
  };
}
