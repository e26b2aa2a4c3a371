// The hand-written minimal tracing of the gRPC benchmark, preloaded after sdk.cjs with the untagged
// build: a client interceptor and a server wrapper that do only what the RPC conventions require
// (start and end the two spans, inject and extract the context, set the status), with the same
// SDK. It is the floor any instrumentation of a gRPC call stands on; echo.ts picks it up from
// `globalThis.benchTracing`.
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

function end(span, code, side) {
  span.setAttribute('rpc.status_code', code);
  if (code !== 0 && (side === 'client' || code === 2 || code === 13)) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

const interceptor = (options, nextCall) =>
  new InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      const method = options.method_definition.path.slice(1);
      const parent = context.active();
      const span = tracer.startSpan(method, { kind: SpanKind.CLIENT, attributes: { 'rpc.system.name': 'grpc', 'rpc.method': method } }, parent);
      propagation.inject(trace.setSpan(parent, span), metadata, setter);
      next(metadata, {
        onReceiveStatus(status, nextStatus) {
          end(span, status.code, 'client');
          nextStatus(status);
        },
      });
    },
  });

function wrapServer(handlers) {
  const wrapped = {};
  for (const [name, handler] of Object.entries(handlers)) {
    wrapped[name] = (call, callback) => {
      const method = call.getPath().slice(1);
      const parent = propagation.extract(ROOT_CONTEXT, call.metadata, getter);
      const span = tracer.startSpan(method, { kind: SpanKind.SERVER, attributes: { 'rpc.system.name': 'grpc', 'rpc.method': method } }, parent);
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

globalThis.benchTracing = { interceptor, wrapServer };
