// The spans an oracle child (grpc-oracle.cjs, stacks-oracle.cjs) prints for one scenario: what the
// comparisons read, with the older conventions' integer status that the other tracers record.
module.exports.oracleSpans = (exporter) =>
  exporter.getFinishedSpans().map((s) => ({
    name: s.name,
    kind: s.kind,
    spanId: s.spanContext().spanId,
    parentSpanId: s.parentSpanContext?.spanId,
    traceId: s.spanContext().traceId,
    status: s.status.code,
    code: s.attributes['rpc.grpc.status_code'],
    attributes: s.attributes,
    events: s.events.map((event) => event.name),
    start: s.startTime,
  }));
