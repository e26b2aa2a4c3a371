// One traced unary call of fixtures/grpc's compiled build, with whatever OTEL_SEMCONV_STABILITY_OPT_IN
// the parent set (the runtime reads it at load); prints the CLIENT and SERVER span attributes.
// Usage: node grpc-dup.cjs <traced build dir>
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { join } = require('node:path');

const exporter = new InMemorySpanExporter();
new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
const out = process.argv[2];
const { startApp } = require(join(out, 'app.js'));
const { getUser } = require(join(out, 'gateway.js'));

(async () => {
  const app = await startApp();
  await getUser(app.clients, 'nobody').catch(() => undefined);
  await app.close();
  const spans = Object.fromEntries(exporter.getFinishedSpans().map((s) => [s.kind === 1 ? 'server' : 'client', s.attributes]));
  process.stdout.write(JSON.stringify(spans));
})();
