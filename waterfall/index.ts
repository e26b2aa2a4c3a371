/**
 * spanweave/waterfall: a development trace viewer with no backend. A SpanExporter that prints
 * each trace as a terminal waterfall and writes one self-contained HTML page of them, and an
 * OTLP/JSON receiver that gathers the spans and duration metrics of services running in other
 * processes, with a table of each service's operations.
 */
export { WaterfallExporter, type WaterfallOptions } from './exporter.js';
export { startWaterfallReceiver, type ReceiverOptions, type WaterfallReceiver } from './receiver.js';
export { renderTerminal, type TerminalOptions } from './terminal.js';
export { renderHtml, type HtmlOptions } from './html.js';
export { fromReadableSpan, type WaterfallSpan } from './model.js';
export { fromOtlpJson } from './otlp-json.js';
export { operationRows, renderMetricsTable, type HistogramSeries, type OperationRow } from './metrics.js';
