import type * as ts from 'typescript';
import { awaitsAsYields, canResume } from './awaits.js';
import type { ClientCall } from './calls.js';
import { messages } from './messages.js';
import { ENTRY, RUNTIME_ENTRY_POINTS } from './runtime-import.js';
import { bindingNames } from './utils/binding-names.js';

export type TracedFunction =
  | ts.FunctionDeclaration
  | ts.MethodDeclaration
  | ts.GetAccessorDeclaration
  | ts.SetAccessorDeclaration
  | ts.FunctionExpression
  | ts.ArrowFunction;


export interface WrapRequest {
  readonly runtime: ts.Identifier;
  readonly spanName: string;
  /** `() => ({ key: expression, ... })`, evaluated by the runtime at span start. */
  readonly attributes?: ts.ArrowFunction;
  /** `{ kind: "producer", carrier: () => expression }` for a message hop. */
  readonly hop?: ts.ObjectLiteralExpression;
  /** With the option awaitContext: an async body's awaits become yields for the runtime's driver (see awaits.ts). */
  readonly awaitContext?: ts.TransformationContext;
  /** The inner function's name, for stack frames (utils/frame-name.ts); anonymous where undefined. */
  readonly frameName?: string;
}

/**
 * Moves the body of `fn` into an inner function handed to the runtime, keeping the outer function
 * itself (its name, parameters and so `length`, modifiers, decorators, hoisting, and whether it is
 * async or a generator) exactly as written:
 *
 *   function f(a) { body }         ->  function f(a) { return rt.run("f", { f: () => { body } }.f) }
 *   async function f(a) { body }   ->  async function f(a) { return await rt.runAsync("f", { f: async () => { body } }.f) }
 *   function* g(a) { body }        ->  function* g(a) { return yield* rt.runGenerator("g", { g: function* () { body } }.g.apply(this, arguments)) }
 *
 * With the option awaitContext, an async body that can (awaits.ts's canResume) runs as a generator
 * driven by the runtime, which keeps the span's context active across each `await`:
 *
 *   async function f(a) { body }   ->  async function f(a) { return await rt.runAsync("f", () => rt.resuming({ f: function* () { body' } }.f.apply(this, arguments))) }
 *
 * The object literal names the inner function for stack frames (`frameName`); without a name, the
 * inner function stands alone.
 *
 * An arrow keeps `this`, `arguments`, `super` and `new.target` lexically, so the body reads them
 * as before. A generator body needs `function*`, which is called with the outer `this` and
 * `arguments` (see `problemsWithBody` for `super`).
 */
export function wrapFunction<F extends TracedFunction>(tsInstance: typeof ts, fn: F & { body: ts.ConciseBody }, request: WrapRequest): F {
  const { factory, SyntaxKind } = tsInstance;
  const isAsync = hasModifier(tsInstance, fn, SyntaxKind.AsyncKeyword);
  const isGenerator = fn.asteriskToken !== undefined;
  const asyncModifier = isAsync ? [factory.createModifier(SyntaxKind.AsyncKeyword)] : undefined;
  const body = fn.body;

  let call: ts.Expression;
  if (isGenerator) {
    const iterator = innerGenerator(tsInstance, body as ts.Block, isAsync, request.frameName);
    call = factory.createYieldExpression(factory.createToken(SyntaxKind.AsteriskToken), runtimeCall(tsInstance, request, isAsync ? ENTRY.asyncGenerator : ENTRY.generator, iterator));
  } else if (isAsync && request.awaitContext && canResume(tsInstance, fn)) {
    const steps = awaitsAsYields(tsInstance, request.awaitContext, body, request.runtime);
    const generator = tsInstance.isArrowFunction(fn) ? boundGenerator(tsInstance, steps, request.frameName) : innerGenerator(tsInstance, steps, false, request.frameName);
    const resumed = factory.createCallExpression(factory.createPropertyAccessExpression(request.runtime, ENTRY.resuming), undefined, [generator]);
    const inner = factory.createArrowFunction(undefined, undefined, [], undefined, factory.createToken(SyntaxKind.EqualsGreaterThanToken), resumed);
    call = factory.createAwaitExpression(runtimeCall(tsInstance, request, ENTRY.async, inner));
  } else {
    const inner = factory.createArrowFunction(asyncModifier, undefined, [], undefined, factory.createToken(SyntaxKind.EqualsGreaterThanToken), body);
    const traced = runtimeCall(tsInstance, request, isAsync ? ENTRY.async : ENTRY.plain, named(tsInstance, inner, request.frameName));
    call = isAsync ? factory.createAwaitExpression(traced) : traced;
  }
  return returning(tsInstance, fn, call);
}

/** `{ g: function* () { body } }.g.apply(this, arguments)`: a generator body run with the outer `this` and `arguments`. */
function innerGenerator(tsInstance: typeof ts, body: ts.Block, isAsync: boolean, frameName: string | undefined): ts.CallExpression {
  const { factory } = tsInstance;
  return factory.createCallExpression(factory.createPropertyAccessExpression(generatorExpression(tsInstance, body, isAsync, frameName), 'apply'), undefined, [factory.createThis(), factory.createIdentifier('arguments')]);
}

/** `{ g: function* () { body } }.g.call(this)`: an arrow's body (its `arguments` are not its own to pass). */
function boundGenerator(tsInstance: typeof ts, body: ts.Block, frameName: string | undefined): ts.CallExpression {
  const { factory } = tsInstance;
  return factory.createCallExpression(factory.createPropertyAccessExpression(generatorExpression(tsInstance, body, false, frameName), 'call'), undefined, [factory.createThis()]);
}

/** `function* () { body }`, named for stack frames, else in parentheses. */
function generatorExpression(tsInstance: typeof ts, body: ts.Block, isAsync: boolean, frameName: string | undefined): ts.Expression {
  const { factory, SyntaxKind } = tsInstance;
  const inner = factory.createFunctionExpression(isAsync ? [factory.createModifier(SyntaxKind.AsyncKeyword)] : undefined, factory.createToken(SyntaxKind.AsteriskToken), undefined, undefined, [], undefined, body);
  return frameName === undefined ? factory.createParenthesizedExpression(inner) : named(tsInstance, inner, frameName);
}

/** `{ name: inner }.name`: the inner function named for stack frames, with no binding the body could see; `inner` alone without a name. */
function named(tsInstance: typeof ts, inner: ts.Expression, frameName: string | undefined): ts.Expression {
  const { factory } = tsInstance;
  if (frameName === undefined) return inner;
  return factory.createPropertyAccessExpression(factory.createObjectLiteralExpression([factory.createPropertyAssignment(frameName, inner)]), frameName);
}

/** `fn` with a body that returns `expression`, mapped in source maps to the original body. */
function returning<F extends TracedFunction>(tsInstance: typeof ts, fn: F & { body: ts.ConciseBody }, expression: ts.Expression): F {
  const { factory } = tsInstance;
  tsInstance.setSourceMapRange(expression, { pos: fn.body.pos, end: fn.body.end });
  const concise = tsInstance.isArrowFunction(fn) && !tsInstance.isBlock(fn.body);
  return updateBody(tsInstance, fn, concise ? expression : factory.createBlock([...directivesOf(tsInstance, fn.body), factory.createReturnStatement(expression)], true));
}

function runtimeCall(tsInstance: typeof ts, request: WrapRequest, entry: string, inner: ts.Expression): ts.CallExpression {
  const { factory } = tsInstance;
  const args = [factory.createStringLiteral(request.spanName), inner, request.attributes ?? factory.createIdentifier('undefined')];
  if (request.hop) args.push(request.hop);
  return callRuntime(tsInstance, request.runtime, entry, args);
}

function callRuntime(tsInstance: typeof ts, runtime: ts.Identifier, entry: string, args: ts.Expression[]): ts.CallExpression {
  const { factory } = tsInstance;
  // Trailing `undefined`s are left out: the runtime's optional parameters take them.
  while (args.length > 0 && tsInstance.isIdentifier(args[args.length - 1]!) && (args[args.length - 1] as ts.Identifier).text === 'undefined') args.pop();
  return factory.createCallExpression(factory.createPropertyAccessExpression(runtime, entry), undefined, args);
}

export interface HandlerRequest extends Omit<WrapRequest, 'spanName'> {
  /** The span name; a gRPC handler's always has one, an HTTP handler's only from `name=`. */
  readonly spanName: string | undefined;
  /** `{ public: true, metadata: [...] }` when the tag has such options. */
  readonly options?: ts.ObjectLiteralExpression;
}

/**
 * A gRPC server handler of any stack: the runtime tells the stack apart by the handler's
 * arguments (`arguments` where the function has them, else the arrow's parameters). The body
 * moves into an arrow that takes the second parameter under its own name, so that a grpc-js
 * body calls the runtime's wrapped callback; an async generator (Connect or nice-grpc streaming)
 * is driven through the runtime:
 *
 *   sayHello(call, callback) { body }  ->  sayHello(call, callback) { return rt.serve("Svc.sayHello", arguments, { sayHello: (callback) => { body } }.sayHello) }
 *   async *count(req, ctx) { body }    ->  async *count(req, ctx) { return yield* rt.serveStream("Svc.count", arguments, { count: async function* () { body } }.count.apply(this, arguments)) }
 *
 * Returns why the handler's shape does not allow that, if so.
 */
export function wrapGrpcHandler<F extends TracedFunction>(tsInstance: typeof ts, fn: F & { body: ts.ConciseBody }, request: HandlerRequest): F | string {
  const { factory } = tsInstance;
  const isAsync = hasModifier(tsInstance, fn, tsInstance.SyntaxKind.AsyncKeyword);
  if (fn.asteriskToken && !isAsync) return messages.syncGeneratorHandler;
  let args: ts.Expression;
  if (tsInstance.isArrowFunction(fn)) {
    const values = runtimeParameters(tsInstance, fn).map((_, index) => parameterValue(tsInstance, fn, index));
    if (values.some((value) => value === undefined)) return messages.grpcArrowParameters;
    args = factory.createArrayLiteralExpression(values as ts.Expression[]);
  } else {
    args = factory.createIdentifier('arguments');
  }
  const options = [request.attributes ?? undefinedValue(tsInstance), request.options ?? undefinedValue(tsInstance)];
  const name = factory.createStringLiteral(request.spanName ?? '');
  if (fn.asteriskToken) {
    const generator = innerGenerator(tsInstance, fn.body as ts.Block, true, request.frameName);
    return returning(tsInstance, fn, factory.createYieldExpression(factory.createToken(tsInstance.SyntaxKind.AsteriskToken), callRuntime(tsInstance, request.runtime, 'serveStream', [name, args, generator, ...options])));
  }
  const second = runtimeParameters(tsInstance, fn)[1];
  return wrapHandler(tsInstance, fn, request, [args], second && tsInstance.isIdentifier(second.name) ? second.name.text : undefined);
}

/**
 * An HTTP server handler, `(req, res, ...)` (node:http, Express) or `(request)` (fetch style):
 *
 *   handle(req, res) { body }  ->  handle(req, res) { return rt.serve(undefined, req, res, { handle: () => { body } }.handle) }
 */
export function wrapHttpHandler<F extends TracedFunction>(tsInstance: typeof ts, fn: F & { body: ts.ConciseBody }, request: HandlerRequest): F | string {
  if (fn.asteriskToken) return messages.httpGenerator;
  const incoming = parameterValue(tsInstance, fn, 0);
  const response = runtimeParameters(tsInstance, fn)[1] === undefined ? undefinedValue(tsInstance) : parameterValue(tsInstance, fn, 1);
  if (incoming === undefined || response === undefined) return messages.httpArrowParameters;
  return wrapHandler(tsInstance, fn, request, [incoming, response], undefined);
}

/** `rt.serve(name, ...values, (passed) => { body }, attributes, options)`, awaited when `fn` is async. */
function wrapHandler<F extends TracedFunction>(tsInstance: typeof ts, fn: F & { body: ts.ConciseBody }, request: HandlerRequest, values: ts.Expression[], passed: string | undefined): F {
  const { factory, SyntaxKind } = tsInstance;
  const isAsync = hasModifier(tsInstance, fn, SyntaxKind.AsyncKeyword);
  const innerParameters = passed === undefined ? [] : [factory.createParameterDeclaration(undefined, undefined, passed)];
  const inner = factory.createArrowFunction(
    isAsync ? [factory.createModifier(SyntaxKind.AsyncKeyword)] : undefined,
    undefined,
    innerParameters,
    undefined,
    factory.createToken(SyntaxKind.EqualsGreaterThanToken),
    fn.body,
  );
  const name = request.spanName === undefined ? undefinedValue(tsInstance) : factory.createStringLiteral(request.spanName);
  const served = callRuntime(tsInstance, request.runtime, 'serve', [name, ...values, named(tsInstance, inner, request.frameName), request.attributes ?? undefinedValue(tsInstance), request.options ?? undefinedValue(tsInstance)]);
  return returning(tsInstance, fn, isAsync ? factory.createAwaitExpression(served) : served);
}

/** The value of parameter `index`: its name, or `arguments[index]` where a non-arrow destructures it. */
function parameterValue(tsInstance: typeof ts, fn: TracedFunction, index: number): ts.Expression | undefined {
  const { factory } = tsInstance;
  const parameter = runtimeParameters(tsInstance, fn)[index];
  if (parameter && tsInstance.isIdentifier(parameter.name)) return factory.createIdentifier(parameter.name.text);
  if (tsInstance.isArrowFunction(fn)) return undefined;
  return factory.createElementAccessExpression(factory.createIdentifier('arguments'), index);
}

/** The parameters a call passes: a TypeScript `this:` parameter declares a type, not an argument. */
function runtimeParameters(tsInstance: typeof ts, fn: TracedFunction): readonly ts.ParameterDeclaration[] {
  const [first, ...rest] = fn.parameters;
  return first && tsInstance.isIdentifier(first.name) && first.name.escapedText === 'this' ? rest : fn.parameters;
}

function undefinedValue(tsInstance: typeof ts): ts.Identifier {
  return tsInstance.factory.createIdentifier('undefined');
}

/**
 * A client call in a `@traced grpc.client` / `http.client` function, routed through the runtime
 * with its arguments evaluated as before:
 *
 *   fetch(url, init)            ->  rt.fetch(fetch, url, init)
 *   http.request(url, cb)       ->  rt.request(http.request, url, cb)
 *   client.getUser(req, cb)     ->  rt.call(client, "getUser", options, req, cb)
 */
export function wrapClientCall(tsInstance: typeof ts, visited: ts.CallExpression, found: ClientCall, runtime: ts.Identifier, options: ts.ObjectLiteralExpression | undefined): ts.Expression {
  const { factory } = tsInstance;
  let args: ts.Expression[];
  if (found.kind === 'grpc') {
    const receiver = (visited.expression as ts.PropertyAccessExpression | ts.ElementAccessExpression).expression;
    args = [receiver, factory.createStringLiteral(found.method), options ?? undefinedValue(tsInstance), ...visited.arguments];
  } else {
    args = [visited.expression, ...visited.arguments];
  }
  const call = factory.createCallExpression(factory.createPropertyAccessExpression(runtime, found.kind === 'grpc' ? 'call' : found.kind), undefined, args);
  return tsInstance.setSourceMapRange(tsInstance.setOriginalNode(call, found.call), found.call);
}

/** `new Client(a, b, c)` -> `rt.client(Client, [a, b, c], options)`: the runtime adds its interceptor to the options. */
export function wrapClientConstruction(tsInstance: typeof ts, construction: ts.NewExpression, runtime: ts.Identifier, options: ts.ObjectLiteralExpression | undefined): ts.Expression {
  const { factory } = tsInstance;
  const args: ts.Expression[] = [construction.expression, factory.createArrayLiteralExpression([...(construction.arguments ?? [])])];
  if (options) args.push(options);
  return tsInstance.setSourceMapRange(callRuntime(tsInstance, runtime, 'client', args), construction);
}

/**
 * A client construction of another stack, routed through its runtime module (see client-stacks.ts):
 *
 *   createClient(Service, transport)  ->  rt.create(undefined, createClient, [Service, transport], options)
 *   this.client.getService("Echo")    ->  rt.create(this.client, "getService", ["Echo"], options)
 */
export function wrapCallConstruction(tsInstance: typeof ts, construction: ts.CallExpression, runtime: ts.Identifier, options: ts.ObjectLiteralExpression | undefined): ts.Expression {
  const { factory } = tsInstance;
  const callee = construction.expression;
  const [target, fn] = tsInstance.isPropertyAccessExpression(callee) ? [callee.expression, factory.createStringLiteral(tsInstance.idText(callee.name as ts.Identifier))] : [undefinedValue(tsInstance), callee];
  const args = [target, fn, factory.createArrayLiteralExpression([...construction.arguments]), options ?? undefinedValue(tsInstance)];
  return tsInstance.setSourceMapRange(callRuntime(tsInstance, runtime, 'create', args), construction);
}

/**
 * Directives such as 'use strict' stay in the outer body too: they make the parameters and the
 * outer function strict, which decides `this` for a plain call.
 */
function directivesOf(tsInstance: typeof ts, body: ts.ConciseBody): ts.Statement[] {
  if (!tsInstance.isBlock(body)) return [];
  const directives: ts.Statement[] = [];
  for (const statement of body.statements) {
    if (!tsInstance.isExpressionStatement(statement) || !tsInstance.isStringLiteral(statement.expression)) break;
    directives.push(tsInstance.factory.createExpressionStatement(tsInstance.factory.createStringLiteral(statement.expression.text)));
  }
  return directives;
}

function updateBody<F extends TracedFunction>(tsInstance: typeof ts, fn: F, body: ts.ConciseBody): F {
  const { factory } = tsInstance;
  const block = body as ts.Block;
  let updated: TracedFunction;
  if (tsInstance.isFunctionDeclaration(fn)) {
    updated = factory.updateFunctionDeclaration(fn, fn.modifiers, fn.asteriskToken, fn.name, fn.typeParameters, fn.parameters, fn.type, block);
  } else if (tsInstance.isMethodDeclaration(fn)) {
    updated = factory.updateMethodDeclaration(fn, fn.modifiers, fn.asteriskToken, fn.name, fn.questionToken, fn.typeParameters, fn.parameters, fn.type, block);
  } else if (tsInstance.isGetAccessorDeclaration(fn)) {
    updated = factory.updateGetAccessorDeclaration(fn, fn.modifiers, fn.name, fn.parameters, fn.type, block);
  } else if (tsInstance.isSetAccessorDeclaration(fn)) {
    updated = factory.updateSetAccessorDeclaration(fn, fn.modifiers, fn.name, fn.parameters, block);
  } else if (tsInstance.isFunctionExpression(fn)) {
    updated = factory.updateFunctionExpression(fn, fn.modifiers, fn.asteriskToken, fn.name, fn.typeParameters, fn.parameters, fn.type, block);
  } else {
    updated = factory.updateArrowFunction(fn, fn.modifiers, fn.typeParameters, fn.parameters, fn.type, fn.equalsGreaterThanToken, body);
  }
  return updated as F;
}

function hasModifier(tsInstance: typeof ts, node: ts.Node, kind: ts.SyntaxKind): boolean {
  return tsInstance.canHaveModifiers(node) && (tsInstance.getModifiers(node) ?? []).some((m) => m.kind === kind);
}

/**
 * Why a body cannot be moved into an inner function without changing what it does, if so:
 * a `var` that redeclares a parameter would become a new binding, and `super` cannot be read
 * from the inner `function*` of a generator.
 */
export function problemsWithBody(tsInstance: typeof ts, fn: TracedFunction & { body: ts.ConciseBody }): { node: ts.Node; message: string } | undefined {
  const parameterNames = new Set(fn.parameters.flatMap((p) => bindingNames(tsInstance, p.name)));
  const isGenerator = fn.asteriskToken !== undefined;
  let problem: { node: ts.Node; message: string } | undefined;
  const visit = (node: ts.Node, inArrowOnly: boolean): void => {
    if (problem) return;
    if (tsInstance.isFunctionLike(node) && !tsInstance.isArrowFunction(node)) return; // own scope, own super
    if (tsInstance.isClassLike(node)) return;
    if (inArrowOnly === false && tsInstance.isVariableDeclarationList(node) && (node.flags & tsInstance.NodeFlags.BlockScoped) === 0) {
      const clash = node.declarations.flatMap((d) => bindingNames(tsInstance, d.name)).find((name) => parameterNames.has(name));
      if (clash) problem = { node, message: messages.redeclaredParameter(clash) };
    }
    if (isGenerator && node.kind === tsInstance.SyntaxKind.SuperKeyword) {
      problem = { node, message: messages.superInGenerator };
    }
    tsInstance.forEachChild(node, (child) => visit(child, inArrowOnly || tsInstance.isArrowFunction(node)));
  };
  tsInstance.forEachChild(fn.body, (child) => visit(child, false));
  return problem;
}

/**
 * A body this transformer (or an earlier run of it, in emitted JavaScript) already wrapped: it
 * returns a call of a runtime entry point through one of `runtimeNames`, the names under which
 * the file imports a spanweave runtime module.
 */
export function isAlreadyWrapped(tsInstance: typeof ts, body: ts.ConciseBody, runtimeNames: ReadonlySet<string>): boolean {
  let expression: ts.Node | undefined = body;
  if (tsInstance.isBlock(body)) {
    const last = body.statements[body.statements.length - 1];
    expression = last && tsInstance.isReturnStatement(last) ? last.expression : undefined;
  }
  while (expression && (tsInstance.isAwaitExpression(expression) || tsInstance.isYieldExpression(expression) || tsInstance.isParenthesizedExpression(expression))) {
    expression = expression.expression;
  }
  return expression !== undefined && isRuntimeCall(tsInstance, expression, runtimeNames);
}

/** A call of a runtime entry point, `spanweave_1.run(...)` or `spanweave_grpc_1.client(...)`. */
export function isRuntimeCall(tsInstance: typeof ts, node: ts.Node, runtimeNames: ReadonlySet<string>): boolean {
  if (!tsInstance.isCallExpression(node)) return false;
  const callee = node.expression;
  return (
    tsInstance.isPropertyAccessExpression(callee) &&
    tsInstance.isIdentifier(callee.expression) &&
    runtimeNames.has(tsInstance.idText(callee.expression)) &&
    RUNTIME_ENTRY_POINTS.has(tsInstance.idText(callee.name))
  );
}
