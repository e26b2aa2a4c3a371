import type * as ts from 'typescript';
import type { ExpressionOption } from './tags/grammar.js';
import { messages } from './messages.js';
import { resolveName } from './scope.js';
import { bindingNames } from './utils/binding-names.js';
import { synthesize } from './utils/synthesize.js';

export type AttributeResult = { readonly expression: ts.Expression } | { readonly problem: string };

/**
 * Parses one `attr.<key>=<expression>` (or `from=` / `into=`) and checks that every name it reads is in scope where it
 * is evaluated (the traced function's parameters, `this`, enclosing declarations, globals).
 * Imported bindings are refused: CommonJS output renames them and a copied expression would not
 * follow.
 */
export function compileAttribute(
  tsInstance: typeof ts,
  context: ts.TransformationContext,
  fn: ts.FunctionLikeDeclaration,
  option: ExpressionOption,
  globals: () => ReadonlySet<string>,
): AttributeResult {
  const label = option.key.endsWith('=') ? option.key : `attr.${option.key}`; // `from=` and `into=` carry their '='
  const parsed = parseExpression(tsInstance, option.expression);
  if (parsed === undefined) {
    return { problem: messages.notOneExpression(label, option.expression) };
  }
  for (const { name, problem } of readNames(tsInstance, parsed)) {
    if (problem) return { problem: `${label}: ${problem}` };
    const origin = resolveName(tsInstance, fn, name, globals);
    if (origin === 'import') {
      return { problem: messages.importedName(label, name) };
    }
    if (origin === undefined) {
      return { problem: messages.notInScope(label, name, fn.parameters.map((p) => p.name.getText()).join(', ')) };
    }
  }
  return { expression: synthesize(tsInstance, context, parsed) };
}

/** `name`, `name.a.b` or `this.a.b`: what most attribute expressions are. */
const PATH = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/;

function parseExpression(tsInstance: typeof ts, text: string): ts.Expression | undefined {
  return (PATH.test(text) && pathExpression(tsInstance, text)) || parseText(tsInstance, text);
}

/**
 * A property path built without the parser, which would make a SourceFile for each expression
 * (a fifth of the plugin's time in a project with an `attr.` per tag). A path that starts with a
 * keyword (`null`, `typeof`, or a contextual one such as `type`) is left to the parser.
 */
function pathExpression(tsInstance: typeof ts, text: string): ts.Expression | undefined {
  const { factory } = tsInstance;
  const [first, ...properties] = text.split('.');
  let expression: ts.Expression;
  if (first === 'this') expression = factory.createThis();
  else {
    expression = factory.createIdentifier(first!);
    if (tsInstance.identifierToKeywordKind(expression as ts.Identifier) !== undefined) return undefined;
  }
  for (const property of properties) expression = factory.createPropertyAccessExpression(expression, property);
  return expression;
}

function parseText(tsInstance: typeof ts, text: string): ts.Expression | undefined {
  const file = tsInstance.createSourceFile('attribute.ts', `(${text})`, tsInstance.ScriptTarget.Latest, true);
  const diagnostics = (file as unknown as { parseDiagnostics?: readonly unknown[] }).parseDiagnostics ?? [];
  const [statement, ...rest] = file.statements;
  if (diagnostics.length > 0 || rest.length > 0 || statement === undefined || !tsInstance.isExpressionStatement(statement)) return undefined;
  const wrapped = statement.expression;
  // `a) + (b` parses as a binary expression, not as one parenthesized expression.
  if (!tsInstance.isParenthesizedExpression(wrapped) || wrapped.end !== text.length + 2) return undefined;
  return wrapped.expression;
}

interface NameRead {
  readonly name: string;
  readonly problem?: string;
}

/** The free names an expression reads, skipping property names and its own arrow parameters. */
function readNames(tsInstance: typeof ts, expression: ts.Expression): NameRead[] {
  const reads: NameRead[] = [];
  const bound: string[] = [];
  const visit = (node: ts.Node): void => {
    if (tsInstance.isAwaitExpression(node) || tsInstance.isYieldExpression(node)) {
      reads.push({ name: '', problem: messages.waits(node.getText()) });
      return;
    }
    if (tsInstance.isIdentifier(node)) {
      if (!bound.includes(node.text)) reads.push({ name: node.text });
      return;
    }
    if (tsInstance.isPropertyAccessExpression(node)) return visit(node.expression);
    if (tsInstance.isPropertyAssignment(node)) {
      if (tsInstance.isComputedPropertyName(node.name)) visit(node.name);
      return visit(node.initializer);
    }
    if (tsInstance.isFunctionLike(node)) {
      const names = node.parameters.flatMap((p) => bindingNames(tsInstance, p.name));
      bound.push(...names);
      tsInstance.forEachChild(node, (child) => (tsInstance.isParameter(child) ? undefined : visit(child)));
      bound.length -= names.length;
      return;
    }
    tsInstance.forEachChild(node, visit);
  };
  visit(expression);
  return reads;
}
