// Runs fixtures/grpc's traced build with a real SDK and, as <mode> says, the official
// @opentelemetry/instrumentation-grpc; prints each step's span tree as JSON (stderr is the test's).
// Usage: node grpc-duplicate.cjs <traced build dir> <mode> <who>
//   mode: none | before (the instrumentation is enabled before grpc-js is loaded) | after (after
//         grpc-js is loaded, before the app) | disabled (enabled, then disabled again) |
//         no-emit-warning (before, in a process without process.emitWarning, with a diag logger)
//   who:  both (tagged clients calling tagged handlers) | server (untagged clients calling tagged
//         handlers) | client (tagged client constructions calling an untagged server) |
//         function (a @traced grpc.client function calling an untagged server)
const api = require('@opentelemetry/api');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { GrpcInstrumentation } = require('@opentelemetry/instrumentation-grpc');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { join } = require('node:path');

const [out, mode, who] = process.argv.slice(2);
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();
const instrument = () => registerInstrumentations({ instrumentations: [new GrpcInstrumentation()], tracerProvider: provider });

if (mode === 'no-emit-warning') {
  process.emitWarning = undefined;
  api.diag.setLogger({ ...new api.DiagConsoleLogger(), warn: (message) => process.stderr.write(`diag warn: ${message}\n`) }, api.DiagLogLevel.WARN);
}
if (mode === 'before' || mode === 'no-emit-warning') instrument();
const grpc = require('@grpc/grpc-js');
if (mode === 'after') instrument();
if (mode === 'disabled') instrument()();

const { startApp } = require(join(out, 'app.js'));
const { connect, getUser, listUsers, track, uploadItems } = require(join(out, 'gateway.js'));
const { fetchUser } = require(join(out, 'calls.js'));
const { listen, shop } = require(join(out, 'proto.js'));

const CALLS = 20;
const times = async (run) => {
  for (let i = 0; i < CALLS; i++) await run();
};

/** `name KIND` lines, children indented under parents; siblings by name, so the order is stable. */
function tree(spans) {
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  const lines = [];
  const walk = (parent, depth) => {
    const children = spans.filter((s) => (parent === undefined ? !ids.has(s.parentSpanContext?.spanId) : s.parentSpanContext?.spanId === parent));
    children.sort((a, b) => a.name.localeCompare(b.name));
    for (const s of children) {
      lines.push(`${'  '.repeat(depth)}${s.name} ${api.SpanKind[s.kind]}`);
      walk(s.spanContext().spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}

(async () => {
  const app = await startApp();
  // An untagged server: this file is not compiled by spanweave.
  const plain = await listen((server) =>
    server.addService(shop.Users.service, { getUser: (call, callback) => callback(null, { id: call.request.id, name: 'Plain' }), listUsers: (call) => call.end() }),
  );
  const steps = {
    both: {
      unary: () => times(() => getUser(app.clients, 'ada')),
      'server streaming': () => listUsers(app.clients, 3),
      'client streaming': () => uploadItems(app.clients, ['book'], 'acme'),
      bidi: () => track(app.clients, ['o1']),
      chain: () => new Promise((resolve) => app.gateway.placeOrder({ userId: 'ada', items: ['book'] }, new grpc.Metadata(), {}, resolve)),
    },
    server: { unary: () => times(() => new Promise((resolve) => app.plainUsers.getUser({ id: 'ada' }, resolve))) },
    client: { unary: () => times(() => getUser(connect({ users: plain.address, orders: plain.address }), 'ada')) },
    function: { unary: () => times(() => fetchUser(new shop.Users(plain.address, grpc.credentials.createInsecure()), 'ada', false)) },
  }[who];
  const trees = {};
  for (const [step, run] of Object.entries(steps)) {
    exporter.reset();
    await run();
    await new Promise((resolve) => setTimeout(resolve, 100)); // server spans end just after the client's
    trees[step] = tree(exporter.getFinishedSpans());
  }
  process.stdout.write(JSON.stringify(trees));
  await app.close();
  plain.server.forceShutdown();
  process.exit(0); // the per-call clients of `client` and `function` keep channels open
})();
