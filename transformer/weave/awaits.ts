import type { ForOfStatement, Node } from 'oxc-parser';
import type { Editor } from './emit.js';
import { forEachChild, isFunctionLike, type FunctionLike } from './syntax.js';

/*
 * The text edits that turn a traced async body into a generator for the runtime's `resuming`
 * driver, as the compiler plugin's awaits.ts builds it as nodes: `await x` becomes `(yield x)`, and
 * `for await (left of right) body` becomes
 *
 *   { const it = rt.iterate(right); try { for (; yield* it.next(); ) { left = it.value; body } }
 *     catch (e) { yield* it.close(true); throw e; } finally { yield* it.close(false); } }
 *
 * with the loop's labels on the inner `for`: `right` is moved before `left` (magic-string keeps its
 * mapping), and every edit keeps the lines it touches.
 */

const isClass = (node: Node): boolean => node.type === 'ClassDeclaration' || node.type === 'ClassExpression';
/** A method or accessor: only its (computed) key is evaluated in the enclosing function. */
const isMethod = (node: Node): node is Node & { key: Node; computed: boolean } =>
  node.type === 'MethodDefinition' || node.type === 'TSAbstractMethodDefinition' || (node.type === 'Property' && (node.method || node.kind !== 'init'));

/** awaits.ts's canResume, by the same rules. */
export function canResume(fn: FunctionLike & { body: Node }): boolean {
  const arrow = fn.type === 'ArrowFunctionExpression';
  let blocked = false;
  const lexicalProblem = (node: Node): boolean => node.type === 'Super' || (arrow && ((node.type === 'Identifier' && node.name === 'arguments') || node.type === 'MetaProperty'));
  const visit = (node: Node, unreachable: boolean): void => {
    if (blocked) return;
    if (lexicalProblem(node) || (unreachable && node.type === 'AwaitExpression') || (node.type === 'VariableDeclaration' && node.kind === 'await using')) blocked = true;
    if (isMethod(node)) {
      if (node.computed) visit(node.key, true);
      return;
    }
    if (isFunctionLike(node)) {
      if (node.type === 'ArrowFunctionExpression') forEachChild(node, visitLexical);
      return;
    }
    forEachChild(node, (child) => visit(child, unreachable || isClass(node)));
  };
  const visitLexical = (node: Node): void => {
    if (blocked) return;
    if (lexicalProblem(node)) blocked = true;
    if (isMethod(node) || (isFunctionLike(node) && node.type !== 'ArrowFunctionExpression')) return;
    forEachChild(node, visitLexical);
  };
  forEachChild(fn.body, (child) => visit(child, false));
  return !blocked;
}

/** Edits the awaits of `body` (whose function `canResume`) into yields; `runtime` is the core module's local name. */
export function awaitsAsYields(editor: Editor, body: Node, runtime: string): void {
  // Where a statement in a list starts with `await`, its `(yield` starts with a `;`: after a line
  // without one, a `(` would call the previous line's expression.
  const listStatementStarts = new Set<number>();
  const visit = (node: Node): void => {
    if (isFunctionLike(node) || isClass(node) || isMethod(node)) return;
    if (node.type === 'BlockStatement' || node.type === 'SwitchCase') for (const statement of node.type === 'BlockStatement' ? node.body : node.consequent) listStatementStarts.add(statement.start);
    if (node.type === 'AwaitExpression') {
      editor.output.update(node.start, node.start + 'await'.length, listStatementStarts.has(node.start) ? ';(yield' : '(yield');
      editor.close(node.end, ')');
    } else if (node.type === 'ForOfStatement' && node.await) {
      return forAwait(node, node);
    } else if (node.type === 'LabeledStatement') {
      let statement: Node = node;
      while (statement.type === 'LabeledStatement') statement = statement.body;
      if (statement.type === 'ForOfStatement' && statement.await) return forAwait(statement, node);
    }
    forEachChild(node, visit);
  };

  function forAwait(loop: ForOfStatement, statement: Node): void {
    const { text, output } = editor;
    const iteration = freshName(text, 'spanweave_iteration');
    const error = freshName(text, 'spanweave_error');
    const { left, right, body } = loop;
    const labels = text.slice(statement.start, loop.start);
    const head = text.slice(loop.start, left.start);
    output.update(statement.start, left.start, `{ const ${iteration} = ${runtime}.iterate(${newlines(labels + head)}`);
    const between = text.slice(right.end, body.start);
    output.update(right.end, body.start, `); try { ${labels.replace(/\s+/g, ' ')}for (; yield* ${iteration}.next(); ) { ${newlines(between)}`);
    // A destructuring assignment to an object pattern needs parentheses to be a statement.
    const objectTarget = left.type === 'ObjectPattern';
    if (objectTarget) output.prependRight(left.start, '(');
    output.update(left.end, right.start, ` = ${iteration}.value${objectTarget ? ')' : ''}; ${newlines(text.slice(left.end, right.start))}`);
    editor.close(body.end, ` } } catch (${error}) { yield* ${iteration}.close(true); throw ${error}; } finally { yield* ${iteration}.close(false); } }`);
    // Last: magic-string edits a moved range's edges correctly only before the move.
    output.move(right.start, body.start, left.start);
    forEachChild(loop, visit);
  }

  visit(body);
}

/**
 * `base_N`, a name the file's text does not contain. Every loop may use the same one: each declares
 * it in a block of its own, and a loop inside another's body only shadows it there.
 */
function freshName(text: string, base: string): string {
  let n = 1;
  while (text.includes(`${base}_${n}`)) n++;
  return `${base}_${n}`;
}

/** The line breaks of replaced text, so that the lines after it stay where they were. */
function newlines(replaced: string): string {
  return '\n'.repeat(replaced.split(/\r\n?|\n/).length - 1);
}
