import type { CallExpression, Class, Comment, Expression, Node, NewExpression, ObjectExpression, Program } from 'oxc-parser';
import { DiagnosticCode } from '../diagnostics.js';
import { messages } from '../messages.js';
import { RUNTIME_ENTRY_POINTS, RUNTIME_MODULES, type RuntimeModule } from '../runtime-import.js';
import { opensLine, tagBody, TAG, type FoundTag, type TagComment, type TagName } from '../tags/comments.js';
import { parseTracedTag, type ExpressionOption, type TracedTag } from '../tags/grammar.js';
import { frameName } from '../utils/frame-name.js';
import { checkAttribute } from './attributes.js';
import { clientStackOf, findHttpCalls, isOptionalCall, type HttpCall } from './calls.js';
import { Editor, wrapCallConstruction, wrapClientConstruction, wrapFunction, wrapGrpcHandler, wrapHttpCall, wrapHttpHandler } from './emit.js';
import { moduleBindings, type ModuleBindings } from './modules.js';
import type { ReadNow } from './parse.js';
import { inferSpanName, loweredPrivateField } from './naming.js';
import { ServiceDefinitions } from './service-definition.js';
import { boundNames, forEachChild, isFunctionLike, nextTokenAfter, Parents, unwrap, type FunctionLike } from './syntax.js';

export interface PlanDiagnostic {
  readonly start: number;
  readonly length: number;
  readonly message: string;
  readonly code: number;
  readonly category: 'error' | 'warning';
}

export interface FileInput {
  readonly fileName: string;
  readonly text: string;
  readonly lang: 'ts' | 'tsx' | 'js' | 'jsx';
  readonly program: Program;
  readonly comments: readonly Comment[];
  /** Top-level statements the walk passes over, where `statementsToRead` found nothing it looks for. */
  readonly deferred: ReadonlySet<Node>;
  readonly traceAll: boolean;
  readonly awaitContext?: boolean;
  readonly globals: () => ReadonlySet<string>;
}

/** A function node with the method or property node that holds it, if any (for naming and overloads). */
interface Traced {
  readonly fn: FunctionLike & { body: Node };
  readonly member: Node | undefined;
}

/**
 * Reads the tags of a parsed file and makes the edits that trace what they mark, by the compiler
 * plugin's rules (visitor.ts): each tag comment is applied to the declaration right below it or
 * reported; members of a tagged class or object literal are traced unless `@untraced`; client-kind
 * tags on functions mark the calls they make. Returns the runtime modules the edits call, by the
 * local name chosen for each.
 */
export function planAndEdit(input: FileInput, editor: Editor, runtimeName: (module: RuntimeModule) => string): PlanDiagnostic[] {
  const { text, program } = input;
  const diagnostics: PlanDiagnostic[] = [];
  const report = (start: number, length: number, message: string, code: number, category: PlanDiagnostic['category'] = 'error'): void => {
    diagnostics.push({ start, length, message: `spanweave: ${message}`, code, category });
  };
  const warn = (start: number, length: number, message: string): void => report(start, length, message, DiagnosticCode.noEffect, 'warning');

  const { comments, outsideJsDoc } = tagComments(text, input.comments);
  const parents = new Parents();
  const bindings = moduleBindings(program, text);
  const runtimeNames = importedRuntimeNames(bindings);
  const plans = new Map<FunctionLike, { traced: Traced; tag: TracedTag }>();
  const optedOut = new Set<FunctionLike>();
  const httpCalls = new Map<CallExpression, HttpCall>();
  const constructions = new Map<NewExpression | CallExpression, TracedTag>();
  const definitions = new ServiceDefinitions(text, parents, bindings, program);

  // Each tag comment belongs to the outermost node that starts at the comment's next token (or
  // right after a decorated node's last decorator) and may carry a tag.
  const next = nextTokenAfter(text, input.comments);
  const commentsAt = new Map<number, TagComment[]>();
  for (const comment of comments.values()) {
    const at = next(comment.end);
    commentsAt.set(at, [...(commentsAt.get(at) ?? []), comment]);
  }
  const consumed = new Set<number>();

  // The nodes from the program down to the one visited. Parents are recorded only around what a
  // tag plans for (the path above it and the tree below it), and everywhere for traceAll.
  const path: Node[] = [];
  let adoptedSubtree: Node | undefined;
  const recordAround = (node: Node): void => {
    for (let i = path.length - 1; i > 0 && !parents.has(path[i]!); i--) parents.set(path[i]!, path[i - 1]!);
    if (adoptedSubtree !== undefined) return;
    parents.adoptSubtree(node);
    adoptedSubtree = node;
  };

  const visit = (node: Node, parent: Node | undefined): void => {
    if (input.deferred.has(node)) return;
    if (input.traceAll && parent) parents.set(node, parent);
    if (node.type === 'CallExpression') definitions.noteCall(node);
    path.push(node);
    const attached = attachedComments(node);
    if (attached.length > 0 && mayCarryTag(node)) {
      recordAround(node);
      for (const comment of attached) consumed.add(comment.pos);
      planTags(node, attached.flatMap((comment) => comment.tags));
    }
    if (input.traceAll) {
      const traced = tracedFunction(parents, node);
      if (traced?.fn.body && !plans.has(traced.fn) && !optedOut.has(traced.fn)) plans.set(traced.fn, { traced: traced as Traced, tag: implicitTag(traced.fn) });
    }
    forEachChild(node, visit);
    path.pop();
    if (adoptedSubtree === node) adoptedSubtree = undefined;
  };

  /**
   * The unread tag comments that end right above `node`: at its start, at its first decorator
   * (which may stand before `export`), after its last decorator, or, for an export, at the
   * declaration it wraps. Every node is asked, so the common answer (none) allocates nothing.
   */
  function attachedComments(node: Node): readonly TagComment[] {
    const declared = declarationOf(node);
    const decorators = (declared as { decorators?: readonly Node[] }).decorators;
    if (!decorators?.length) {
      const own = unread(commentsAt.get(node.start));
      const inner = declared === node ? undefined : unread(commentsAt.get(declared.start));
      return inner?.length ? [...(own ?? []), ...inner] : (own ?? NONE);
    }
    const positions = new Set([node.start, declared.start, decorators[0]!.start, next(decorators[decorators.length - 1]!.end)]);
    return [...positions].flatMap((at) => unread(commentsAt.get(at)) ?? []);
  }

  function unread(found: readonly TagComment[] | undefined): readonly TagComment[] | undefined {
    return found?.filter((comment) => !consumed.has(comment.pos));
  }

  function planTags(node: Node, tags: readonly FoundTag[]): void {
    const [first, second] = tags;
    if (second !== undefined) return report(second.pos, second.name.length + 1, messages.twoTags(first!.name, second.name), DiagnosticCode.malformedTag);
    if (first!.name === 'untraced') return optOut(node, first!);
    const { tag, problems } = parseTracedTag(first!.pos, first!.body);
    for (const problem of problems) report(problem.pos, problem.length, problem.message, DiagnosticCode.malformedTag);
    if (tag) applyTag(node, tag, first!);
  }

  function applyTag(node: Node, tag: TracedTag, found: FoundTag): void {
    const declared = declarationOf(node);
    if ((declared.type === 'MethodDefinition' || declared.type === 'TSAbstractMethodDefinition') && declared.kind === 'constructor') {
      return report(found.pos, 7, messages.constructor, DiagnosticCode.cannotTrace);
    }
    const traced = tracedFunction(parents, declared);
    if (traced) return planFunction(traced, tag, found);
    switch (declared.type) {
      case 'PropertyDefinition':
      case 'AccessorProperty':
        return planValue(declared.value ?? undefined, tag, found);
      case 'Property':
        if (declared.shorthand) break;
        return planValue(declared.value as Expression, tag, found);
      case 'VariableDeclaration': {
        const [declaration, ...others] = declared.declarations;
        if (others.length > 0) return report(found.pos, 7, messages.severalVariables, DiagnosticCode.notAFunction);
        return planValue(declaration?.init ?? undefined, tag, found);
      }
      case 'ExportDefaultDeclaration':
        return planValue(declared.declaration as Expression, tag, found);
      case 'ReturnStatement':
        return planValue(declared.argument ?? undefined, tag, found);
      case 'ExpressionStatement':
        return planValue((declared.expression as { right: Expression }).right, tag, found);
      case 'NewExpression':
        return planValue(declared, tag, found);
      case 'CallExpression':
        return planValue(loweredPrivateField(parents, declared)?.value ?? declared, tag, found);
      case 'ClassDeclaration':
      case 'ClassExpression':
      case 'ObjectExpression':
        return planMembers(declared, tag, found);
    }
    report(found.pos, 7, messages.declaredElsewhere(text.slice(declared.start, declared.end)), DiagnosticCode.notAFunction);
  }

  function planValue(value: Expression | undefined, tag: TracedTag, found: FoundTag): void {
    const target = value && unwrap(value);
    if (target && isRuntimeCall(target, runtimeNames)) return; // woven before
    if (tag.kind === 'grpc.client' && target && (target.type === 'NewExpression' || target.type === 'CallExpression' || target.type === 'ChainExpression')) {
      if (target.type === 'ChainExpression' || (target.type === 'CallExpression' && isOptionalCall(target))) {
        const source = text.slice(target.start, target.end);
        return warn(target.start, source.length, messages.optionalConstruction(source));
      }
      if (target.type === 'NewExpression' || clientStackOf(target, bindings) !== undefined) constructions.set(target, tag);
      else report(found.pos, 7, messages.notAConstruction(text.slice(target.callee.start, target.callee.end)), DiagnosticCode.notAFunction);
      return;
    }
    if (target && (target.type === 'FunctionExpression' || target.type === 'ArrowFunctionExpression')) return planFunction({ fn: target, member: undefined }, tag, found);
    if (target && (target.type === 'ClassExpression' || target.type === 'ObjectExpression')) return planMembers(target, tag, found);
    report(found.pos, 7, messages.notAFunctionValue(tag.kind, target !== undefined), DiagnosticCode.notAFunction);
  }

  function planFunction(traced: { fn: FunctionLike; member: Node | undefined }, tag: TracedTag, found: FoundTag): void {
    const implementation = traced.fn.body ? traced : implementationOf(parents, text, traced);
    if (!implementation?.fn.body) return report(found.pos, 7, messages.noBody, DiagnosticCode.notAFunction);
    if (tag.kind === 'grpc.client') return warn(found.pos, 7, messages.grpcCallsNeedTypes);
    if (tag.kind === 'http.client') return planHttpCalls(implementation.fn.body, found);
    plans.set(implementation.fn, { traced: implementation as Traced, tag });
  }

  function planHttpCalls(body: Node, found: FoundTag): void {
    const { calls, optional } = findHttpCalls(body, bindings);
    for (const call of optional) warn(call.start, call.end - call.start, messages.optionalCall(text.slice(call.start, call.end)));
    for (const call of calls) httpCalls.set(call.call, call);
    if (calls.length === 0 && optional.length === 0 && !callsRuntime(body, runtimeNames)) warn(found.pos, 7, messages.noHttpCalls);
  }

  function planMembers(owner: Class | ObjectExpression, tag: TracedTag, found: FoundTag): void {
    if (tag.name !== undefined) return report(found.pos, 7, messages.nameOnMembers, DiagnosticCode.malformedTag);
    if (tag.kind === 'grpc.client' || tag.kind === 'http.client') return report(found.pos, 7, messages.clientKindOnMembers(tag.kind), DiagnosticCode.notAFunction);
    const members: readonly Node[] = owner.type === 'ObjectExpression' ? owner.properties : owner.body.body;
    for (const member of members) {
      const traced = memberFunction(member);
      if (traced?.fn.body) plans.set(traced.fn, { traced: traced as Traced, tag });
      if ((member.type === 'Property' && member.shorthand) || member.type === 'SpreadElement') {
        const source = text.slice(member.start, member.end);
        warn(member.start, source.length, messages.memberElsewhere(source));
      }
    }
  }

  function optOut(node: Node, found: FoundTag): void {
    const declared = declarationOf(node);
    const fn = tracedFunction(parents, declared)?.fn ?? memberFunction(declared)?.fn ?? variableFunction(declared);
    if (fn && input.traceAll) optedOut.add(fn);
    if (fn && (plans.delete(fn) || input.traceAll)) return;
    warn(found.pos, 9, messages.untracedNoEffect);
  }

  visit(program, undefined);
  for (const tag of outsideJsDoc) warn(tag.pos, tag.name.length + 1, messages.outsideJsDoc(tag.name));
  for (const comment of comments.values()) {
    if (consumed.has(comment.pos)) continue;
    for (const tag of comment.tags) report(tag.pos, tag.name.length + 1, messages.unattached(tag.name), DiagnosticCode.notAFunction);
  }

  // Edits, outermost first (see Editor).
  const edits: { at: number; end: number; make: () => void }[] = [];
  for (const [fn, { traced, tag }] of plans) edits.push({ at: fn.start, end: fn.end, make: () => trace(traced, tag) });
  for (const [call, found] of httpCalls) edits.push({ at: call.start, end: call.end, make: () => wrapHttpCall(editor, call, found.kind, runtimeName('http')) });
  for (const [construction, tag] of constructions) {
    edits.push({
      at: construction.start,
      end: construction.end,
      make: () =>
        construction.type === 'NewExpression'
          ? wrapClientConstruction(editor, construction, runtimeName('grpc'), optionsOf(tag))
          : wrapCallConstruction(editor, construction, runtimeName(clientStackOf(construction, bindings)!), optionsOf(tag)),
    });
  }
  edits.sort((a, b) => a.at - b.at || b.end - a.end);
  for (const edit of edits) edit.make();
  return diagnostics;

  function trace({ fn, member }: Traced, tag: TracedTag): void {
    if (isAlreadyWrapped(fn.body, runtimeNames)) return;
    const problem = problemWithBody(fn, text);
    if (problem) {
      if (!tag.implicit) report(problem.start, problem.length, problem.message, DiagnosticCode.cannotTrace);
      return;
    }
    const attributes = attributesOf(fn, tag);
    const inferred = inferSpanName(text, input.fileName, parents, fn, member);
    const frame = frameName(inferred);
    if (tag.kind === 'http.server') return handled(wrapHttpHandler(editor, fn, { runtime: runtimeName('http'), spanName: tag.name, attributes, options: optionsOf(tag), frameName: frame }));
    const spanName = tag.name ?? inferred;
    if (spanName === undefined) {
      if (!tag.implicit) report(tag.pos, 7, messages.noName, DiagnosticCode.cannotTrace);
      return;
    }
    if (tag.kind === 'grpc.server') return handled(wrapGrpcHandler(editor, fn, { runtime: runtimeName('rpc'), spanName, attributes, options: optionsOf(tag, servedDefinition(fn, member, tag)), frameName: frame }));
    const hop = hopOf(fn, tag);
    if (hop === null) return;
    wrapFunction(editor, fn, { runtime: runtimeName(hop === undefined ? 'core' : 'messaging'), spanName, attributes, hop, awaitContext: input.awaitContext, frameName: frame });

    function handled(problem: string | undefined): void {
      if (problem !== undefined) report(tag.pos, 7, problem, DiagnosticCode.cannotTrace);
    }
  }

  /**
   * The service definition a nice-grpc handler's method is read from at run time; a warning where a
   * site names one that has no value, or none is named in a file that imports nice-grpc.
   */
  function servedDefinition(fn: FunctionLike, member: Node | undefined, tag: TracedTag): string | undefined {
    const found = definitions.of(member ?? parents.skippingWrappers(fn));
    if (found === undefined) {
      if (!tag.implicit && definitions.importsNiceGrpc) warn(fn.start, 1, messages.unplacedHandler);
      return undefined;
    }
    if ('service' in found) return `definition: { service: ${found.service}, key: ${JSON.stringify(found.key)} }`;
    if (!tag.implicit) warn(fn.start, found.unreadable.length, messages.unreadDefinition(found.unreadable));
    return undefined;
  }

  function compile(fn: FunctionLike, option: ExpressionOption): string | undefined {
    const result = checkAttribute(input.lang, parents, fn, option, input.globals, text);
    if ('text' in result) return result.text;
    report(option.pos, option.expression.length, result.problem, DiagnosticCode.badAttribute);
    return undefined;
  }

  function attributesOf(fn: FunctionLike, tag: TracedTag): string | undefined {
    const properties = tag.attributes.flatMap((option) => {
      const value = compile(fn, option);
      return value === undefined ? [] : [`${JSON.stringify(option.key)}: ${value}`];
    });
    return properties.length === 0 ? undefined : `() => ({ ${properties.join(', ')} })`;
  }

  /** A producer's or consumer's hop object; null after a reported problem. */
  function hopOf(fn: FunctionLike, tag: TracedTag): string | undefined | null {
    if (tag.carrier === undefined || (tag.kind !== 'producer' && tag.kind !== 'consumer')) return undefined;
    const carrier = compile(fn, tag.carrier);
    const destination = tag.destination && compile(fn, tag.destination);
    if (carrier === undefined || (tag.destination !== undefined && destination === undefined)) return null;
    // In parentheses: an object literal (`from={traceparent: msg.tp}`) would be the arrow's block.
    const properties = [`kind: ${JSON.stringify(tag.kind)}`, `carrier: () => (${carrier})`];
    if (tag.public) properties.push('public: true');
    if (tag.system !== undefined) properties.push(`system: ${JSON.stringify(tag.system)}`);
    if (destination !== undefined) properties.push(`destination: () => (${destination})`);
    if (destination !== undefined && tag.name !== undefined) properties.push('named: true');
    return `{ ${properties.join(', ')} }`;
  }
}

/**
 * Which top-level statements the walk must see (given the comments and space before each): those
 * that may hold a tag, and those that may call an `add` method (a nice-grpc server's, which the
 * walk notes for ServiceDefinitions). The rest of what the plan reads of a file it reads on demand.
 */
export function statementsToRead(text: string): ReadNow {
  return (from, to) => {
    const source = text.slice(from, to);
    return source.includes('traced') || MAY_CALL_ADD.test(source);
  };
}

/** `.add`, or a dot followed by a comment or an escaped name (which may still be `add`). */
const MAY_CALL_ADD = /\.\s*(?:add\b|\/[/*]|\\u)/;

/** The tag's run-time options, `{ public: true, metadata: [...], ... }`, when it has any. */
function optionsOf(tag: TracedTag, definition?: string): string | undefined {
  const properties: string[] = definition === undefined ? [] : [definition];
  if (tag.public) properties.push('public: true');
  if (tag.messages) properties.push('messages: true');
  if (tag.metadata) properties.push(`metadata: ${JSON.stringify(tag.metadata)}`);
  if (tag.headers) properties.push(`headers: ${JSON.stringify(tag.headers)}`);
  if (tag.route !== undefined) properties.push(`route: ${JSON.stringify(tag.route)}`);
  return properties.length > 0 ? `{ ${properties.join(', ')} }` : undefined;
}

function implicitTag(fn: FunctionLike): TracedTag {
  return { kind: 'internal', public: false, messages: false, attributes: [], pos: fn.start, implicit: true };
}

const NONE: readonly TagComment[] = [];

interface ParsedTagComment extends TagComment {
  readonly end: number;
}

/** The tag comments of a file from its parser's comments, read as the compiler plugin reads them (tags/comments.ts). */
function tagComments(text: string, comments: readonly Comment[]): { comments: Map<number, ParsedTagComment>; outsideJsDoc: FoundTag[] } {
  const tagged = new Map<number, ParsedTagComment>();
  const outsideJsDoc: FoundTag[] = [];
  for (const comment of comments) {
    const content = comment.value;
    if (!content.includes('traced')) continue;
    const isJsDoc = comment.type === 'Block' && content.startsWith('*') && content !== '*';
    const contentStart = comment.start + 2;
    const tags: FoundTag[] = [];
    for (const match of content.matchAll(TAG)) {
      const at = contentStart + match.index;
      const name = match[1] as TagName;
      if (!opensLine(text, isJsDoc ? contentStart + 1 : contentStart, at)) continue;
      if (isJsDoc) tags.push({ name, pos: at, body: tagBody(text, at + 1 + name.length, comment.end - 2) });
      else outsideJsDoc.push({ name, pos: at, body: { text: '', positions: [at] } });
    }
    if (tags.length > 0) tagged.set(comment.start, { pos: comment.start, end: comment.end, tags });
  }
  return { comments: tagged, outsideJsDoc };
}

/** The declaration an export statement wraps, or the node itself. */
function declarationOf(node: Node): Node {
  if (node.type === 'ExportNamedDeclaration' && node.declaration) return node.declaration;
  if (node.type === 'ExportDefaultDeclaration' && (node.declaration.type === 'FunctionDeclaration' || node.declaration.type === 'ClassDeclaration' || node.declaration.type === 'TSDeclareFunction')) {
    return node.declaration;
  }
  return node;
}

/** The node kinds a tag comment may stand above (visitor.ts's mayCarryTag). */
function mayCarryTag(node: Node): boolean {
  const declared = declarationOf(node);
  switch (declared.type) {
    case 'MethodDefinition':
    case 'TSAbstractMethodDefinition':
    case 'PropertyDefinition':
    case 'AccessorProperty':
    case 'Property':
    case 'VariableDeclaration':
    case 'ExportDefaultDeclaration':
    case 'ReturnStatement':
    case 'ClassDeclaration':
    case 'ClassExpression':
    case 'ObjectExpression':
    case 'NewExpression':
    case 'CallExpression':
      return true;
    case 'ExpressionStatement':
      return declared.expression.type === 'AssignmentExpression' && declared.expression.operator === '=';
    default:
      return isFunctionLike(declared);
  }
}

/**
 * The function a declaration, method or accessor is, with its member node; a method's function
 * value is traced through its method.
 */
function tracedFunction(parents: Parents, node: Node): { fn: FunctionLike; member: Node | undefined } | undefined {
  if (node.type === 'MethodDefinition' || node.type === 'TSAbstractMethodDefinition') return node.kind === 'constructor' ? undefined : { fn: node.value, member: node };
  if (isMethodProperty(node) && isFunctionLike(node.value)) return { fn: node.value, member: node };
  if (!isFunctionLike(node)) return undefined;
  const parent = parents.of(node);
  if (parent && (parent.type === 'MethodDefinition' || parent.type === 'TSAbstractMethodDefinition' || isMethodProperty(parent))) return undefined;
  return { fn: node, member: undefined };
}

const isMethodProperty = (node: Node): node is Node & { type: 'Property'; value: Node } => node.type === 'Property' && (node.method || node.kind !== 'init');

/** The function a class member or object property holds or is. */
function memberFunction(member: Node): { fn: FunctionLike; member: Node } | undefined {
  if ((member.type === 'MethodDefinition' || member.type === 'TSAbstractMethodDefinition') && (member.kind === 'method' || member.kind === 'get' || member.kind === 'set')) {
    return member.kind === 'method' ? { fn: member.value, member } : undefined;
  }
  if (member.type === 'Property' && (member.method || member.kind !== 'init')) return member.kind === 'init' && isFunctionLike(member.value) ? { fn: member.value, member } : undefined;
  if (member.type === 'PropertyDefinition' || member.type === 'AccessorProperty' || member.type === 'Property') {
    const value = member.value && unwrap(member.value as Expression);
    if (value && (value.type === 'ArrowFunctionExpression' || value.type === 'FunctionExpression')) return { fn: value, member };
  }
  return undefined;
}

/** The function a variable statement declares (`@untraced const f = () => ...`). */
function variableFunction(node: Node): FunctionLike | undefined {
  if (node.type !== 'VariableDeclaration') return undefined;
  const init = node.declarations[0]?.init;
  const value = init && unwrap(init);
  return value && (value.type === 'ArrowFunctionExpression' || value.type === 'FunctionExpression') ? value : undefined;
}

/** For an overload signature (a function or a method), the implementation that follows it. */
function implementationOf(parents: Parents, text: string, signature: { fn: FunctionLike; member: Node | undefined }): { fn: FunctionLike; member: Node | undefined } | undefined {
  const holder = signature.member ?? signature.fn;
  const statement = parents.of(holder)?.type === 'ExportNamedDeclaration' ? parents.of(holder)! : holder;
  const siblings = (parents.of(statement) as { body?: unknown } | undefined)?.body;
  if (!Array.isArray(siblings)) return undefined;
  const nameOf = (node: Node): string | undefined => {
    const declared = node.type === 'ExportNamedDeclaration' && node.declaration ? node.declaration : node;
    if (declared.type === 'MethodDefinition' || declared.type === 'TSAbstractMethodDefinition') return text.slice(declared.key.start, declared.key.end);
    return isFunctionLike(declared) ? declared.id?.name : undefined;
  };
  const name = nameOf(holder);
  for (const sibling of siblings as Node[]) {
    if (sibling.start <= statement.start || name === undefined || nameOf(sibling) !== name) continue;
    const declared = sibling.type === 'ExportNamedDeclaration' && sibling.declaration ? sibling.declaration : sibling;
    const found = declared.type === 'MethodDefinition' ? { fn: declared.value, member: declared } : isFunctionLike(declared) ? { fn: declared, member: undefined } : undefined;
    if (found?.fn.body) {
      // Known to the plan from here on: the walk records parents only around the tagged signature.
      parents.set(sibling, parents.of(statement)!);
      parents.adoptSubtree(sibling);
      return found;
    }
  }
  return undefined;
}

/** The names under which the file already imports a spanweave runtime module (woven before). */
function importedRuntimeNames(bindings: ModuleBindings): Set<string> {
  const specifiers = new Set<string>(Object.values(RUNTIME_MODULES).map((m) => m.specifier));
  const names = new Set<string>();
  for (const [name, module] of bindings.modules) if (specifiers.has(module)) names.add(name);
  return names;
}


/** A call of a runtime entry point, `spanweave_1.run(...)`. */
function isRuntimeCall(node: Node, runtimeNames: ReadonlySet<string>): boolean {
  if (node.type !== 'CallExpression') return false;
  const callee = node.callee;
  return (
    callee.type === 'MemberExpression' &&
    !callee.computed &&
    callee.object.type === 'Identifier' &&
    runtimeNames.has(callee.object.name) &&
    callee.property.type === 'Identifier' &&
    RUNTIME_ENTRY_POINTS.has(callee.property.name)
  );
}

/** Whether `body` calls the runtime anywhere: its calls were woven before. */
function callsRuntime(body: Node, runtimeNames: ReadonlySet<string>): boolean {
  let found = false;
  const visit = (node: Node): void => {
    if (found || (found = isRuntimeCall(node, runtimeNames))) return;
    forEachChild(node, visit);
  };
  visit(body);
  return found;
}

/** A body woven before: it returns a call of a runtime entry point. */
function isAlreadyWrapped(body: Node, runtimeNames: ReadonlySet<string>): boolean {
  let expression: Node | null | undefined = body;
  if (body.type === 'BlockStatement') {
    const last = body.body[body.body.length - 1];
    expression = last?.type === 'ReturnStatement' ? last.argument : undefined;
  }
  while (expression && (expression.type === 'AwaitExpression' || expression.type === 'YieldExpression' || expression.type === 'ParenthesizedExpression')) {
    expression = expression.type === 'ParenthesizedExpression' ? expression.expression : expression.argument;
  }
  return expression !== undefined && expression !== null && isRuntimeCall(expression, runtimeNames);
}

/**
 * Why a body cannot move into an inner function without changing what it does (rewrite.ts's
 * problemsWithBody): a `var` redeclaring a parameter, `super` in a generator.
 */
function problemWithBody(fn: FunctionLike & { body: Node }, text: string): { start: number; length: number; message: string } | undefined {
  const parameters = new Set(fn.params.flatMap((p) => boundNames(p)));
  let problem: { start: number; length: number; message: string } | undefined;
  const visit = (node: Node, inArrowOnly: boolean): void => {
    if (problem) return;
    if (isFunctionLike(node) && node.type !== 'ArrowFunctionExpression') return;
    if (node.type === 'ClassDeclaration' || node.type === 'ClassExpression') return;
    if (node.type === 'MethodDefinition' || node.type === 'Property' && (node.method || node.kind !== 'init')) return;
    if (!inArrowOnly && node.type === 'VariableDeclaration' && node.kind === 'var') {
      const clash = node.declarations.flatMap((d) => boundNames(d.id)).find((name) => parameters.has(name));
      if (clash) problem = { start: node.start, length: text.slice(node.start, node.end).replace(/;\s*$/, '').length, message: messages.redeclaredParameter(clash) };
    }
    if (fn.generator && node.type === 'Super') problem = { start: node.start, length: 5, message: messages.superInGenerator };
    forEachChild(node, (child) => visit(child, inArrowOnly || node.type === 'ArrowFunctionExpression'));
  };
  forEachChild(fn.body, (child) => visit(child, false));
  return problem;
}
