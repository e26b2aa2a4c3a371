import { errorMonitor } from 'node:events';
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import { context, propagation, trace, SpanKind, SpanStatusCode } from '../api.js';
import { errorType, pick } from '../attributes.js';
import { carrierSetter } from '../carriers.js';
import { startDuration, type Duration } from '../metrics.js';
import { endSpan, endWithError, sdkSafely } from '../span.js';
import { activeTracer } from '../tracer.js';
import { CLIENT_METRIC_ATTRIBUTES, methodAttributes, redactedUrl, serverAttributes, spanName } from './semconv.js';

type AnyFunction = (...args: unknown[]) => unknown;

/**
 * `fetch(input, init)` in a function tagged `@traced http.client`: a CLIENT span, its context in
 * a copy of the request headers (the caller's objects are not touched), ended when the response
 * headers arrive or the request fails. Resolves to the very Response, rejects with the very error.
 */
export function fetch(fetchFn: unknown, ...args: unknown[]): unknown {
  const tracer = activeTracer();
  if (tracer === undefined) return (fetchFn as AnyFunction)(...args);
  const [input, init] = args as [unknown, Record<string, unknown> | undefined];
  const request = typeof Request === 'function' && input instanceof Request ? input : undefined;
  const url = parseUrl(request ? request.url : input);
  const method = (typeof init?.method === 'string' ? init.method : undefined) ?? request?.method ?? 'GET';
  const exchange = sdkSafely(() => startClientSpan(tracer, method, url));
  if (exchange === undefined) return (fetchFn as AnyFunction)(...args);
  const headers = new Headers((init?.headers ?? request?.headers) as ConstructorParameters<typeof Headers>[0]);
  propagation.inject(exchange.context, headers, carrierSetter);
  const tracedArgs = [input, { ...init, headers }, ...args.slice(2)];

  let result: unknown;
  try {
    result = (fetchFn as AnyFunction)(...tracedArgs);
  } catch (error) {
    fail(exchange, error);
    throw error;
  }
  if (!(result instanceof Promise)) {
    end(exchange, undefined);
    return result;
  }
  return result.then(
    (response: unknown) => {
      const status = (response as { status?: unknown } | null)?.status;
      end(exchange, typeof status === 'number' ? status : undefined);
      return response;
    },
    (error: unknown) => {
      fail(exchange, error);
      throw error;
    },
  );
}

/** The parts of a node:http `ClientRequest` and `IncomingMessage` the runtime reads. */
interface ClientRequestLike {
  on(event: string | symbol, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
}

/**
 * `http.request(...)` / `http.get(...)` (or https) in a function tagged `@traced http.client`: a
 * CLIENT span, its context in a copy of the options' headers, ended when the response ends or the
 * request fails. Errors are observed through `errorMonitor`, so an error the caller does not
 * handle stays unhandled; the caller's response callback runs in the caller's context.
 */
export function request(requestFn: unknown, ...args: unknown[]): unknown {
  const tracer = activeTracer();
  if (tracer === undefined) return (requestFn as AnyFunction)(...args);
  const urlFirst = typeof args[0] === 'string' || args[0] instanceof URL;
  const optionsIndex = urlFirst ? 1 : 0;
  const given = args[optionsIndex];
  const options = typeof given === 'object' && given !== null ? (given as Record<string, unknown>) : undefined;
  const url = urlFirst ? parseUrl(args[0]) : urlOfOptions(options);
  const exchange = sdkSafely(() => startClientSpan(tracer, typeof options?.method === 'string' ? options.method : 'GET', url));
  if (exchange === undefined) return (requestFn as AnyFunction)(...args);
  const injected: Record<string, string> = {};
  propagation.inject(exchange.context, injected, carrierSetter);
  const tracedOptions = { ...options, headers: withHeaders(options?.headers, injected) };
  const tracedArgs = [...args];
  if (options) tracedArgs[optionsIndex] = tracedOptions;
  else tracedArgs.splice(optionsIndex, 0, tracedOptions);

  let sent: ClientRequestLike;
  try {
    sent = (requestFn as AnyFunction)(...tracedArgs) as ClientRequestLike;
  } catch (error) {
    fail(exchange, error);
    throw error;
  }
  let ended = false;
  const once = (finish: () => void): void => {
    if (ended) return;
    ended = true;
    finish();
  };
  let responded = false;
  sent.once('response', (response: ClientRequestLike & { statusCode?: number }) => {
    responded = true;
    const status = response.statusCode;
    const endResponse = () => once(() => end(exchange, status));
    response.once('end', endResponse);
    response.once('close', endResponse);
  });
  sent.on(errorMonitor, (error: unknown) => once(() => fail(exchange, error)));
  sent.once('close', () => {
    if (!responded) once(() => fail(exchange, new Error('the request closed before a response arrived')));
  });
  return sent;
}

interface ClientExchange {
  readonly span: Span;
  readonly context: Context;
  readonly duration: Duration | undefined;
}

function startClientSpan(tracer: Tracer, method: string, url: URL | undefined): ClientExchange {
  const attributes: Attributes = methodAttributes(method);
  if (url) Object.assign(attributes, serverAttributes(url), { 'url.full': redactedUrl(url) });
  const parent = context.active();
  const span = tracer.startSpan(spanName(attributes, undefined), { kind: SpanKind.CLIENT, attributes }, parent);
  return { span, context: trace.setSpan(parent, span), duration: startDuration('http.client.request.duration', () => pick(attributes, CLIENT_METRIC_ATTRIBUTES)) };
}

/** A response: its status code; 4xx and 5xx are errors for a client. */
function end(exchange: ClientExchange, status: number | undefined): void {
  const outcome: Attributes = {};
  if (status !== undefined) {
    outcome['http.response.status_code'] = status;
    if (status >= 400) {
      outcome['error.type'] = String(status);
      exchange.span.setStatus({ code: SpanStatusCode.ERROR });
    }
  }
  exchange.span.setAttributes(outcome);
  endSpan(exchange.span);
  exchange.duration?.record(outcome, exchange.context);
}

function fail(exchange: ClientExchange, error: unknown): void {
  const outcome = { 'error.type': errorType(error) };
  exchange.span.setAttributes(outcome);
  endWithError(exchange.span, error);
  exchange.duration?.record(outcome, exchange.context);
}

/** The caller's headers (an object or node's flat `[name, value, ...]` array) plus the injected ones. */
function withHeaders(headers: unknown, injected: Record<string, string>): unknown {
  if (Array.isArray(headers)) return [...headers, ...Object.entries(injected).flat()];
  return { ...(typeof headers === 'object' && headers !== null ? headers : {}), ...injected };
}

function urlOfOptions(options: Record<string, unknown> | undefined): URL | undefined {
  if (options === undefined) return undefined;
  const protocol = typeof options.protocol === 'string' ? options.protocol : 'http:';
  const host = options.hostname ?? options.host ?? 'localhost';
  const port = options.port === undefined ? '' : `:${String(options.port)}`;
  const path = typeof options.path === 'string' ? options.path : '/';
  return parseUrl(`${protocol}//${String(host)}${port}${path}`);
}

function parseUrl(value: unknown): URL | undefined {
  try {
    return value instanceof URL ? value : typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    return undefined;
  }
}
