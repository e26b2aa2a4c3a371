// Preloaded into a child process with `node --import <this file> <program>`: registers a real
// OpenTelemetry SDK (BasicTracerProvider, in-memory exporter, AsyncLocalStorage context) the way an
// ES module program would, and when the process exits prints every finished span as one JSON line:
// {"spans":[{name, kind, traceId, spanId, parentSpanId, attributes, status, startTime}, ...]}.
import { writeSync } from 'node:fs';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

const exporter = new InMemorySpanExporter();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));

process.once('exit', () => {
  const spans = exporter.getFinishedSpans().map((span) => ({
    name: span.name,
    kind: span.kind,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    attributes: span.attributes,
    status: span.status,
    startTime: span.startTime,
  }));
  writeSync(1, `${JSON.stringify({ spans })}\n`);
});
