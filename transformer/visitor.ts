import type * as ts from 'typescript';
import { compileAttribute } from './attributes.js';
import { clientStackOf } from './client-stacks.js';
import { findGrpcCalls, findHttpCalls, type ClientCall } from './calls.js';
import { DiagnosticCode, type Report } from './diagnostics.js';
import { messages } from './messages.js';
import { definitionSiteOf, importsNiceGrpc, rpcMethodOf } from './service-methods.js';
import { inferSpanName } from './naming.js';
import {
  isAlreadyWrapped,
  isRuntimeCall,
  problemsWithBody,
  wrapClientCall,
  wrapCallConstruction,
  wrapClientConstruction,
  wrapFunction,
  wrapGrpcHandler,
  wrapHttpHandler,
  type TracedFunction,
} from './rewrite.js';
import { importedRuntimeNames, type RuntimeModule } from './runtime-import.js';
import { attachedComments, type FileTags, type FoundTag } from './tags/comments.js';
import { parseTracedTag, type ExpressionOption, type TracedTag } from './tags/grammar.js';
import { frameName } from './utils/frame-name.js';
import { unwrapExpression } from './utils/unwrap.js';

/** What the visitor of one file needs; set up once per file by the transformer. */
export interface FileContext {
  readonly ts: typeof ts;
  readonly transformation: ts.TransformationContext;
  readonly file: ts.SourceFile;
  readonly tags: FileTags;
  /** Every named function of the file is traced unless a tag says otherwise (option traceAll). */
  readonly traceAll: boolean;
  /** Async bodies keep their span's context across awaits (option awaitContext). */
  readonly awaitContext: boolean;
  readonly report: Report;
  /** Global value names, for checking `attr.` expressions; computed on first use. */
  readonly globals: () => ReadonlySet<string>;
  /** The program's type checker; absent when files are transpiled one at a time. */
  readonly checker: ts.TypeChecker | undefined;
  /** The file's name for a runtime module; asking for it makes the file import that module. */
  readonly runtime: (module: RuntimeModule) => ts.Identifier;
}

/**
 * Visits a file: on the way down, each tag comment is read where it stands and turned into a plan
 * for the function(s) it marks; on the way up, each planned function is rewritten. Every tag
 * comment is either used or reported, so no tag is silently ignored.
 */
export function createVisitor(context: FileContext): { visit: (node: ts.Node) => ts.Node; reportUnattached: () => void } {
  const { ts: t, file, report } = context;
  const plans = new Map<ts.Node, TracedTag>();
  const optedOut = new Set<ts.Node>();
  const clientCalls = new Map<ts.Node, { found: ClientCall; tag: TracedTag }>();
  const consumed = new Set<number>();
  const runtimeNames = importedRuntimeNames(t, file);

  const tagPositions = [...context.tags.comments.keys()];
  const within = (inner: ts.Node | number, outer: ts.Node): boolean =>
    typeof inner === 'number' ? outer.pos <= inner && inner < outer.end : outer.pos <= inner.pos && inner.end <= outer.end;
  /** A subtree with no tag comment and nothing planned in it is left as it is, unvisited. */
  const hasWork = (node: ts.Node): boolean =>
    context.traceAll ||
    tagPositions.some((pos) => within(pos, node)) ||
    [plans, clientCalls].some((planned) => {
      for (const target of planned.keys()) if (within(target, node)) return true;
      return false;
    });

  const visit = (node: ts.Node): ts.Node => {
    if (!hasWork(node)) return node;
    planTags(node);
    if (context.traceAll && isTracedFunction(t, node) && node.body !== undefined && !plans.has(node) && !optedOut.has(node)) plans.set(node, implicitTag(node));
    const visited = t.visitEachChild(node, visit, context.transformation);
    const clientCall = clientCalls.get(node);
    if (clientCall) {
      const module = clientCall.found.kind === 'grpc' ? 'grpc' : 'http';
      return wrapClientCall(t, visited as ts.CallExpression, clientCall.found, context.runtime(module), optionsOf(clientCall.tag));
    }
    const tag = plans.get(node);
    if (tag === undefined) return visited;
    if (t.isNewExpression(visited)) return wrapClientConstruction(t, visited, context.runtime('grpc'), optionsOf(tag));
    if (t.isCallExpression(visited)) return wrapCallConstruction(t, visited, context.runtime(clientStackOf(t, file, node as ts.CallExpression)!), optionsOf(tag));
    return trace(node as TracedFunction, visited as TracedFunction, tag);
  };

  function planTags(node: ts.Node): void {
    if (!mayCarryTag(t, node)) return;
    const comments = attachedComments(t, file, node, context.tags.comments);
    if (comments.length === 0) return;
    const tags = comments.flatMap((comment) => {
      consumed.add(comment.pos);
      return comment.tags;
    });
    const [first, second] = tags;
    if (second !== undefined) {
      report(second.pos, second.name.length + 1, messages.twoTags(first!.name, second.name), DiagnosticCode.malformedTag);
      return;
    }
    if (first!.name === 'untraced') return optOut(node, first!);
    const { tag, problems } = parseTracedTag(first!.pos, first!.body);
    for (const problem of problems) report(problem.pos, problem.length, problem.message, DiagnosticCode.malformedTag);
    if (tag) applyTag(node, tag, first!);
  }

  function applyTag(node: ts.Node, tag: TracedTag, found: FoundTag): void {
    if (t.isConstructorDeclaration(node)) {
      return report(found.pos, 7, messages.constructor, DiagnosticCode.cannotTrace);
    }
    if (isTracedFunction(t, node)) return planFunction(node, tag, found);
    if (t.isPropertyDeclaration(node) || t.isPropertyAssignment(node)) return planValue(node.initializer, tag, found);
    if (t.isVariableStatement(node)) {
      const [declaration, ...others] = node.declarationList.declarations;
      if (others.length > 0) {
        return report(found.pos, 7, messages.severalVariables, DiagnosticCode.notAFunction);
      }
      return planValue(declaration?.initializer, tag, found);
    }
    if (t.isExportAssignment(node) || t.isReturnStatement(node)) return planValue(node.expression, tag, found);
    if (t.isExpressionStatement(node) && t.isBinaryExpression(node.expression)) return planValue(node.expression.right, tag, found);
    if (t.isNewExpression(node) || t.isCallExpression(node)) return planValue(node, tag, found);
    if (t.isClassLike(node) || t.isObjectLiteralExpression(node)) return planMembers(node, tag, found);
    report(found.pos, 7, messages.declaredElsewhere(node.getText(file)), DiagnosticCode.notAFunction);
  }

  function planValue(value: ts.Expression | undefined, tag: TracedTag, found: FoundTag): void {
    const target = value && unwrapExpression(t, value);
    if (target && isRuntimeCall(t, target, runtimeNames)) return; // compiled by an earlier run of the transformer
    if (tag.kind === 'grpc.client' && target && (t.isNewExpression(target) || t.isCallExpression(target))) {
      if (t.isCallExpression(target) && t.isOptionalChain(target)) {
        const text = target.getText(file);
        return report(target.getStart(file), text.length, messages.optionalConstruction(text), DiagnosticCode.noEffect, t.DiagnosticCategory.Warning);
      }
      if (t.isNewExpression(target) || clientStackOf(t, file, target) !== undefined) plans.set(target, tag);
      else report(found.pos, 7, messages.notAConstruction(target.expression.getText(file)), DiagnosticCode.notAFunction);
      return;
    }
    if (target && (t.isFunctionExpression(target) || t.isArrowFunction(target))) return planFunction(target, tag, found);
    if (target && (t.isClassExpression(target) || t.isObjectLiteralExpression(target))) return planMembers(target, tag, found);
    report(found.pos, 7, messages.notAFunctionValue(tag.kind, target !== undefined), DiagnosticCode.notAFunction);
  }

  function planFunction(fn: TracedFunction, tag: TracedTag, found: FoundTag): void {
    const implementation = fn.body !== undefined ? fn : implementationOf(t, fn);
    if (implementation?.body === undefined) {
      return report(found.pos, 7, messages.noBody, DiagnosticCode.notAFunction);
    }
    if (tag.kind === 'grpc.client' || tag.kind === 'http.client') planClientCalls(implementation.body, tag, found);
    else plans.set(implementation, tag);
  }

  /** A client-kind tag on a function marks the calls it makes, each of which gets a CLIENT span. */
  function planClientCalls(body: ts.Node, tag: TracedTag, found: FoundTag): void {
    const warn = (message: string, pos = found.pos, length = 7): void => report(pos, length, message, DiagnosticCode.noEffect, t.DiagnosticCategory.Warning);
    let calls: ReturnType<typeof findHttpCalls>;
    if (tag.kind === 'http.client') {
      calls = findHttpCalls(t, file, body);
    } else if (context.checker === undefined) {
      return warn(messages.grpcCallsNeedTypes);
    } else {
      calls = findGrpcCalls(t, context.checker, body);
    }
    for (const call of calls.optional) {
      warn(messages.optionalCall(call.getText(file)), call.getStart(file), call.getWidth(file));
    }
    for (const call of calls.calls) clientCalls.set(call.call, { found: call, tag });
    if (calls.calls.length === 0 && calls.optional.length === 0) {
      warn(tag.kind === 'http.client' ? messages.noHttpCalls : messages.noGrpcCalls);
    }
  }

  /** A tag on a class or object literal marks each method and each function-valued property. */
  function planMembers(owner: ts.ClassLikeDeclaration | ts.ObjectLiteralExpression, tag: TracedTag, found: FoundTag): void {
    if (tag.name !== undefined) {
      report(found.pos, 7, messages.nameOnMembers, DiagnosticCode.malformedTag);
      return;
    }
    if (tag.kind === 'grpc.client' || tag.kind === 'http.client') {
      report(found.pos, 7, messages.clientKindOnMembers(tag.kind), DiagnosticCode.notAFunction);
      return;
    }
    const members: readonly ts.Node[] = t.isObjectLiteralExpression(owner) ? owner.properties : owner.members;
    for (const member of members) {
      const fn = memberFunction(member);
      if (fn?.body !== undefined) plans.set(fn, tag);
      if (t.isShorthandPropertyAssignment(member) || t.isSpreadAssignment(member)) {
        const text = member.getText(file);
        report(member.getStart(file), text.length, messages.memberElsewhere(text), DiagnosticCode.noEffect, t.DiagnosticCategory.Warning);
      }
    }
  }

  function memberFunction(member: ts.Node): TracedFunction | undefined {
    if (t.isMethodDeclaration(member)) return member;
    if (t.isPropertyDeclaration(member) || t.isPropertyAssignment(member)) return functionValue(member.initializer);
    return undefined;
  }

  /** The function an initializer holds (through parentheses and type assertions), if it is one. */
  function functionValue(initializer: ts.Expression | undefined): TracedFunction | undefined {
    const value = initializer && unwrapExpression(t, initializer);
    return value && (t.isArrowFunction(value) || t.isFunctionExpression(value)) ? value : undefined;
  }

  /** A function of a traceAll file with no tag of its own: traced as `@traced`, skipped quietly where it cannot be. */
  function implicitTag(fn: TracedFunction): TracedTag {
    return { kind: 'internal', public: false, messages: false, attributes: [], pos: fn.getStart(file), implicit: true };
  }

  /** The function a variable statement declares (`@untraced const f = () => ...`). */
  function functionOfValue(node: ts.Node): TracedFunction | undefined {
    return t.isVariableStatement(node) ? functionValue(node.declarationList.declarations[0]?.initializer) : undefined;
  }

  function optOut(node: ts.Node, found: FoundTag): void {
    const fn = isTracedFunction(t, node) ? node : memberFunction(node) ?? functionOfValue(node);
    if (fn && context.traceAll) optedOut.add(fn);
    if (fn && (plans.delete(fn) || context.traceAll)) return;
    report(found.pos, 9, messages.untracedNoEffect, DiagnosticCode.noEffect, t.DiagnosticCategory.Warning);
  }

  function trace(original: TracedFunction, visited: TracedFunction, tag: TracedTag): ts.Node {
    if (visited.body === undefined || isAlreadyWrapped(t, visited.body, runtimeNames)) return visited;
    const problem = problemsWithBody(t, original as TracedFunction & { body: ts.ConciseBody });
    if (problem) {
      if (!tag.implicit) report(problem.node.getStart(file), problem.node.getWidth(file), problem.message, DiagnosticCode.cannotTrace);
      return visited;
    }
    const body = visited as TracedFunction & { body: ts.ConciseBody };
    const attributes = attributesOf(original, tag);
    const inferred = inferSpanName(t, file, original);
    const frame = frameName(inferred);
    if (tag.kind === 'http.server') {
      return handled(wrapHttpHandler(t, body, { runtime: context.runtime('http'), spanName: tag.name, attributes, options: optionsOf(tag), frameName: frame }));
    }
    const spanName = tag.name ?? inferred;
    if (spanName === undefined) {
      if (tag.implicit) return visited; // an anonymous callback of a traceAll file
      report(tag.pos, 7, messages.noName, DiagnosticCode.cannotTrace);
      return visited;
    }
    if (tag.kind === 'grpc.server') {
      return handled(wrapGrpcHandler(t, body, { runtime: context.runtime('rpc'), spanName, attributes, options: optionsOf(tag, servedMethod(original, tag)), frameName: frame }));
    }
    const hop = hopOf(original, tag);
    if (hop === null) return visited;
    const awaitContext = context.awaitContext ? context.transformation : undefined;
    return wrapFunction(t, body, { runtime: context.runtime(hop === undefined ? 'core' : 'messaging'), spanName, attributes, hop, awaitContext, frameName: frame });

    function handled(handler: TracedFunction | string): ts.Node {
      if (typeof handler !== 'string') return handler;
      report(tag.pos, 7, handler, DiagnosticCode.cannotTrace);
      return visited;
    }
  }

  /**
   * A producer's or consumer's `{ kind, carrier: () => expression, public?, system?, destination?, named? }`;
   * null after a reported problem.
   */
  function hopOf(fn: TracedFunction, tag: TracedTag): ts.ObjectLiteralExpression | undefined | null {
    if (tag.carrier === undefined || (tag.kind !== 'producer' && tag.kind !== 'consumer')) return undefined;
    const compile = (option: ExpressionOption): ts.Expression | undefined => {
      const result = compileAttribute(t, context.transformation, fn, option, context.globals);
      if ('expression' in result) return result.expression;
      report(option.pos, option.expression.length, result.problem, DiagnosticCode.badAttribute);
      return undefined;
    };
    const carrier = compile(tag.carrier);
    const destination = tag.destination && compile(tag.destination);
    if (carrier === undefined || (tag.destination !== undefined && destination === undefined)) return null;
    const { factory } = t;
    const properties = [factory.createPropertyAssignment('kind', factory.createStringLiteral(tag.kind)), factory.createPropertyAssignment('carrier', thunk(carrier))];
    if (tag.public) properties.push(factory.createPropertyAssignment('public', factory.createTrue()));
    if (tag.system !== undefined) properties.push(factory.createPropertyAssignment('system', factory.createStringLiteral(tag.system)));
    if (destination !== undefined) properties.push(factory.createPropertyAssignment('destination', thunk(destination)));
    if (destination !== undefined && tag.name !== undefined) properties.push(factory.createPropertyAssignment('named', factory.createTrue()));
    return factory.createObjectLiteralExpression(properties, false);
  }

  /**
   * The `package.Service/Method` of a handler whose stack does not tell it (nice-grpc), read from
   * its service definition's type; a warning where the source names a definition but the build
   * cannot read it (no type checker, or a definition without the method), or names none in a file
   * that imports nice-grpc.
   */
  function servedMethod(fn: TracedFunction, tag: TracedTag): string | undefined {
    const found = definitionSiteOf(t, fn);
    if (found === undefined) {
      if (!tag.implicit && importsNiceGrpc(t, file)) report(fn.getStart(file), 1, messages.unplacedHandler, DiagnosticCode.noEffect, t.DiagnosticCategory.Warning);
      return undefined;
    }
    const method = context.checker && rpcMethodOf(t, context.checker, found.key, found.site);
    if (method === undefined && !tag.implicit) {
      report(fn.getStart(file), found.key.length, messages.unreadMethod(found.key, context.checker ? 'unreadable' : 'no types'), DiagnosticCode.noEffect, t.DiagnosticCategory.Warning);
    }
    return method;
  }

  /** The tag's run-time options, `{ public: true, metadata: [...], ... }`, when it has any. */
  function optionsOf(tag: TracedTag, method?: string): ts.ObjectLiteralExpression | undefined {
    const { factory } = t;
    const properties: ts.PropertyAssignment[] = [];
    const keys = (list: readonly string[]) => factory.createArrayLiteralExpression(list.map((key) => factory.createStringLiteral(key)));
    if (tag.public) properties.push(factory.createPropertyAssignment('public', factory.createTrue()));
    if (tag.messages) properties.push(factory.createPropertyAssignment('messages', factory.createTrue()));
    if (tag.metadata) properties.push(factory.createPropertyAssignment('metadata', keys(tag.metadata)));
    if (tag.headers) properties.push(factory.createPropertyAssignment('headers', keys(tag.headers)));
    if (tag.route !== undefined) properties.push(factory.createPropertyAssignment('route', factory.createStringLiteral(tag.route)));
    if (method !== undefined) properties.push(factory.createPropertyAssignment('method', factory.createStringLiteral(method)));
    return properties.length > 0 ? factory.createObjectLiteralExpression(properties, false) : undefined;
  }

  function thunk(expression: ts.Expression): ts.ArrowFunction {
    return t.factory.createArrowFunction(undefined, undefined, [], undefined, t.factory.createToken(t.SyntaxKind.EqualsGreaterThanToken), expression);
  }

  function attributesOf(fn: TracedFunction, tag: TracedTag): ts.ArrowFunction | undefined {
    const { factory } = t;
    const properties: ts.PropertyAssignment[] = [];
    for (const option of tag.attributes) {
      const result = compileAttribute(t, context.transformation, fn, option, context.globals);
      if ('problem' in result) report(option.pos, option.expression.length, result.problem, DiagnosticCode.badAttribute);
      else properties.push(factory.createPropertyAssignment(factory.createStringLiteral(option.key), result.expression));
    }
    if (properties.length === 0) return undefined;
    return thunk(factory.createParenthesizedExpression(factory.createObjectLiteralExpression(properties, false)));
  }

  function reportUnattached(): void {
    for (const tag of context.tags.outsideJsDoc) {
      report(tag.pos, tag.name.length + 1, messages.outsideJsDoc(tag.name), DiagnosticCode.noEffect, t.DiagnosticCategory.Warning);
    }
    for (const comment of context.tags.comments.values()) {
      if (consumed.has(comment.pos)) continue;
      for (const tag of comment.tags) {
        report(tag.pos, tag.name.length + 1, messages.unattached(tag.name), DiagnosticCode.notAFunction);
      }
    }
  }

  return { visit, reportUnattached };
}

function isTracedFunction(t: typeof ts, node: ts.Node): node is TracedFunction {
  return t.isFunctionDeclaration(node) || t.isMethodDeclaration(node) || t.isGetAccessorDeclaration(node) || t.isSetAccessorDeclaration(node) || t.isFunctionExpression(node) || t.isArrowFunction(node);
}

/** The node kinds a tag comment may stand above. */
function mayCarryTag(t: typeof ts, node: ts.Node): boolean {
  return (
    isTracedFunction(t, node) ||
    t.isConstructorDeclaration(node) ||
    t.isPropertyDeclaration(node) ||
    t.isPropertyAssignment(node) ||
    t.isShorthandPropertyAssignment(node) ||
    t.isVariableStatement(node) ||
    t.isExportAssignment(node) ||
    t.isReturnStatement(node) ||
    (t.isExpressionStatement(node) && t.isBinaryExpression(node.expression) && node.expression.operatorToken.kind === t.SyntaxKind.EqualsToken) ||
    t.isClassLike(node) ||
    t.isObjectLiteralExpression(node) ||
    t.isNewExpression(node) ||
    t.isCallExpression(node)
  );
}

/** For an overload signature, the implementation that follows it. */
function implementationOf(t: typeof ts, signature: TracedFunction): TracedFunction | undefined {
  const parent = signature.parent as { statements?: readonly ts.Node[]; members?: readonly ts.Node[] };
  const siblings: readonly ts.Node[] = parent.statements ?? parent.members ?? [];
  const name = signature.name?.getText();
  if (name === undefined) return undefined;
  return siblings.find((s): s is TracedFunction => s.pos > signature.pos && isTracedFunction(t, s) && s.body !== undefined && s.name?.getText() === name);
}
