// Runs fixtures/grpc's scenarios on its UNTRACED build (plain tsc) under the official
// @opentelemetry/instrumentation-grpc, and prints each scenario's spans as JSON lines.
// Usage: node grpc-oracle.cjs <untraced build dir>
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { GrpcInstrumentation } = require('@opentelemetry/instrumentation-grpc');
const api = require('@opentelemetry/api');
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { W3CTraceContextPropagator } = require('@opentelemetry/core');
const { join } = require('node:path');
const { oracleSpans } = require('./oracle-spans.cjs');

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
api.trace.setGlobalTracerProvider(provider);
api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
registerInstrumentations({ instrumentations: [new GrpcInstrumentation()], tracerProvider: provider });

const out = process.argv[2];
const { startApp } = require(join(out, 'app.js')); // grpc-js is required (and patched) from here on
const { scenarios } = require(join(out, 'scenarios.js'));

(async () => {
  const app = await startApp();
  for (const [name, run] of Object.entries(scenarios)) {
    exporter.reset();
    await run(app);
    await new Promise((resolve) => setTimeout(resolve, 400)); // late server ends, the slow handler
    const spans = oracleSpans(exporter);
    process.stdout.write(JSON.stringify({ scenario: name, spans }) + '\n');
  }
  await app.close();
})();
