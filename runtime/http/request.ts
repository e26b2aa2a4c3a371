import { errorMonitor } from 'node:events';
import { propagation } from '../api.js';
import { carrierSetter } from '../carriers.js';
import { sdkSafely } from '../span.js';
import { activeTracer } from '../tracer.js';
import { end, fail, parseUrl, startClientSpan } from './client.js';

type AnyFunction = (...args: unknown[]) => unknown;

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

