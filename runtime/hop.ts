import type { Attributes, Context, Link, Tracer } from '@opentelemetry/api';
import { context, diag, propagation, trace, SpanKind } from './api.js';
import { evaluateAttributes, pick, type AttributeSource } from './attributes.js';
import { carrierGetter, carrierSetter, isFlatList, sqsAttributesSetter } from './carriers.js';
import { destinationName, hopAttributes, METRIC_ATTRIBUTES, nameRoutingKey, systemName } from './messaging-conventions.js';
import { startDuration } from './metrics.js';
import type { ActiveSpan } from './span.js';

/**
 * A message or custom-protocol hop, from `@traced producer into=<expr>` or
 * `@traced consumer from=<expr> [public] [system=<name>] [destination=<expr>]`: `carrier` and
 * `destination` evaluate their expressions in the function; `named` says the tag gave `name=`.
 */
export interface Hop {
  readonly kind: 'producer' | 'consumer';
  readonly carrier: () => unknown;
  readonly public?: boolean;
  readonly system?: string;
  readonly destination?: () => unknown;
  readonly named?: boolean;
}

/**
 * A producer's PRODUCER span, its context injected into the carrier; or a consumer's CONSUMER
 * span continuing the context in the carrier. A consumer given a batch (an array of carriers)
 * keeps the active context as parent and links every message's context, as the messaging
 * conventions say; a `public` consumer links instead of continuing. A carrier that is missing,
 * throws or holds no valid context starts a new trace; nothing reaches the traced function.
 */
export function startHopSpan(tracer: Tracer, functionName: string, attributes: AttributeSource | undefined, hop: Hop): ActiveSpan {
  const active = context.active();
  const carrier = evaluate(hop.carrier, hop.kind === 'producer' ? 'into=' : 'from=');
  const system = hop.system === undefined ? undefined : systemName(hop.system);
  const spanAttributes = hopAttributes(hop.kind, system);
  const given = attributes && evaluateAttributes(attributes);
  const destination = hop.destination && destinationName(system, evaluate(hop.destination, 'destination='), given);
  if (destination !== undefined) spanAttributes['messaging.destination.name'] = destination;
  if (given) Object.assign(spanAttributes, given);
  if (system === 'rabbitmq') nameRoutingKey(spanAttributes);
  // The conventions' name, `{operation} {destination}`, where the tag names a destination and no span name.
  const name = hop.destination !== undefined && !hop.named && spanAttributes['messaging.destination.name'] !== undefined ? `${String(spanAttributes['messaging.operation.name'])} ${String(spanAttributes['messaging.destination.name'])}` : functionName;
  if (hop.kind === 'producer') {
    const span = tracer.startSpan(name, { kind: SpanKind.PRODUCER, attributes: spanAttributes }, active);
    const spanContext = trace.setSpan(active, span);
    const duration = startDuration('messaging.client.operation.duration', () => pick(spanAttributes, METRIC_ATTRIBUTES));
    try {
      propagation.inject(spanContext, carrier, system === 'aws.sqs' ? sqsAttributesSetter : carrierSetter);
    } catch (error) {
      diag.debug('spanweave: injecting into a producer carrier failed', error);
    }
    return { span, context: spanContext, duration };
  }
  const batch = isBatch(carrier);
  const incoming = batch ? carrier.map((message) => extracted(active, message)) : [extracted(active, carrier)];
  const links: Link[] = [];
  for (const message of incoming) {
    const remote = trace.getSpanContext(message);
    if (remote !== undefined && trace.isSpanContextValid(remote)) links.push({ context: remote });
  }
  if (batch) spanAttributes['messaging.batch.message_count'] = carrier.length;
  const continued = !batch && hop.public !== true;
  const parent = continued ? incoming[0]! : active;
  const span = tracer.startSpan(name, { kind: SpanKind.CONSUMER, attributes: spanAttributes, root: hop.public === true, links: continued ? undefined : links }, parent);
  return { span, context: trace.setSpan(parent, span), duration: startDuration('messaging.process.duration', () => pick(spanAttributes, METRIC_ATTRIBUTES)) };
}

/** A tag's expression; one that throws reads as undefined (no context carried, no destination). */
function evaluate(expression: () => unknown, option: string): unknown {
  try {
    return expression();
  } catch (error) {
    diag.debug(`spanweave: the ${option} expression threw`, error);
    return undefined;
  }
}

/** A context from one carrier; propagators do not throw on bad input, but a custom one might. */
function extracted(active: Context, carrier: unknown): Context {
  try {
    return propagation.extract(active, carrier, carrierGetter);
  } catch (error) {
    diag.debug('spanweave: extracting from a consumer carrier failed', error);
    return active;
  }
}

/** An array of carriers, as opposed to one carrier that is an array of `[key, value]` pairs or a flat `[field, value, ...]` list. */
function isBatch(carrier: unknown): carrier is unknown[] {
  return Array.isArray(carrier) && carrier.length > 0 && !carrier.every((entry) => Array.isArray(entry) && entry.length === 2 && typeof entry[0] === 'string') && !isFlatList(carrier);
}
