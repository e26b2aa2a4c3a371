/**
 * Which generation of the RPC and messaging semantic conventions to emit. The current conventions
 * by default; `OTEL_SEMCONV_STABILITY_OPT_IN` (the variable the OpenTelemetry JS packages read)
 * adds the older attributes beside them, for dashboards in transition: `rpc/dup` those that
 * @opentelemetry/instrumentation-grpc emits, `messaging/dup` the deprecated messaging ones
 * (`messaging.system` and its older values). Read once, at load, as the OpenTelemetry packages do.
 */
function readStabilityOptIn(): readonly string[] {
  // Through globalThis: a page has no `process`, and the runtime compiles without Node's types.
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.OTEL_SEMCONV_STABILITY_OPT_IN;
  return (env ?? '').split(',').map((value) => value.trim());
}

const OPT_IN = readStabilityOptIn();
export const EMIT_OLD_RPC_CONVENTIONS = OPT_IN.includes('rpc/dup');
export const EMIT_OLD_MESSAGING_CONVENTIONS = OPT_IN.includes('messaging/dup');
