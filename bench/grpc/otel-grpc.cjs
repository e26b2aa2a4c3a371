// Preloaded after sdk.cjs for the @opentelemetry/instrumentation-grpc runs: it patches
// @grpc/grpc-js when the benchmark first requires it.
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { GrpcInstrumentation } = require('@opentelemetry/instrumentation-grpc');

registerInstrumentations({ instrumentations: [new GrpcInstrumentation()] });
