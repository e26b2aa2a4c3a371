import { warnOnce } from '../process-warning.js';

const MESSAGE =
  'spanweave: @opentelemetry/instrumentation-grpc also traces @grpc/grpc-js, so each RPC through a spanweave gRPC ' +
  'tag is traced twice: a @traced grpc.client call gets two CLIENT spans, a @traced grpc.server handler two SERVER ' +
  'spans ("pkg.Service/Method" from spanweave, "grpc.pkg.Service/Method" from the instrumentation). Keep one: ' +
  "disable the instrumentation (getNodeAutoInstrumentations({ '@opentelemetry/instrumentation-grpc': { enabled: " +
  "false } })) or remove the grpc.server and grpc.client tags.";

let checked = false;

/**
 * Warns once if another instrumentation traces grpc-js too. Called at every RPC spanweave traces
 * (an SDK is registered by then); only the first call looks. instrumentation-grpc wraps
 * `Server.prototype.register` and `Client.prototype.make*Request` with shimmer, which marks each
 * wrapper and puts the original back when the instrumentation is disabled. Prototypes, unlike
 * the module's exports, are the same objects under require and import. grpc-js is imported
 * here, once, rather than at load: the server side of spanweave/runtime/rpc serves stacks
 * without grpc-js too (Connect), and must load where it is not installed.
 */
export function checkDuplicateInstrumentation(): void {
  if (checked) return;
  checked = true;
  import('@grpc/grpc-js').then((grpc) => warnIfWrapped(grpc.Server ? grpc : (grpc as unknown as { default: GrpcJs }).default), () => undefined);
}

type GrpcJs = typeof import('@grpc/grpc-js');

function warnIfWrapped({ Client, Server }: GrpcJs): void {
  if (isWrapped(Server.prototype.register) || isWrapped(Client.prototype.makeUnaryRequest)) warnOnce('duplicate grpc', 'SPANWEAVE_DUPLICATE_GRPC', () => MESSAGE);
}

function isWrapped(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as { __wrapped?: unknown }).__wrapped === true;
}
