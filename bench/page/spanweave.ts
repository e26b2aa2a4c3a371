// spanweave's setup, as README's Browser section gives it: the web SDK with its StackContextManager
// (no zone.js), a batch processor and the OTLP/HTTP exporter; the tags in app.ts do the rest.
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor, StackContextManager, WebTracerProvider } from '@opentelemetry/sdk-trace-web';
import { start } from './app';

const exporter = new OTLPTraceExporter({ url: 'http://127.0.0.1:4318/v1/traces' });
new WebTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] }).register({ contextManager: new StackContextManager() });
start();
