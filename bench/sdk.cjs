// The SDK the benchmarks record with, preloaded with `--require` when BENCH_SDK=1: a
// NodeTracerProvider (AsyncLocalStorage context, W3C propagation) with a BatchSpanProcessor whose
// exporter drops every batch, so what is measured is the tracing, not the export. BENCH_METRICS=1
// adds a MeterProvider whose reader is never collected: the measurements are aggregated as an
// application's are, and never exported.
if (process.env.BENCH_SDK === '1') {
  const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
  const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
  const dropping = { export: (spans, done) => done({ code: 0 }), shutdown: async () => {}, forceFlush: async () => {} };
  new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropping)] }).register();
}
if (process.env.BENCH_METRICS === '1') {
  const { metrics } = require('@opentelemetry/api');
  const { MeterProvider, MetricReader } = require('@opentelemetry/sdk-metrics');
  class IdleReader extends MetricReader {
    async onShutdown() {}
    async onForceFlush() {}
  }
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [new IdleReader()] }));
}
