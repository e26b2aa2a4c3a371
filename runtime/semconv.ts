/**
 * Which generation of the RPC semantic conventions to emit. The current conventions by default;
 * `OTEL_SEMCONV_STABILITY_OPT_IN=rpc/dup` (the variable the OpenTelemetry JS packages read) adds
 * the older attributes that @opentelemetry/instrumentation-grpc emits, for dashboards in
 * transition. Read once, at load, as the OpenTelemetry packages do.
 */
function readStabilityOptIn(): readonly string[] {
  const env = typeof process === 'object' ? process.env?.OTEL_SEMCONV_STABILITY_OPT_IN : undefined;
  return (env ?? '').split(',').map((value) => value.trim());
}

export const EMIT_OLD_RPC_CONVENTIONS = readStabilityOptIn().includes('rpc/dup');
