import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import { context, propagation, trace, SpanKind, SpanStatusCode } from '../api.js';
import { errorType, pick } from '../attributes.js';
import { headersSetter } from '../headers.js';
import { startDuration, type Duration } from '../metrics.js';
import { endSpan, endWithError, sdkSafely } from '../span.js';
import { activeTracer } from '../tracer.js';
import { carriesTraceHeaders } from '../trace-header-origins.js';
import { CLIENT_METRIC_ATTRIBUTES, methodAttributes, redactedUrl, serverAttributes, spanName } from './semconv.js';

type AnyFunction = (...args: unknown[]) => unknown;

/**
 * `fetch(input, init)` in a function tagged `@traced http.client`: a CLIENT span, its context in
 * a copy of the request headers (the caller's objects are not touched; in a page, for the origins
 * trace-header-origins.ts allows), ended when the response headers arrive or the request fails.
 * Resolves to the very Response, rejects with the very error.
 */
export function fetch(fetchFn: unknown, ...args: unknown[]): unknown {
  const tracer = activeTracer();
  if (tracer === undefined) return (fetchFn as AnyFunction)(...args);
  const [input, init] = args as [unknown, Record<string, unknown> | undefined];
  const request = typeof Request === 'function' && input instanceof Request ? input : undefined;
  const url = parseUrl(request ? request.url : input, pageAddress());
  const method = (typeof init?.method === 'string' ? init.method : undefined) ?? request?.method ?? 'GET';
  const exchange = sdkSafely(() => startClientSpan(tracer, method, url));
  if (exchange === undefined) return (fetchFn as AnyFunction)(...args);
  let tracedArgs = args;
  if (carriesTraceHeaders(url)) {
    const headers = new Headers((init?.headers ?? request?.headers) as ConstructorParameters<typeof Headers>[0]);
    propagation.inject(exchange.context, headers, headersSetter);
    tracedArgs = [input, { ...init, headers }, ...args.slice(2)];
  }

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

export interface ClientExchange {
  readonly span: Span;
  readonly context: Context;
  readonly duration: Duration | undefined;
}

export function startClientSpan(tracer: Tracer, method: string, url: URL | undefined): ClientExchange {
  const attributes: Attributes = methodAttributes(method);
  if (url) Object.assign(attributes, serverAttributes(url), { 'url.full': redactedUrl(url) });
  const parent = context.active();
  const span = tracer.startSpan(spanName(attributes, undefined), { kind: SpanKind.CLIENT, attributes }, parent);
  return { span, context: trace.setSpan(parent, span), duration: startDuration('http.client.request.duration', () => pick(attributes, CLIENT_METRIC_ATTRIBUTES)) };
}

/** A response: its status code; 4xx and 5xx are errors for a client. */
export function end(exchange: ClientExchange, status: number | undefined): void {
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

export function fail(exchange: ClientExchange, error: unknown): void {
  const outcome = { 'error.type': errorType(error) };
  exchange.span.setAttributes(outcome);
  endWithError(exchange.span, error);
  exchange.duration?.record(outcome, exchange.context);
}

/** Where a page's (or a worker's) relative fetch URL resolves from; none in Node. */
function pageAddress(): string | undefined {
  return (globalThis as { location?: { href?: string } }).location?.href;
}

export function parseUrl(value: unknown, base?: string): URL | undefined {
  try {
    return value instanceof URL ? value : typeof value === 'string' ? new URL(value, base) : undefined;
  } catch {
    return undefined;
  }
}
