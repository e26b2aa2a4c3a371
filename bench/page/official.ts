// The official setup of OpenTelemetry's browser documentation: the same web SDK, processor and
// exporter, zone.js for the context across awaits (ZoneContextManager) and fetch instrumentation.
import { ZoneContextManager } from '@opentelemetry/context-zone';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { FetchInstrumentation } from '@opentelemetry/instrumentation-fetch';
import { BatchSpanProcessor, WebTracerProvider } from '@opentelemetry/sdk-trace-web';
import { start } from './app';

const exporter = new OTLPTraceExporter({ url: 'http://127.0.0.1:4318/v1/traces' });
new WebTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] }).register({ contextManager: new ZoneContextManager() });
registerInstrumentations({ instrumentations: [new FetchInstrumentation()] });
start();
