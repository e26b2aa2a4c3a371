// The service the gRPC benchmark calls: a unary echo and a server stream, tagged. Built twice:
// with the spanweave plugin (out-spanweave) and without it (out-plain, for no tracing, for
// @opentelemetry/instrumentation-grpc, and for the hand-written minimal tracing of minimal.cjs,
// which it finds in `globalThis.benchTracing`).
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';

type Text = { text: string };
export interface EchoClient extends grpc.Client {
  say(request: Text, callback: (error: grpc.ServiceError | null, reply: Text) => void): grpc.ClientUnaryCall;
  stream(request: { count: number }): grpc.ClientReadableStream<Text>;
}

const definition = protoLoader.loadSync(join(__dirname, '../echo.proto'));
const { bench } = grpc.loadPackageDefinition(definition) as unknown as {
  bench: { Echo: (new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => EchoClient) & { service: grpc.ServiceDefinition } };
};

/** The hand-written minimal tracing (bench/grpc/minimal.cjs), where it is preloaded. */
const handWritten = (globalThis as { benchTracing?: { clientInterceptor(target: string): grpc.Interceptor; wrapServer<T extends object>(handlers: T): T } }).benchTracing;

/** @traced grpc.server */
const echo = {
  say(call: grpc.ServerUnaryCall<Text, Text>, callback: grpc.sendUnaryData<Text>): void {
    callback(null, { text: call.request.text });
  },
  stream(call: grpc.ServerWritableStream<{ count: number }, Text>): void {
    for (let i = 0; i < call.request.count; i++) call.write({ text: 'tick' });
    call.end();
  },
};

export async function startServer(): Promise<number> {
  const server = new grpc.Server();
  server.addService(bench.Echo.service, handWritten ? handWritten.wrapServer(echo) : echo);
  return new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))));
}

export function connect(port: number): EchoClient {
  if (handWritten) return new bench.Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { interceptors: [handWritten.clientInterceptor(`127.0.0.1:${port}`)] });
  /** @traced grpc.client */
  const client = new bench.Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return client;
}
