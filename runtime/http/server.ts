import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import { context, propagation, trace, SpanKind, SpanStatusCode } from '../api.js';
import { bounded, errorType, evaluateAttributes, merged, pick, safeString, type AttributeSource } from '../attributes.js';
import { carrierGetter } from '../carriers.js';
import { startDuration, type Duration } from '../metrics.js';
import { endSpan, sdkSafely, withContext } from '../span.js';
import { activeTracer } from '../tracer.js';
import type { HttpServerOptions } from './options.js';
import { headerAttributes, methodAttributes, SERVER_METRIC_ATTRIBUTES, serverAttributes, spanName } from './semconv.js';

/** The parts of a node:http `IncomingMessage` (or Express request) the runtime reads. */
interface NodeRequest {
  readonly method?: string;
  readonly url?: string;
  readonly headers: Record<string, unknown>;
  readonly httpVersion?: string;
  readonly socket?: { remoteAddress?: string; remotePort?: number; encrypted?: boolean };
}

/** The parts of a node:http `ServerResponse` the runtime reads. */
interface NodeResponse {
  readonly statusCode: number;
  readonly writableFinished?: boolean;
  once(event: 'finish' | 'close', listener: () => void): unknown;
}

/** The parts of a fetch `Request` and `Response` the runtime reads. */
interface FetchRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: { get(name: string): string | null };
}

/**
 * Runs an HTTP server handler's body inside a SERVER span whose parent is the context in the
 * request headers. Node style `(req, res)`: the span ends when the response finishes or the
 * connection closes first. Fetch style `(request) => Response`: it ends when the body returns
 * its Response (or the promise of one) settles. A throw or rejection is recorded and passed on
 * unchanged. With no SDK registered, or a request of neither shape, the body runs as it is.
 */
export function serve<T>(name: string | undefined, request: unknown, response: unknown, body: () => T, attributes?: AttributeSource, options?: HttpServerOptions): T {
  const tracer = activeTracer();
  if (tracer === undefined) return body();
  const shape = isNodeExchange(request, response) ? 'node' : isFetchRequest(request) ? 'fetch' : undefined;
  if (shape === undefined) return body();
  const exchange = sdkSafely(() => new ServerExchange(tracer, name, shape === 'node' ? nodeRequestFacts(request as NodeRequest) : fetchRequestFacts(request as FetchRequest), attributes, options));
  if (exchange === undefined) return body();
  if (shape === 'node') exchange.watch(response as NodeResponse);
  // A fetch-style handler that throws has no Response: its span ends with the error. A node
  // response still ends the span when it finishes (a framework may answer the error).
  const fail = (error: unknown): void => {
    exchange.fail(error);
    if (shape === 'fetch') exchange.respond(undefined);
  };
  let result: T;
  try {
    result = withContext(exchange.context, body);
  } catch (error) {
    fail(error);
    throw error;
  }
  if (result instanceof Promise) {
    return result.then(
      (value: unknown) => {
        if (shape === 'fetch') exchange.respond(value);
        return value;
      },
      (error: unknown) => {
        fail(error);
        throw error;
      },
    ) as T;
  }
  if (shape === 'fetch') exchange.respond(result);
  return result;
}

interface RequestFacts {
  readonly headers: unknown;
  readonly attributes: Attributes;
}

function nodeRequestFacts(request: NodeRequest): RequestFacts {
  const socket = request.socket;
  const scheme = socket?.encrypted ? 'https' : 'http';
  const host = carrierGetter.get(request.headers, 'host');
  const url = parseUrl(`${scheme}://${typeof host === 'string' ? host : 'localhost'}${typeof request.url === 'string' ? request.url : '/'}`);
  const attributes = methodAttributes(request.method);
  attributes['url.scheme'] = scheme;
  if (url) Object.assign(attributes, { 'url.path': bounded(url.pathname) }, typeof host === 'string' ? serverAttributes(url) : {});
  if (typeof request.httpVersion === 'string') attributes['network.protocol.version'] = request.httpVersion;
  if (typeof socket?.remoteAddress === 'string') attributes['network.peer.address'] = socket.remoteAddress;
  if (typeof socket?.remotePort === 'number') attributes['network.peer.port'] = socket.remotePort;
  return { headers: request.headers, attributes };
}

function fetchRequestFacts(request: FetchRequest): RequestFacts {
  const url = parseUrl(request.url);
  const attributes: Attributes = methodAttributes(request.method);
  if (url) Object.assign(attributes, { 'url.scheme': url.protocol.replace(/:$/, ''), 'url.path': bounded(url.pathname) }, serverAttributes(url));
  return { headers: request.headers, attributes };
}

class ServerExchange {
  readonly context: Context;
  private readonly span: Span;
  private readonly duration: Duration | undefined;
  private ended = false;
  /** The `error.type` of a throw or rejection. */
  private failure: string | undefined;
  private finished = false;

  constructor(tracer: Tracer, name: string | undefined, facts: RequestFacts, attributes: AttributeSource | undefined, options: HttpServerOptions | undefined) {
    const active = context.active();
    const incoming = attempt(() => propagation.extract(active, facts.headers, carrierGetter)) ?? active;
    const remote = trace.getSpanContext(incoming);
    const route = options?.route !== undefined && { 'http.route': options.route };
    const spanAttributes = merged(
      facts.attributes,
      route,
      headerAttributes((header) => carrierGetter.get(facts.headers, header), options?.headers),
      attributes && evaluateAttributes(attributes),
    );
    const untrusted = options?.public === true;
    this.span = tracer.startSpan(
      name ?? spanName(facts.attributes, options?.route),
      { kind: SpanKind.SERVER, attributes: spanAttributes, root: untrusted, links: untrusted && remote && trace.isSpanContextValid(remote) ? [{ context: remote }] : undefined },
      incoming,
    );
    this.context = trace.setSpan(incoming, this.span);
    this.duration = startDuration('http.server.request.duration', () => merged(pick(facts.attributes, SERVER_METRIC_ATTRIBUTES), route));
  }

  /** Node style: the exchange ends with the response, or with the connection if that closes first. */
  watch(response: NodeResponse): void {
    response.once('finish', () => {
      this.finished = true;
      this.end(response.statusCode);
    });
    response.once('close', () => this.end(response.statusCode, this.finished || response.writableFinished === true ? undefined : 'connection closed before the response finished'));
  }

  /** Fetch style: the handler's Response. */
  respond(value: unknown): void {
    const status = typeof value === 'object' && value !== null ? (value as { status?: unknown }).status : undefined;
    this.end(typeof status === 'number' ? status : undefined);
  }

  /** A throw or rejection: recorded now; a node response still ends the span when it finishes. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = errorType(error);
    try {
      this.span.recordException(error instanceof Error ? error : bounded(safeString(error)));
      this.span.setAttribute('error.type', this.failure);
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: bounded(error instanceof Error ? safeString(error.message) : safeString(error)) });
    } catch {
      // a hostile error object: the status may be missing, the span still ends
    }
  }

  private end(statusCode: number | undefined, closedEarly?: string): void {
    if (this.ended) return;
    this.ended = true;
    const outcome: Attributes = statusCode === undefined ? {} : { 'http.response.status_code': statusCode };
    if (this.failure !== undefined) {
      outcome['error.type'] = this.failure;
    } else if (closedEarly !== undefined) {
      outcome['error.type'] = 'connection_closed';
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: closedEarly });
    } else if (statusCode !== undefined && statusCode >= 500) {
      outcome['error.type'] = String(statusCode);
      this.span.setStatus({ code: SpanStatusCode.ERROR });
    }
    this.span.setAttributes(outcome);
    endSpan(this.span);
    this.duration?.record(outcome, this.context);
  }
}

function isNodeExchange(request: unknown, response: unknown): boolean {
  return (
    typeof request === 'object' && request !== null && typeof (request as NodeRequest).headers === 'object' && (request as NodeRequest).headers !== null &&
    typeof response === 'object' && response !== null && typeof (response as NodeResponse).once === 'function'
  );
}

function isFetchRequest(request: unknown): boolean {
  return typeof request === 'object' && request !== null && typeof (request as FetchRequest).url === 'string' && typeof (request as FetchRequest).headers?.get === 'function';
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function attempt<T>(question: () => T): T | undefined {
  try {
    return question();
  } catch {
    return undefined;
  }
}
