// The hand-written minimal tracing of the gRPC benchmark, preloaded after sdk.cjs with the untagged
// build: a client interceptor and a server wrapper that do only what the RPC conventions require
// (start and end the two spans, inject and extract the context, set the status), with the same
// SDK. It is the floor any instrumentation of a gRPC call stands on; echo.ts picks it up from
// `globalThis.benchTracing`. With BENCH_ADDRESSES=1 it also records the address attributes
// spanweave records (server.address and server.port from the channel's target or the call's host,
// network.peer.address and network.peer.port from the peer): the floor for spanweave's spans,
// which tells how much of spanweave's cost is what its spans hold.
const { InterceptingCall } = require('@grpc/grpc-js');
const { context, propagation, trace, ROOT_CONTEXT, SpanKind, SpanStatusCode } = require('@opentelemetry/api');

const tracer = trace.getTracer('minimal');
const setter = { set: (metadata, key, value) => metadata.set(key, value) };
const getter = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  get: (metadata, key) => {
    const [value] = metadata.get(key);
    return typeof value === 'string' ? value : undefined;
  },
};

const ADDRESSES = process.env.BENCH_ADDRESSES === '1';
/** `host:port` split in two. */
function hostAndPort(hostPort) {
  const colon = hostPort.lastIndexOf(':');
  return [hostPort.slice(0, colon), Number(hostPort.slice(colon + 1))];
}
const serverAddress = ([host, port]) => ({ 'server.address': host, 'server.port': port });
const peerAddress = ([host, port]) => ({ 'network.peer.address': host, 'network.peer.port': port });

function end(span, code, side, peer) {
  span.setAttribute('rpc.status_code', code);
  if (peer) span.setAttributes(peerAddress(hostAndPort(peer)));
  if (code !== 0 && (side === 'client' || code === 2 || code === 13)) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/** The client interceptor for a channel to `target`. */
const clientInterceptor = (target) => {
  const server = ADDRESSES ? serverAddress(hostAndPort(target)) : undefined;
  return (options, nextCall) => {
    const call = new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        const method = options.method_definition.path.slice(1);
        const parent = context.active();
        const attributes = { 'rpc.system.name': 'grpc', 'rpc.method': method };
        if (ADDRESSES) Object.assign(attributes, server);
        const span = tracer.startSpan(method, { kind: SpanKind.CLIENT, attributes }, parent);
        propagation.inject(trace.setSpan(parent, span), metadata, setter);
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            end(span, status.code, 'client', ADDRESSES && call.getPeer());
            nextStatus(status);
          },
        });
      },
    });
    return call;
  };
};

function wrapServer(handlers) {
  const wrapped = {};
  for (const [name, handler] of Object.entries(handlers)) {
    wrapped[name] = (call, callback) => {
      const method = call.getPath().slice(1);
      const parent = propagation.extract(ROOT_CONTEXT, call.metadata, getter);
      const attributes = { 'rpc.system.name': 'grpc', 'rpc.method': method };
      if (ADDRESSES) Object.assign(attributes, serverAddress(hostAndPort(call.getHost())), peerAddress(hostAndPort(call.getPeer())));
      const span = tracer.startSpan(method, { kind: SpanKind.SERVER, attributes }, parent);
      let done = callback;
      if (callback) {
        done = (error, value) => {
          end(span, error ? (error.code ?? 2) : 0, 'server');
          callback(error, value);
        };
      } else {
        call.on('finish', () => end(span, 0, 'server'));
        call.on('error', (error) => end(span, error.code ?? 2, 'server'));
      }
      return context.with(trace.setSpan(parent, span), () => handler(call, done));
    };
  }
  return wrapped;
}

globalThis.benchTracing = { clientInterceptor, wrapServer };
