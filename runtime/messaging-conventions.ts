import type { Attributes } from '@opentelemetry/api';
import { bounded } from './attributes.js';
import { EMIT_OLD_MESSAGING_CONVENTIONS } from './semconv.js';

/**
 * The messaging conventions a hop follows (@opentelemetry/semantic-conventions 1.45): the system
 * as `messaging.system.name`, the Required `messaging.operation.name`, and RabbitMQ's destination.
 * With `OTEL_SEMCONV_STABILITY_OPT_IN=messaging/dup` the deprecated names are written beside.
 */

/**
 * A tag's `system=` as `messaging.system.name`, whichever spelling the tag used: the deprecated
 * `messaging.system` values `aws_sqs`, `gcp_pubsub`, `eventgrid`, `eventhubs`, `servicebus` (and
 * `aws_sns`, a spelling spanweave once listed) are now `aws.sqs`, `gcp.pubsub`, `azure.*`, `aws.sns`.
 */
export function systemName(system: string): string {
  if (system === 'aws_sqs' || system === 'aws_sns' || system === 'gcp_pubsub') return system.replace('_', '.');
  return system === 'eventgrid' || system === 'eventhubs' || system === 'servicebus' ? `azure.${system}` : system;
}

/** The deprecated `messaging.system` value of a `messaging.system.name` (`aws.sns` was already one). */
function oldSystemName(system: string): string {
  if (system === 'aws.sqs' || system === 'gcp.pubsub') return system.replace('.', '_');
  return system.startsWith('azure.') ? system.slice(6) : system;
}

/**
 * `messaging.operation.name`: its type, `send` or `process`, except where a system's conventions
 * name the operation otherwise (RabbitMQ `publish`/`consume`, SNS `publish`, Pub/Sub `subscribe`)
 * or a system without conventions has a verb of its own (NATS and MQTT publish, Redis Streams XADD).
 */
function operationName(type: 'send' | 'process', system: string | undefined): string {
  if (type === 'process') return system === 'rabbitmq' ? 'consume' : system === 'gcp.pubsub' ? 'subscribe' : type;
  return system === 'redis' ? 'xadd' : system === 'rabbitmq' || system === 'aws.sns' || system === 'nats' || system === 'mqtt' ? 'publish' : type;
}

/** The attributes every hop of `kind` on `system` starts with. */
export function hopAttributes(kind: 'producer' | 'consumer', system: string | undefined): Attributes {
  const type = kind === 'producer' ? 'send' : 'process';
  const attributes: Attributes = { 'messaging.operation.type': type, 'messaging.operation.name': operationName(type, system) };
  if (system !== undefined) {
    attributes['messaging.system.name'] = system;
    if (EMIT_OLD_MESSAGING_CONVENTIONS) attributes['messaging.system'] = oldSystemName(system);
  }
  return attributes;
}

const ROUTING_KEY = 'rabbitmq.destination.routing_key';
const OLD_ROUTING_KEY = 'messaging.rabbitmq.destination.routing_key';

/**
 * `messaging.destination.name` from what `destination=` gave: as it is, except on RabbitMQ, where
 * it is the exchange and the routing key (from `attr.`) joins it as the conventions say:
 * `{exchange}:{routing key}`, the one of them that is not empty (the default exchange routes by
 * queue name), or `amq.default`. Empty or not text: none.
 */
export function destinationName(system: string | undefined, destination: unknown, given: Attributes | undefined): string | undefined {
  if (system === 'rabbitmq' && typeof destination === 'string') {
    const key = routingKey(given);
    return bounded(destination === '' ? (key ?? 'amq.default') : key === undefined ? destination : `${destination}:${key}`);
  }
  if (typeof destination === 'number' || (typeof destination === 'string' && destination !== '')) return bounded(String(destination));
  return undefined;
}

/** The routing key as the switch names it (both names with `messaging/dup`), however the tag's `attr.` spelt it. */
export function nameRoutingKey(attributes: Attributes): void {
  const key = routingKey(attributes);
  if (key === undefined) return;
  attributes[ROUTING_KEY] = key;
  if (EMIT_OLD_MESSAGING_CONVENTIONS) attributes[OLD_ROUTING_KEY] = key;
  else delete attributes[OLD_ROUTING_KEY];
}

function routingKey(attributes: Attributes | undefined): string | undefined {
  const key = attributes?.[ROUTING_KEY] ?? attributes?.[OLD_ROUTING_KEY];
  return typeof key === 'string' && key !== '' ? key : undefined;
}

/** What the messaging duration metrics keep of a hop's attributes: the system, destination and operation, never a message's own values. */
export const METRIC_ATTRIBUTES = ['messaging.system.name', 'messaging.system', 'messaging.destination.name', 'messaging.operation.type', 'messaging.operation.name', 'messaging.consumer.group.name'];
