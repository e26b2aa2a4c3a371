import type * as ts from 'typescript';

/** The expression under parentheses, `as`, `satisfies`, `!` and `<T>` casts. */
export function unwrapExpression(tsInstance: typeof ts, expression: ts.Expression): ts.Expression {
  let current = expression;
  while (
    tsInstance.isParenthesizedExpression(current) ||
    tsInstance.isAsExpression(current) ||
    tsInstance.isSatisfiesExpression(current) ||
    tsInstance.isNonNullExpression(current) ||
    tsInstance.isTypeAssertionExpression(current)
  ) {
    current = current.expression;
  }
  return current;
}

/** The nearest ancestor that is not such a wrapper. */
export function skipWrappersUp(tsInstance: typeof ts, node: ts.Node): ts.Node | undefined {
  let parent = node.parent;
  while (parent && tsInstance.isExpression(parent) && unwrapExpression(tsInstance, parent as ts.Expression) !== parent) {
    parent = parent.parent;
  }
  return parent;
}
