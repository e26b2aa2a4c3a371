/**
 * The `@traced` tag grammar, independent of TypeScript:
 *
 *   @traced [<kind>] [public] [messages] [name=<span name>] [route=<route>] [metadata=<key>,...]
 *           [headers=<name>,...] [from=<expression>] [into=<expression>] [system=<messaging system>]
 *           [destination=<expression>] [attr.<key>=<expression>]...
 *   @untraced
 *
 * Options are separated by white space; a value runs to the next white space outside quotes,
 * parentheses, brackets and braces, so `attr.total=(a + b)` and `name="checkout submit"` work.
 */

/** A piece of tag text with the file position of each of its characters, for diagnostics. */
export interface TagText {
  readonly text: string;
  /** positions[i] is the file position of text[i]; positions[text.length] is the end. */
  readonly positions: readonly number[];
}

/** An expression option: `attr.<key>=<expression>`, `from=`, `into=` or `destination=<expression>`. */
export interface ExpressionOption {
  readonly key: string;
  readonly expression: string;
  /** File position of the expression's first character. */
  readonly pos: number;
}

export type TagKind = 'internal' | 'grpc.server' | 'grpc.client' | 'http.server' | 'http.client' | 'producer' | 'consumer';

export interface TracedTag {
  readonly kind: TagKind;
  readonly name?: string;
  /** `public` (server kinds): the caller is not trusted. */
  readonly public: boolean;
  /** `messages` (gRPC kinds): a span event per message sent and received. */
  readonly messages: boolean;
  /** `metadata=a,b` (gRPC kinds): metadata keys recorded as attributes. */
  readonly metadata?: readonly string[];
  /** `headers=a,b` (http.server): request headers recorded as attributes. */
  readonly headers?: readonly string[];
  /** `route=/users/:id` (http.server): the route template. */
  readonly route?: string;
  /** `from=` (consumer) or `into=` (producer): the message carrier. */
  readonly carrier?: ExpressionOption;
  /** `system=kafka` (producer, consumer): `messaging.system.name`, and the carrier's form where it has one of its own. */
  readonly system?: string;
  /** `destination=<expression>` (producer, consumer): `messaging.destination.name`, and the span's name. */
  readonly destination?: ExpressionOption;
  readonly attributes: readonly ExpressionOption[];
  /** File position of the `@` of the tag. */
  readonly pos: number;
  /** Not written: a function of a file the traceAll option selects. */
  readonly implicit?: boolean;
}

export interface GrammarProblem {
  readonly pos: number;
  readonly length: number;
  readonly message: string;
}

const KINDS: readonly TagKind[] = ['grpc.server', 'grpc.client', 'http.server', 'http.client', 'producer', 'consumer'];
const CLIENT_KINDS: readonly TagKind[] = ['grpc.client', 'http.client'];
/** The kinds each option applies to; an option missing here applies to every kind. */
const OPTION_KINDS: Readonly<Record<string, readonly TagKind[]>> = {
  public: ['grpc.server', 'http.server', 'consumer'],
  messages: ['grpc.server', 'grpc.client'],
  metadata: ['grpc.server', 'grpc.client'],
  headers: ['http.server'],
  route: ['http.server'],
  from: ['consumer'],
  into: ['producer'],
  system: ['producer', 'consumer'],
  destination: ['producer', 'consumer'],
  name: ['internal', 'grpc.server', 'http.server', 'producer', 'consumer'],
  attr: ['internal', 'grpc.server', 'http.server', 'producer', 'consumer'],
};
const WORD_OPTIONS = ['public', 'messages'];
const KNOWN_WORDS = [...KINDS, ...WORD_OPTIONS];
const KNOWN_KEYS = ['name', 'route', 'metadata', 'headers', 'from', 'into', 'system', 'destination'];
/**
 * `messaging.system.name` values: the conventions' well-known ones, and the brokers spanweave reads
 * the carriers of that have none yet (mqtt, nats, redis).
 */
export const MESSAGING_SYSTEMS = ['activemq', 'aws.sns', 'aws.sqs', 'azure.eventgrid', 'azure.eventhubs', 'azure.servicebus', 'gcp.pubsub', 'jms', 'kafka', 'mqtt', 'nats', 'pulsar', 'rabbitmq', 'redis', 'rocketmq'];
/** Older spellings, still accepted (the runtime writes their current names): the deprecated `messaging.system` values, and `aws_sns`, which spanweave once listed. */
const OLDER_MESSAGING_SYSTEMS = ['aws_sns', 'aws_sqs', 'eventgrid', 'eventhubs', 'gcp_pubsub', 'servicebus'];
const LOWERCASE_KEY = /^[0-9a-z_.-]+$/;
const ATTRIBUTE_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function parseTracedTag(tagPos: number, body: TagText): { tag?: TracedTag; problems: GrammarProblem[] } {
  const problems: GrammarProblem[] = [];
  const attributes: ExpressionOption[] = [];
  const given = new Map<string, number>(); // option -> file position, for the kind check below
  const keyList: Record<string, string[]> = {};
  let name: string | undefined;
  let route: string | undefined;
  let carrier: ExpressionOption | undefined;
  let destination: ExpressionOption | undefined;
  let system: string | undefined;
  let kind: TagKind = 'internal';

  for (const token of tokenize(body, problems)) {
    const at = body.positions[token.start] ?? tagPos;
    const report = (message: string, start = token.start, length = token.text.length): void => {
      problems.push({ pos: body.positions[start] ?? tagPos, length, message });
    };
    const eq = token.text.indexOf('=');
    if (eq < 0) {
      const word = token.text;
      if ((KINDS as readonly string[]).includes(word)) {
        if (kind !== 'internal') report(`A tag has one kind, but '${kind}' and '${word}' are both given. Keep one.`);
        else kind = word as TagKind;
      } else if (WORD_OPTIONS.includes(word)) {
        given.set(word, at);
      } else {
        report(`Unknown @traced option '${word}'.${suggest(word, KNOWN_WORDS)} ${OPTIONS_HINT}`);
      }
      continue;
    }
    const key = token.text.slice(0, eq);
    // An expression keeps its quotes: attr.k="text" is a string literal.
    const isExpression = key.startsWith('attr.') || key === 'from' || key === 'into' || key === 'destination';
    const value = isExpression ? token.text.slice(eq + 1) : unquote(token.text.slice(eq + 1));
    if (given.has(key) || (key.startsWith('attr.') && attributes.some((a) => `attr.${a.key}` === key))) {
      report(`'${key}=' is given twice. Keep one.`);
      continue;
    }
    const valuePos = body.positions[token.start + eq + 1] ?? tagPos;
    if (value === '') {
      report(`'${key}=' has no value. Write ${key}=<value> with no space after '='.`);
    } else if (key.startsWith('attr.')) {
      const attributeKey = key.slice('attr.'.length);
      given.set('attr', at);
      if (!ATTRIBUTE_KEY.test(attributeKey)) {
        report(`'${attributeKey}' is not a valid attribute key. Use letters, digits, '_', '-' and '.', as in attr.user.id=req.userId.`, token.start, eq);
      } else {
        attributes.push({ key: attributeKey, expression: value, pos: valuePos });
      }
    } else if (!KNOWN_KEYS.includes(key)) {
      report(`Unknown @traced option '${key}='.${suggest(key, [...KNOWN_KEYS, 'attr.<key>'])} ${OPTIONS_HINT}`, token.start, eq + 1);
    } else {
      given.set(key, at);
      if (key === 'name') name = value;
      else if (key === 'route') route = value;
      else if (key === 'from' || key === 'into') carrier = { key: `${key}=`, expression: value, pos: valuePos };
      else if (key === 'destination') destination = { key: 'destination=', expression: value, pos: valuePos };
      else if (key === 'system') {
        if (MESSAGING_SYSTEMS.includes(value) || OLDER_MESSAGING_SYSTEMS.includes(value)) system = value;
        else report(`Unknown messaging system '${value}'.${suggest(value, MESSAGING_SYSTEMS)} Systems are ${MESSAGING_SYSTEMS.join(', ')}; for another, set attr.messaging.system.name="<name>".`, token.start + eq + 1, value.length);
      }
      else {
        const keys = value.split(',').map((k) => k.trim().toLowerCase());
        const bad = keys.find((k) => !LOWERCASE_KEY.test(k));
        if (bad !== undefined) report(`'${bad}' is not a ${key} key. Write ${key}=key1,key2 with no spaces.`);
        keyList[key] = keys;
      }
    }
  }
  for (const [option, pos] of given) {
    const kinds = OPTION_KINDS[option];
    if (kinds === undefined || kinds.includes(kind)) continue;
    const written = WORD_OPTIONS.includes(option) ? `'${option}'` : `'${option}${option === 'attr' ? '.' : '='}'`;
    problems.push({ pos, length: option.length, message: misplacedOption(written, option, kind, kinds) });
  }
  if (kind === 'producer' && carrier === undefined) problems.push({ pos: tagPos, length: 7, message: "A producer needs the carrier its context goes into: add into=<expression>, e.g. into=message.headers." });
  if (kind === 'consumer' && carrier === undefined) problems.push({ pos: tagPos, length: 7, message: "A consumer needs the carrier its context comes from: add from=<expression>, e.g. from=message.headers." });
  if (problems.length > 0) return { problems };
  return {
    tag: { kind, name, public: given.has('public'), messages: given.has('messages'), metadata: keyList['metadata'], headers: keyList['headers'], route, carrier, system, destination, attributes, pos: tagPos },
    problems,
  };
}

function misplacedOption(written: string, option: string, kind: TagKind, kinds: readonly TagKind[]): string {
  if (CLIENT_KINDS.includes(kind) && (option === 'name' || option === 'attr')) {
    return `${written} does not apply to ${kind}: each call gets its own span, named after the call. Remove it; for a span of the function as well, call it from a @traced function.`;
  }
  return `${written} applies to ${kinds.filter((k) => k !== 'internal').join(', ')}${kinds.includes('internal') ? ' and plain @traced' : ''}, not to ${kind === 'internal' ? 'plain @traced' : kind}. Remove it or change the kind.`;
}

const OPTIONS_HINT =
  'Options are a kind (grpc.server, grpc.client, http.server, http.client, producer, consumer), public, messages, name=, route=, metadata=, headers=, from=, into=, system=, destination= and attr.<key>=<expression>.';

interface Token {
  readonly text: string;
  readonly start: number;
}

const CLOSING: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

function tokenize(body: TagText, problems: GrammarProblem[]): Token[] {
  const { text } = body;
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i]!)) {
      i++;
      continue;
    }
    const start = i;
    const expected: string[] = [];
    let quote: string | undefined;
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (quote !== undefined) {
        if (c === '\\') i++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'" || c === '`') {
        quote = c;
      } else if (c in CLOSING) {
        expected.push(CLOSING[c]!);
      } else if (c === expected[expected.length - 1]) {
        expected.pop();
      } else if (expected.length === 0 && /\s/.test(c)) {
        break;
      }
    }
    if (quote !== undefined || expected.length > 0) {
      const missing = quote ?? expected[expected.length - 1];
      problems.push({
        pos: body.positions[start]!,
        length: i - start,
        message: `Unclosed ${quote !== undefined ? 'quote' : 'bracket'}: '${missing}' is missing in '${text.slice(start, i)}'.`,
      });
    }
    tokens.push({ text: text.slice(start, i), start });
  }
  return tokens;
}

function unquote(value: string): string {
  const first = value[0];
  if ((first === '"' || first === "'") && value.length >= 2 && value[value.length - 1] === first) return value.slice(1, -1);
  return value;
}

function suggest(word: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best === undefined ? '' : ` Did you mean '${best}'?`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
