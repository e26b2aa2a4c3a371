import type * as ts from 'typescript';

/*
 * The body of a traced async function as a generator for the runtime's `resuming` driver
 * (runtime/resume.ts), which enters the span's context on each resumption and leaves it at each
 * suspension: `await x` becomes `(yield x)`, and `for await (left of right) body` becomes
 *
 *   { const it = rt.iterate(right); try { for (; yield* it.next(); ) { left = it.value; body } }
 *     catch (e) { yield* it.close(true); throw e; } finally { yield* it.close(false); } }
 *
 * with the loop's labels on the inner `for`. Awaits of nested functions are theirs and stay. The
 * text-edit core does the same in weave/awaits.ts.
 */

/**
 * Whether the body of an async function can move into a `function*` called with the function's
 * `this` (and `arguments`): not if it reads `super` (a generator of its own has none), nor, in an
 * arrow, `arguments` or `new.target` (the arrow's are its enclosing function's). Nor if an `await`
 * stands where the rewrite does not reach it (in a class, or in a method's computed name), or in an
 * `await using` declaration, which has no form in a generator.
 */
export function canResume(tsInstance: typeof ts, fn: ts.FunctionLikeDeclaration & { body: ts.ConciseBody }): boolean {
  const arrow = tsInstance.isArrowFunction(fn);
  let blocked = false;
  const visit = (node: ts.Node, unreachable: boolean): void => {
    if (blocked) return;
    if (node.kind === tsInstance.SyntaxKind.SuperKeyword) blocked = true;
    else if (arrow && ((tsInstance.isIdentifier(node) && node.text === 'arguments') || tsInstance.isMetaProperty(node))) blocked = true;
    else if (unreachable && tsInstance.isAwaitExpression(node)) blocked = true;
    else if (tsInstance.isVariableDeclarationList(node) && isAwaitUsing(tsInstance, node)) blocked = true;
    if (tsInstance.isFunctionLike(node) && !tsInstance.isArrowFunction(node)) {
      // Its own `super`, `arguments` and awaits; only a computed name is evaluated out here.
      if (node.name && tsInstance.isComputedPropertyName(node.name)) visit(node.name, true);
      return;
    }
    if (tsInstance.isArrowFunction(node)) {
      // Its awaits are its own; `super`, `arguments` and `new.target` are the enclosing function's.
      tsInstance.forEachChild(node, (child) => visitLexical(child));
      return;
    }
    tsInstance.forEachChild(node, (child) => visit(child, unreachable || tsInstance.isClassLike(node)));
  };
  const visitLexical = (node: ts.Node): void => {
    if (blocked) return;
    if (node.kind === tsInstance.SyntaxKind.SuperKeyword) blocked = true;
    else if (arrow && ((tsInstance.isIdentifier(node) && node.text === 'arguments') || tsInstance.isMetaProperty(node))) blocked = true;
    if (tsInstance.isFunctionLike(node) && !tsInstance.isArrowFunction(node)) return;
    tsInstance.forEachChild(node, visitLexical);
  };
  tsInstance.forEachChild(fn.body, (child) => visit(child, false));
  return !blocked;
}

/** `await using` (TypeScript 5.2 and later; `NodeFlags.AwaitUsing` is `Const | Using`). */
function isAwaitUsing(tsInstance: typeof ts, list: ts.VariableDeclarationList): boolean {
  const { AwaitUsing, BlockScoped } = tsInstance.NodeFlags as { AwaitUsing?: number; BlockScoped: number };
  return AwaitUsing !== undefined && (list.flags & BlockScoped) === AwaitUsing;
}

/** The statements of the generator that replaces an async body (`canResume` said it can). */
export function awaitsAsYields(tsInstance: typeof ts, transformation: ts.TransformationContext, body: ts.ConciseBody, runtime: ts.Identifier): ts.Block {
  const { factory } = tsInstance;
  const visit = (node: ts.Node): ts.Node => {
    if (tsInstance.isFunctionLike(node) || tsInstance.isClassLike(node)) return node;
    if (tsInstance.isAwaitExpression(node)) {
      const operand = tsInstance.visitNode(node.expression, visit, tsInstance.isExpression);
      return marked(factory.createParenthesizedExpression(factory.createYieldExpression(undefined, operand)), node);
    }
    if (tsInstance.isForOfStatement(node) && node.awaitModifier) return forAwait(node, []);
    if (tsInstance.isLabeledStatement(node)) {
      const labels: ts.Identifier[] = [];
      let statement: ts.Statement = node;
      while (tsInstance.isLabeledStatement(statement)) {
        labels.push(statement.label);
        statement = statement.statement;
      }
      if (tsInstance.isForOfStatement(statement) && statement.awaitModifier) return marked(forAwait(statement, labels), node);
    }
    return tsInstance.visitEachChild(node, visit, transformation);
  };

  function forAwait(loop: ts.ForOfStatement, labels: readonly ts.Identifier[]): ts.Statement {
    const iteration = factory.createUniqueName('spanweave_iteration');
    const error = factory.createUniqueName('spanweave_error');
    const member = (name: string, ...args: ts.Expression[]) =>
      factory.createYieldExpression(factory.createToken(tsInstance.SyntaxKind.AsteriskToken), factory.createCallExpression(factory.createPropertyAccessExpression(iteration, name), undefined, args));
    const value = factory.createPropertyAccessExpression(iteration, 'value');
    const initializer = loop.initializer;
    const binding = tsInstance.isVariableDeclarationList(initializer)
      ? factory.createVariableStatement(undefined, factory.createVariableDeclarationList([factory.createVariableDeclaration(initializer.declarations[0]!.name, undefined, undefined, value)], initializer.flags))
      : factory.createExpressionStatement(factory.createAssignment(tsInstance.visitNode(initializer, visit, tsInstance.isExpression), value));
    const statement = tsInstance.visitNode(loop.statement, visit, tsInstance.isStatement);
    let inner: ts.Statement = factory.createForStatement(undefined, member('next'), undefined, factory.createBlock([binding, statement], true));
    for (const label of [...labels].reverse()) inner = factory.createLabeledStatement(label, inner);
    const iterable = tsInstance.visitNode(loop.expression, visit, tsInstance.isExpression);
    const start = factory.createVariableStatement(
      undefined,
      factory.createVariableDeclarationList([factory.createVariableDeclaration(iteration, undefined, undefined, factory.createCallExpression(factory.createPropertyAccessExpression(runtime, 'iterate'), undefined, [iterable]))], tsInstance.NodeFlags.Const),
    );
    const guarded = factory.createTryStatement(
      factory.createBlock([inner], true),
      factory.createCatchClause(error, factory.createBlock([factory.createExpressionStatement(member('close', factory.createTrue())), factory.createThrowStatement(error)], true)),
      factory.createBlock([factory.createExpressionStatement(member('close', factory.createFalse()))], true),
    );
    return marked(factory.createBlock([start, guarded], true), loop);
  }

  function marked<T extends ts.Node>(created: T, original: ts.Node): T {
    return tsInstance.setSourceMapRange(tsInstance.setOriginalNode(created, original), original);
  }

  if (tsInstance.isBlock(body)) return factory.updateBlock(body, tsInstance.visitNodes(body.statements, visit, tsInstance.isStatement));
  const expression = tsInstance.visitNode(body, visit, tsInstance.isExpression);
  return factory.createBlock([tsInstance.setSourceMapRange(factory.createReturnStatement(expression), body)], true);
}
