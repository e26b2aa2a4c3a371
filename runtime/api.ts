import * as api from '@opentelemetry/api';

/**
 * The members of @opentelemetry/api the runtime uses on every call, read once. The API's
 * CommonJS build exports them through getters, and a getter per use is a measurable part of a
 * traced call.
 */
export const context = api.context;
export const trace = api.trace;
export const diag = api.diag;
export const ProxyTracerProvider = api.ProxyTracerProvider;
export const SpanKind = api.SpanKind;
export const SpanStatusCode = api.SpanStatusCode;
export const propagation = api.propagation;
