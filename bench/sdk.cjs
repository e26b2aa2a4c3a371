// The SDK the benchmarks record with, preloaded with `--require` when BENCH_SDK=1: a
// NodeTracerProvider (AsyncLocalStorage context, W3C propagation) with a BatchSpanProcessor whose
// exporter drops every batch, so what is measured is the tracing, not the export.
if (process.env.BENCH_SDK === '1') {
  const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
  const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
  const dropping = { export: (spans, done) => done({ code: 0 }), shutdown: async () => {}, forceFlush: async () => {} };
  new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropping)] }).register();
}
