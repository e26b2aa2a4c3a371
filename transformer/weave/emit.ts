import type { CallExpression, Node, NewExpression } from 'oxc-parser';
import type MagicString from 'magic-string';
import { messages } from '../messages.js';
import { ENTRY } from '../runtime-import.js';
import { awaitsAsYields, canResume } from './awaits.js';
import { parameterName, runtimeParameters, type FunctionLike } from './syntax.js';

/**
 * The text edits that route a function or a call through the runtime: the same calls, argument
 * for argument, as the compiler plugin's rewrite.ts builds as nodes. Every edit stays on the lines
 * it touches, so line numbers hold even where no source map is read.
 *
 * Edits nest: openings are added outermost first and closings land before those already at the
 * same place, so a traced function inside another closes first.
 */
export class Editor {
  constructor(
    readonly text: string,
    readonly output: MagicString,
    /** Whether the text is TypeScript, where an edit may carry a type for a tool that type-checks the woven text (ts-loader). */
    readonly typed: boolean,
  ) {}

  open(position: number, content: string): void {
    this.output.appendLeft(position, content);
  }

  close(position: number, content: string): void {
    this.output.prependRight(position, content);
  }

  replace(start: number, end: number, content: string): void {
    this.output.update(start, end, content);
  }

  /** The position of the next `character` at or after `from`, past white space and comments. */
  find(character: string, from: number): number {
    let at = from;
    while (at < this.text.length && this.text[at] !== character) {
      if (this.text.startsWith('//', at)) at = this.text.indexOf('\n', at);
      else if (this.text.startsWith('/*', at)) at = this.text.indexOf('*/', at) + 1;
      if (at < 0) return this.text.length;
      at++;
    }
    return at;
  }
}


export interface WrapRequest {
  /** The local name of the runtime module. */
  readonly runtime: string;
  readonly spanName: string;
  /** `() => ({ "key": expression, ... })`. */
  readonly attributes?: string;
  /** `{ kind: "producer", carrier: () => expression, ... }`. */
  readonly hop?: string;
  /** With the option awaitContext: an async body's awaits become yields for the runtime's driver (see awaits.ts). */
  readonly awaitContext?: boolean;
  /** The inner function's name, for stack frames (utils/frame-name.ts); anonymous where undefined. */
  readonly frameName?: string;
}

/**
 * Moves the body of `fn` into an inner function handed to the runtime, the outer function left as
 * written (rewrite.ts's wrapFunction):
 *
 *   function f(a) { body }        ->  function f(a) { return rt.run("f", { f: () => { body } }.f); }
 *   async (a) => expression       ->  async (a) => await rt.runAsync("f", { f: async () => expression }.f)
 *   function* g(a) { body }       ->  function* g(a) { return yield* rt.runGenerator("g", { g: function* () { body } }.g.apply(this, arguments)); }
 *
 * With the option awaitContext, an async body that can (awaits.ts's canResume) runs as a generator
 * driven by the runtime, which keeps the span's context active across each `await`:
 *
 *   async function f(a) { body }  ->  async function f(a) { return await rt.runAsync("f", () => rt.resuming({ f: function* () { body' } }.f.apply(this, arguments))); }
 *
 * The object literal names the inner function for stack frames (`frameName`); without a name, the
 * inner function is written alone: `() => { body }`, `(function* () { body })`.
 */
export function wrapFunction(editor: Editor, fn: FunctionLike & { body: Node }, request: WrapRequest): void {
  const rest = trailing([request.attributes, request.hop]);
  const call = (entry: string) => `${request.runtime}.${entry}(${JSON.stringify(request.spanName)}, `;
  if (fn.generator) {
    const inner = innerGenerator(fn.async, innerNaming(editor, fn, request.frameName));
    wrapBody(editor, fn, `yield* ${call(fn.async ? ENTRY.asyncGenerator : ENTRY.generator)}${inner.open}`, `${inner.close}.apply(this, arguments)${rest})`);
  } else if (fn.async && request.awaitContext && canResume(fn)) {
    // Its generator was never an argument typed by the runtime's signature: nothing to repeat.
    const inner = innerGenerator(false, { name: request.frameName, returnType: '' });
    const resumed = `await ${call(ENTRY.async)}() => ${request.runtime}.${ENTRY.resuming}(${inner.open}`;
    const self = fn.type === 'ArrowFunctionExpression' ? 'call(this)' : 'apply(this, arguments)';
    if (fn.body.type === 'BlockStatement') wrapBody(editor, fn, resumed, `${inner.close}.${self})${rest})`, false);
    else wrapBody(editor, fn, `${resumed} return `, `; ${inner.close}.${self})${rest})`);
    awaitsAsYields(editor, fn.body, request.runtime);
  } else {
    const naming = innerNaming(editor, fn, request.frameName);
    const inner = named(naming.name);
    wrapBody(editor, fn, `${fn.async ? 'await ' : ''}${call(fn.async ? ENTRY.async : ENTRY.plain)}${inner.open}${fn.async ? 'async ' : ''}()${naming.returnType} => `, `${inner.close}${rest})`);
  }
}

interface InnerNaming {
  /** The inner function's name for stack frames; undefined: it is written alone. */
  readonly name: string | undefined;
  /** `: T`, the outer function's return type repeated on the inner one, or nothing. */
  readonly returnType: string;
}

/**
 * The inner function's name for stack frames and, in TypeScript, the outer function's return type
 * repeated on it (`{ f: (): Promise<number> => … }.f`). As an argument, the inner arrow took that
 * type as its context through the runtime's signature; as an object literal's value it takes none,
 * and a tool that type-checks the woven text (ts-loader) would infer `new Promise(…)` in it as
 * `Promise<unknown>`. A type over several lines cannot be repeated without moving lines: that inner
 * function stays unnamed. A type predicate names the outer function's parameters, and its
 * `boolean` needs no context: it is not repeated.
 */
function innerNaming(editor: Editor, fn: FunctionLike, frameName: string | undefined): InnerNaming {
  const annotation = (fn as { returnType?: { start: number; end: number; typeAnnotation: Node } | null }).returnType;
  if (!editor.typed || frameName === undefined || !annotation || annotation.typeAnnotation.type === 'TSTypePredicate') return { name: frameName, returnType: '' };
  const returnType = editor.text.slice(annotation.start, annotation.end);
  return /[\n\r\u2028\u2029]/.test(returnType) ? { name: undefined, returnType: '' } : { name: frameName, returnType };
}

/** `{ name: ` and ` }.name` around an inner function, named for stack frames; nothing without a name. */
function named(name: string | undefined): { open: string; close: string } {
  return name === undefined ? { open: '', close: '' } : { open: `{ ${name}: `, close: ` }.${name}` };
}

/** An inner generator's opening up to its body's `{`, and its closing from the body's `}`, ready for `.apply`: named, or in parentheses. */
function innerGenerator(async: boolean, { name, returnType }: InnerNaming): { open: string; close: string } {
  const generator = `${async ? 'async ' : ''}function* ()${returnType} {`;
  if (name === undefined) return { open: `(${generator}`, close: '})' };
  const key = named(name);
  return { open: `${key.open}${generator}`, close: `}${key.close}` };
}

/**
 * `before` and `after` around the body: a block's statements (after its directives, which stay in
 * the outer function and so keep it and the inner one strict) go in a new block (`innerBlock`, or
 * the block `before` opens), returned; a concise body is wrapped as it is.
 */
function wrapBody(editor: Editor, fn: FunctionLike & { body: Node }, before: string, after: string, innerBlock = !fn.generator): void {
  const { body } = fn;
  if (body.type !== 'BlockStatement') {
    editor.open(body.start, before);
    editor.close(body.end, after);
    return;
  }
  const directives = body.body.filter((statement) => statement.type === 'ExpressionStatement' && statement.directive !== undefined && statement.directive !== null);
  const last = directives[directives.length - 1];
  editor.open(last ? last.end : body.start + 1, `${last ? ';' : ''}return ${before}${innerBlock ? '{' : ''}`);
  editor.close(body.end - 1, `${innerBlock ? '}' : ''}${after};`);
}

export interface HandlerRequest extends Omit<WrapRequest, 'spanName'> {
  /** A gRPC handler's span name; an HTTP handler's only from `name=`. */
  readonly spanName: string | undefined;
  /** `{ public: true, ... }`: the tag's run-time options. */
  readonly options?: string;
}

/**
 * A gRPC server handler of any stack (rewrite.ts's wrapGrpcHandler); returns why its shape does
 * not allow it, if so:
 *
 *   sayHello(call, callback) { body }  ->  sayHello(call, callback) { return rt.serve("Svc.sayHello", arguments, { sayHello: (callback) => { body } }.sayHello); }
 *   async *count(req, ctx) { body }    ->  async *count(req, ctx) { return yield* rt.serveStream("Svc.count", arguments, { count: async function* () { body } }.count.apply(this, arguments)); }
 */
export function wrapGrpcHandler(editor: Editor, fn: FunctionLike & { body: Node }, request: HandlerRequest): string | undefined {
  if (fn.generator && !fn.async) return messages.syncGeneratorHandler;
  let args = 'arguments';
  if (fn.type === 'ArrowFunctionExpression') {
    const names = runtimeParameters(fn).map(parameterName);
    if (names.some((name) => name === undefined)) return messages.grpcArrowParameters;
    args = `[${names.join(', ')}]`;
  }
  const name = JSON.stringify(request.spanName ?? '');
  const rest = trailing([request.attributes, request.options]);
  if (fn.generator) {
    const inner = innerGenerator(true, innerNaming(editor, fn, request.frameName));
    wrapBody(editor, fn, `yield* ${request.runtime}.serveStream(${name}, ${args}, ${inner.open}`, `${inner.close}.apply(this, arguments)${rest})`);
    return undefined;
  }
  wrapHandler(editor, fn, request, [name, args], parameterName(runtimeParameters(fn)[1]));
  return undefined;
}

/**
 * An HTTP server handler, `(req, res, ...)` or `(request)` (rewrite.ts's wrapHttpHandler):
 *
 *   handle(req, res) { body }  ->  handle(req, res) { return rt.serve(undefined, req, res, { handle: () => { body } }.handle); }
 */
export function wrapHttpHandler(editor: Editor, fn: FunctionLike & { body: Node }, request: HandlerRequest): string | undefined {
  if (fn.generator) return messages.httpGenerator;
  const incoming = parameterValue(fn, 0);
  const response = runtimeParameters(fn)[1] === undefined ? 'undefined' : parameterValue(fn, 1);
  if (incoming === undefined || response === undefined) return messages.httpArrowParameters;
  wrapHandler(editor, fn, request, [request.spanName === undefined ? 'undefined' : JSON.stringify(request.spanName), incoming, response], undefined);
  return undefined;
}

/**
 * `rt.serve(...leading, (passed) => { body }, attributes, options)`, awaited when `fn` is async. In
 * TypeScript `passed` is typed `any`, as the runtime's parameter types it: named for stack frames,
 * the arrow is no longer an argument that the checker types from the runtime's signature.
 */
function wrapHandler(editor: Editor, fn: FunctionLike & { body: Node }, request: HandlerRequest, leading: string[], passed: string | undefined): void {
  const rest = trailing([request.attributes, request.options]);
  const asyncWord = fn.async ? 'async ' : '';
  const naming = innerNaming(editor, fn, request.frameName);
  const inner = named(naming.name);
  const parameter = passed === undefined ? '' : `${passed}${editor.typed ? ': any' : ''}`;
  wrapBody(editor, fn, `${fn.async ? 'await ' : ''}${request.runtime}.serve(${leading.join(', ')}, ${inner.open}${asyncWord}(${parameter})${naming.returnType} => `, `${inner.close}${rest})`);
}

/** The value of parameter `index`: its name, or `arguments[index]` where a non-arrow destructures it. */
function parameterValue(fn: FunctionLike, index: number): string | undefined {
  const name = parameterName(runtimeParameters(fn)[index]);
  if (name !== undefined) return name;
  return fn.type === 'ArrowFunctionExpression' ? undefined : `arguments[${index}]`;
}

/**
 * A fetch or http request call of a `@traced http.client` function, its arguments evaluated as before:
 *
 *   fetch(url, init)       ->  rt.fetch(fetch, url, init)
 *   http.request(url, cb)  ->  rt.request(http.request, url, cb)
 */
export function wrapHttpCall(editor: Editor, call: CallExpression, entry: 'fetch' | 'request', runtime: string): void {
  editor.open(call.start, `${runtime}.${entry}(`);
  const paren = editor.find('(', call.typeArguments?.end ?? call.callee.end);
  editor.replace(call.callee.end, paren + 1, call.arguments.length > 0 ? ', ' : '');
}

/** `new Client(a, b)` -> `rt.client(Client, [a, b], options)`: the runtime adds its interceptor to the options. */
export function wrapClientConstruction(editor: Editor, construction: NewExpression, runtime: string, options: string | undefined): void {
  editor.replace(construction.start, construction.callee.start, `${runtime}.client(`);
  const rest = options === undefined ? '' : `, ${options}`;
  const afterCallee = construction.typeArguments?.end ?? construction.callee.end;
  if (editor.text[construction.end - 1] === ')' && construction.end > afterCallee) {
    editor.replace(construction.callee.end, editor.find('(', afterCallee) + 1, ', [');
    editor.replace(construction.end - 1, construction.end, `]${rest})`);
  } else {
    editor.close(construction.end, `, []${rest})`);
  }
}

/**
 * A client construction of another stack, through its runtime module:
 *
 *   createClient(Service, transport)  ->  rt.create(undefined, createClient, [Service, transport], options)
 *   this.client.getService("Echo")    ->  rt.create(this.client, "getService", ["Echo"], options)
 */
export function wrapCallConstruction(editor: Editor, construction: CallExpression, runtime: string, options: string | undefined): void {
  const { callee } = construction;
  if (callee.type === 'MemberExpression' && !callee.computed) {
    editor.open(construction.start, `${runtime}.create(`);
    editor.replace(callee.object.end, callee.end, `, ${JSON.stringify(editor.text.slice(callee.property.start, callee.property.end))}`);
  } else {
    editor.open(construction.start, `${runtime}.create(undefined, `);
  }
  editor.replace(callee.end, editor.find('(', construction.typeArguments?.end ?? callee.end) + 1, ', [');
  editor.replace(construction.end - 1, construction.end, `]${trailing([options])})`);
}

/** `, a, b` for the arguments after the inner function, trailing `undefined`s left out. */
function trailing(args: readonly (string | undefined)[]): string {
  const values = args.map((arg) => arg ?? 'undefined');
  while (values.length > 0 && values[values.length - 1] === 'undefined') values.pop();
  return values.map((value) => `, ${value}`).join('');
}
