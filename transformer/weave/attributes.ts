import { parseSync, type Expression, type Node, type ParamPattern } from 'oxc-parser';
import { messages } from '../messages.js';
import type { ExpressionOption } from '../tags/grammar.js';
import { boundNames, forEachChild, isFunctionLike, type FunctionLike, type Parents } from './syntax.js';

export type AttributeResult = { readonly text: string } | { readonly problem: string };

/**
 * An `attr.<key>=` (or `from=`, `into=`, `destination=`) expression as text to insert, after the
 * compiler plugin's checks (attributes.ts): one expression, no await or yield, and every name it
 * reads in scope where the runtime evaluates it (the traced function's parameters, `this`,
 * declarations around the function, globals), imported bindings refused.
 */
export function checkAttribute(lang: 'ts' | 'tsx' | 'js' | 'jsx', parents: Parents, fn: FunctionLike, option: ExpressionOption, globals: () => ReadonlySet<string>, text: string): AttributeResult {
  const label = option.key.endsWith('=') ? option.key : `attr.${option.key}`;
  const path = PROPERTY_PATH.exec(option.expression);
  if (path && !RESERVED_WORDS.has(path[1]!)) {
    // `id`, `request.user.id`: the common case reads one name, and needs no parse.
    const problem = nameProblem(parents, fn, path[1]!, globals, label, text);
    return problem === undefined ? { text: option.expression } : { problem };
  }
  const parsed = parseExpression(lang, option.expression);
  if (parsed === undefined) return { problem: messages.notOneExpression(label, option.expression) };
  for (const { name, problem } of readNames(parsed.expression, parsed.text)) {
    if (problem) return { problem: `${label}: ${problem}` };
    const outOfScope = nameProblem(parents, fn, name, globals, label, text);
    if (outOfScope !== undefined) return { problem: outOfScope };
  }
  const source = parsed.text.slice(parsed.expression.start, parsed.expression.end);
  return { text: parsed.expression.type === 'SequenceExpression' ? `(${source})` : source };
}

/** A name followed by property names: `a`, `a.b.c`. */
const PROPERTY_PATH = /^([A-Za-z_$][\w$]*)(?:\.[A-Za-z_$][\w$]*)*$/;

/** Words that read as a name in PROPERTY_PATH but are not one (or not in strict code): left to the parser. */
const RESERVED_WORDS = new Set(
  'await break case catch class const continue debugger default delete do else enum export extends false finally for function if implements import in instanceof interface let new null package private protected public return static super switch this throw true try typeof var void while with yield'.split(' '),
);

/** Why `fn`'s expression may not read `name` where the runtime evaluates it, if it may not. */
function nameProblem(parents: Parents, fn: FunctionLike, name: string, globals: () => ReadonlySet<string>, label: string, text: string): string | undefined {
  const origin = resolveName(parents, fn, name, globals);
  if (origin === 'import') return messages.importedName(label, name);
  if (origin === undefined) return messages.notInScope(label, name, fn.params.map((p) => bindingText(p, text)).join(', '));
  return undefined;
}

/** A parameter's binding as written, without its type or default: `a`, `{ x, y }`. */
function bindingText(parameter: ParamPattern, text: string): string {
  const plain = parameter.type === 'TSParameterProperty' ? parameter.parameter : parameter;
  const binding = plain.type === 'AssignmentPattern' ? plain.left : plain.type === 'RestElement' ? plain.argument : plain;
  if (binding.type === 'Identifier') return binding.name;
  return text.slice(binding.start, binding.typeAnnotation ? binding.typeAnnotation.start : binding.end).trim();
}

function parseExpression(lang: 'ts' | 'tsx' | 'js' | 'jsx', text: string): { expression: Expression; text: string } | undefined {
  const wrapped = `(${text})`;
  const { program, errors } = parseSync(`attribute.${lang}`, wrapped);
  const [statement, ...rest] = program.body;
  if (errors.length > 0 || rest.length > 0 || statement?.type !== 'ExpressionStatement') return undefined;
  // `a) + (b` parses as a binary expression, not as one parenthesized expression.
  const expression = statement.expression;
  if (expression.type !== 'ParenthesizedExpression' || expression.end !== wrapped.length) return undefined;
  return { expression: expression.expression, text: wrapped };
}

interface NameRead {
  readonly name: string;
  readonly problem?: string;
}

/** The free names an expression reads, skipping property names, types and its own arrow parameters. */
function readNames(expression: Expression, text: string): NameRead[] {
  const reads: NameRead[] = [];
  const bound: string[] = [];
  const visit = (node: Node): void => {
    switch (node.type) {
      case 'AwaitExpression':
      case 'YieldExpression':
        reads.push({ name: '', problem: messages.waits(text.slice(node.start, node.end)) });
        return;
      case 'Identifier':
        if (!bound.includes(node.name)) reads.push({ name: node.name });
        return;
      case 'MemberExpression':
        visit(node.object);
        if (node.computed) visit(node.property);
        return;
      case 'Property':
        if (node.computed) visit(node.key);
        return visit(node.value);
      case 'MetaProperty':
        return;
    }
    if (isFunctionLike(node)) {
      const names = node.params.flatMap((p) => boundNames(p));
      bound.push(...names);
      if (node.body) visit(node.body);
      bound.length -= names.length;
      return;
    }
    forEachChild(node, visit);
  };
  visit(expression);
  return reads;
}

type NameOrigin = 'local' | 'import' | 'global' | undefined;

/**
 * Where `name` comes from when the runtime evaluates an expression of `fn`: at the call, after the
 * parameters and before the body (scope.ts's rules, over this syntax tree).
 */
function resolveName(parents: Parents, fn: FunctionLike, name: string, globals: () => ReadonlySet<string>): NameOrigin {
  if (declaresInSignature(fn, name)) return 'local';
  for (let scope = parents.of(fn); scope !== undefined; scope = parents.of(scope)) {
    const origin = declaredIn(scope, name);
    if (origin) return origin;
  }
  if (globals().has(name)) return 'global';
  // Last, as it walks whole bodies: a `var` in a nested block belongs to its function (or the file).
  for (let scope = parents.of(fn); scope !== undefined; scope = parents.of(scope)) {
    if ((isFunctionLike(scope) || scope.type === 'Program') && hoistsVar(scope.type === 'Program' ? scope : scope.body, name)) return 'local';
  }
  return undefined;
}

/** Whether a `var` below `node`, outside nested functions and classes, declares `name`. */
function hoistsVar(node: Node | null | undefined, name: string): boolean {
  let found = false;
  const visit = (child: Node): void => {
    if (found || isFunctionLike(child) || child.type === 'ClassDeclaration' || child.type === 'ClassExpression') return;
    if (child.type === 'VariableDeclaration' && child.kind === 'var' && child.declarations.some((d) => boundNames(d.id).includes(name))) found = true;
    else forEachChild(child, visit);
  };
  if (node) forEachChild(node, visit);
  return found;
}

function declaresInSignature(fn: FunctionLike, name: string): boolean {
  return fn.params.some((p) => boundNames(p).includes(name)) || (name === 'arguments' && fn.type !== 'ArrowFunctionExpression');
}

function declaredIn(scope: Node, name: string): NameOrigin {
  if (isFunctionLike(scope)) {
    if (declaresInSignature(scope, name)) return 'local';
    if (scope.type === 'FunctionExpression' && scope.id?.name === name) return 'local';
  }
  if (scope.type === 'ClassExpression' && scope.id?.name === name) return 'local';
  if (scope.type === 'CatchClause' && boundNames(scope.param).includes(name)) return 'local';
  if (scope.type === 'ForStatement' || scope.type === 'ForInStatement' || scope.type === 'ForOfStatement') {
    const declaration = scope.type === 'ForStatement' ? scope.init : scope.left;
    if (declaration?.type === 'VariableDeclaration' && declaration.declarations.some((d) => boundNames(d.id).includes(name))) return 'local';
  }
  const statements = statementsOf(scope);
  for (const statement of statements ?? []) {
    const origin = statementDeclares(statement, name);
    if (origin) return origin;
  }
  return undefined;
}

function statementsOf(scope: Node): readonly Node[] | undefined {
  switch (scope.type) {
    case 'Program':
    case 'BlockStatement':
    case 'StaticBlock':
    case 'TSModuleBlock':
      return scope.body;
    case 'SwitchCase':
      return scope.consequent;
    default:
      return undefined;
  }
}

function statementDeclares(statement: Node, name: string): NameOrigin {
  const declaration = (statement.type === 'ExportNamedDeclaration' || statement.type === 'ExportDefaultDeclaration') && statement.declaration ? statement.declaration : statement;
  switch (declaration.type) {
    case 'VariableDeclaration':
      return declaration.declarations.some((d) => boundNames(d.id).includes(name)) ? 'local' : undefined;
    case 'FunctionDeclaration':
    case 'ClassDeclaration':
    case 'TSEnumDeclaration':
      return declaration.id?.name === name ? 'local' : undefined;
    case 'TSModuleDeclaration':
      return declaration.id.type === 'Identifier' && declaration.id.name === name ? 'local' : undefined;
    case 'TSImportEqualsDeclaration':
      return declaration.id.name === name ? 'import' : undefined;
    case 'ImportDeclaration':
      return declaration.specifiers.some((s) => s.local.name === name) ? 'import' : undefined;
    default:
      return undefined;
  }
}
