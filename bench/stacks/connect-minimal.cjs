// A hand-written tracing for Connect, as a Connect user would write it (Connect-ES has no
// OpenTelemetry instrumentation): one interceptor for clients and one for servers that start and
// end the span, inject or extract the context and set the status, with the benchmark's SDK.
const { context, propagation, trace, ROOT_CONTEXT, SpanKind, SpanStatusCode } = require('@opentelemetry/api');

const tracer = trace.getTracer('connect-minimal');
const headersSetter = { set: (headers, key, value) => headers.set(key, value) };
const headersGetter = { keys: (headers) => [...headers.keys()], get: (headers, key) => headers.get(key) ?? undefined };
const SERVER_ERRORS = new Set([2, 4, 12, 13, 14, 15]);

function start(request, kind, parent) {
  const method = `${request.service.typeName}/${request.method.name}`;
  return tracer.startSpan(method, { kind, attributes: { 'rpc.system.name': 'connectrpc', 'rpc.method': method } }, parent);
}

function end(span, code, side) {
  span.setAttribute('rpc.status_code', code);
  if (code !== 0 && (side === 'client' || SERVER_ERRORS.has(code))) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

async function traced(span, side, next) {
  try {
    const response = await next();
    end(span, 0, side);
    return response;
  } catch (error) {
    end(span, typeof error?.code === 'number' ? error.code : 2, side);
    throw error;
  }
}

const clientInterceptor = (next) => (request) => {
  const parent = context.active();
  const span = start(request, SpanKind.CLIENT, parent);
  propagation.inject(trace.setSpan(parent, span), request.header, headersSetter);
  return traced(span, 'client', () => next(request));
};

const serverInterceptor = (next) => (request) => {
  const parent = propagation.extract(ROOT_CONTEXT, request.header, headersGetter);
  const span = start(request, SpanKind.SERVER, parent);
  return context.with(trace.setSpan(parent, span), () => traced(span, 'server', () => next(request)));
};

module.exports = { clientInterceptor, serverInterceptor };
