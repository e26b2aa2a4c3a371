import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { WaterfallSpan } from './model.js';
import { addOtlpJsonMetrics, type HistogramSeries } from './metrics.js';
import { fromOtlpJson } from './otlp-json.js';

export interface ReceiverOptions {
  /** Default 127.0.0.1: the receiver is for development and is not meant to be reachable. */
  readonly host?: string;
  /** Default 0: an ephemeral port; read the chosen one from `endpoint`. */
  readonly port?: number;
  /** Called with the spans of each accepted request. */
  readonly onSpans?: (spans: WaterfallSpan[]) => void;
}

export interface WaterfallReceiver {
  /** The value for OTEL_EXPORTER_OTLP_ENDPOINT (with OTEL_EXPORTER_OTLP_PROTOCOL=http/json). */
  readonly endpoint: string;
  /** Every span received so far. */
  spans(): readonly WaterfallSpan[];
  /** Every histogram series received so far, each as its service last reported it. */
  metrics(): readonly HistogramSeries[];
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;
/**
 * A page's OTLP exporter posts JSON from the page's origin, which the browser preflights: every
 * answer allows any origin (the receiver is a development tool on 127.0.0.1; no credentials are
 * allowed), and a preflight gets POST and the headers it asks for.
 */
const CORS = { 'access-control-allow-origin': '*' };

/**
 * An OTLP/HTTP receiver for traces and metrics in JSON, so that services in several processes can
 * show one waterfall and one table: point their standard OTLP exporters at `endpoint` with
 * `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`, then render `spans()` and `metrics()`.
 */
export async function startWaterfallReceiver(options: ReceiverOptions = {}): Promise<WaterfallReceiver> {
  const received: WaterfallSpan[] = [];
  const series = new Map<string, HistogramSeries>();
  const accept: Record<string, (request: unknown) => void> = {
    '/v1/traces': (request) => {
      const spans = fromOtlpJson(request);
      received.push(...spans);
      options.onSpans?.(spans);
    },
    '/v1/metrics': (request) => addOtlpJsonMetrics(series, request),
  };
  const server = createServer((req, res) => {
    const reply = (status: number, body: object): void => {
      res.writeHead(status, { ...CORS, 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const path = req.url?.split('?')[0] ?? '';
    if (req.method === 'OPTIONS' && accept[path] !== undefined) {
      const headers = req.headers['access-control-request-headers'];
      res.writeHead(204, { ...CORS, 'access-control-allow-methods': 'POST', ...(headers && { 'access-control-allow-headers': headers }), 'access-control-max-age': '600' }).end();
      return;
    }
    const handle = req.method === 'POST' ? accept[path] : undefined;
    if (handle === undefined) return reply(404, { message: 'only POST /v1/traces and /v1/metrics are served' });
    if (!req.headers['content-type']?.startsWith('application/json')) {
      return reply(415, { message: 'this receiver reads OTLP/JSON: set OTEL_EXPORTER_OTLP_PROTOCOL=http/json' });
    }
    readBody(req)
      .then((body) => handle(JSON.parse(body)))
      .then(
        () => reply(200, {}),
        (error: Error) => reply(400, { message: error.message }),
      );
  });
  await listen(server, options.host ?? '127.0.0.1', options.port ?? 0);
  const { address, port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    spans: () => received,
    metrics: () => [...series.values()],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

/** The request body as text, gunzipped if need be; rejects (and stops reading) past MAX_BODY_BYTES. */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`request body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      try {
        const body = Buffer.concat(chunks);
        resolve((req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8'));
      } catch (error) {
        reject(error);
      }
    });
  });
}
