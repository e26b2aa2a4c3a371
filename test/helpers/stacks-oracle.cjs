// Runs fixtures/stacks's scenarios on its UNTRACED build (plain tsc) under what traces that stack
// without spanweave, and prints each scenario's spans as JSON lines:
// - nice-grpc: nice-grpc-opentelemetry's server and client middleware;
// - nestjs: @opentelemetry/instrumentation-grpc, patching the grpc-js that Nest runs on.
// Usage: node stacks-oracle.cjs <untraced build dir> <nice-grpc|nestjs>
const api = require('@opentelemetry/api');
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { W3CTraceContextPropagator } = require('@opentelemetry/core');
const { join } = require('node:path');
const { oracleSpans } = require('./oracle-spans.cjs');

const [out, stack] = process.argv.slice(2);
if (!out || (stack !== 'nice-grpc' && stack !== 'nestjs')) {
  process.stderr.write('usage: node stacks-oracle.cjs <untraced build dir> <nice-grpc|nestjs>\n');
  process.exit(2);
}

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
api.trace.setGlobalTracerProvider(provider);
api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());

/** The stack's server and driver, traced by the stack's own instrumentation. */
async function start() {
  if (stack === 'nice-grpc') {
    const { openTelemetryClientMiddleware, openTelemetryServerMiddleware } = require('nice-grpc-opentelemetry');
    const nice = require(join(out, 'nice.js'));
    const server = await nice.startServer(undefined, { middleware: openTelemetryServerMiddleware() });
    return { server, driver: nice.driver(server.address, { middleware: openTelemetryClientMiddleware() }) };
  }
  const { registerInstrumentations } = require('@opentelemetry/instrumentation');
  const { GrpcInstrumentation } = require('@opentelemetry/instrumentation-grpc');
  registerInstrumentations({ instrumentations: [new GrpcInstrumentation()], tracerProvider: provider });
  const nest = require(join(out, 'nest.js')); // grpc-js is required (and patched) from here on
  const server = await nest.startServer();
  return { server, driver: nest.driver(server.address) };
}

(async () => {
  const { server, driver } = await start();
  const { scenarios } = require(join(out, 'scenarios.js'));
  for (const [name, run] of Object.entries(scenarios)) {
    exporter.reset();
    await run(driver);
    await new Promise((resolve) => setTimeout(resolve, 400)); // late server ends, the slow handler
    const spans = oracleSpans(exporter);
    process.stdout.write(JSON.stringify({ scenario: name, spans }) + '\n');
  }
  driver.close();
  await server.close();
})().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
