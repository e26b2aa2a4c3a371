import { visitorKeys, type ArrowFunctionExpression, type Comment, type Expression, type Function as FunctionNode, type Node, type ParamPattern } from 'oxc-parser';

/** A function node: declaration, expression (a method's value too), overload signature, or arrow. */
export type FunctionLike = FunctionNode | ArrowFunctionExpression;

const FUNCTION_TYPES = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'TSDeclareFunction', 'TSEmptyBodyFunctionExpression']);
export const isFunctionLike = (node: Node): node is FunctionLike => FUNCTION_TYPES.has(node.type);

/** Keys that hold types, never code a traced function's planning looks into. */
const SKIPPED_KEYS = new Set(['typeAnnotation', 'typeArguments', 'typeParameters', 'returnType', 'superTypeArguments', 'implements']);

/** Each node type's child keys, in source order, types left out: oxc-parser's visitor keys. */
const childKeys = new Map<string, readonly string[]>(Object.entries(visitorKeys).map(([type, keys]) => [type, keys.filter((key) => !SKIPPED_KEYS.has(key))]));

/** Calls `visit` with each child node of `node`, in source order. */
export function forEachChild(node: Node, visit: (child: Node, parent: Node) => void): void {
  const record = node as unknown as Record<string, unknown>;
  for (const key of childKeys.get(node.type) ?? []) {
    const value = record[key];
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) visit(item, node);
    } else if (isNode(value)) {
      visit(value, node);
    }
  }
}

const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';

/** The expression under parentheses, `as`, `satisfies`, `!` and `<T>` casts. */
export function unwrap(expression: Expression): Expression {
  let current = expression;
  while (
    current.type === 'ParenthesizedExpression' ||
    current.type === 'TSAsExpression' ||
    current.type === 'TSSatisfiesExpression' ||
    current.type === 'TSNonNullExpression' ||
    current.type === 'TSTypeAssertion'
  ) {
    current = current.expression;
  }
  return current;
}

const WRAPPERS = new Set(['ParenthesizedExpression', 'TSAsExpression', 'TSSatisfiesExpression', 'TSNonNullExpression', 'TSTypeAssertion']);

/**
 * The parent of each node recorded, and the nearest ancestor of a node that is not such a wrapper.
 * A walk records only around the nodes it plans for (weave/plan.ts): most nodes are never asked about.
 */
export class Parents {
  private readonly parents = new Map<Node, Node>();
  private readonly adoptTree = (child: Node, parent: Node): void => {
    this.parents.set(child, parent);
    forEachChild(child, this.adoptTree);
  };

  set(child: Node, parent: Node): void {
    this.parents.set(child, parent);
  }

  has(node: Node): boolean {
    return this.parents.has(node);
  }

  /** Records every node below `node` as the child it is. */
  adoptSubtree(node: Node): void {
    forEachChild(node, this.adoptTree);
  }

  of(node: Node): Node | undefined {
    return this.parents.get(node);
  }

  skippingWrappers(node: Node): Node | undefined {
    let parent = this.parents.get(node);
    while (parent && WRAPPERS.has(parent.type)) parent = this.parents.get(parent);
    return parent;
  }
}

/** The names a binding pattern declares: `a`, or every name inside `{ a, b: [c, ...d] }`. */
export function boundNames(pattern: Node | null | undefined): string[] {
  if (!pattern) return [];
  switch (pattern.type) {
    case 'Identifier':
      return [pattern.name];
    case 'ObjectPattern':
      return pattern.properties.flatMap((property) => boundNames(property.type === 'RestElement' ? property.argument : property.value));
    case 'ArrayPattern':
      return pattern.elements.flatMap((element) => boundNames(element));
    case 'AssignmentPattern':
      return boundNames(pattern.left);
    case 'RestElement':
      return boundNames(pattern.argument);
    case 'TSParameterProperty':
      return boundNames(pattern.parameter);
    default:
      return [];
  }
}

/** The parameters a call passes: a TypeScript `this:` parameter declares a type, not an argument. */
export function runtimeParameters(fn: FunctionLike): ParamPattern[] {
  const [first, ...rest] = fn.params;
  return first?.type === 'Identifier' && first.name === 'this' ? rest : fn.params;
}

/** The name a parameter binds when it binds one name (`a`, `a: T`, `a = 1`, `...a`, `public a`), as TypeScript's `parameter.name` reads it. */
export function parameterName(parameter: ParamPattern | undefined): string | undefined {
  let binding: Node | undefined = parameter?.type === 'TSParameterProperty' ? parameter.parameter : parameter;
  if (binding?.type === 'AssignmentPattern') binding = binding.left;
  else if (binding?.type === 'RestElement') binding = binding.argument;
  return binding?.type === 'Identifier' ? binding.name : undefined;
}

/** Where each comment's next token starts: comments and white space skipped. */
export function nextTokenAfter(text: string, comments: readonly Comment[]): (position: number) => number {
  const commentAt = new Map(comments.map((comment) => [comment.start, comment.end]));
  return (position) => {
    let at = position;
    for (;;) {
      while (at < text.length && /\s/.test(text[at]!)) at++;
      const end = commentAt.get(at);
      if (end === undefined) return at;
      at = end;
    }
  };
}
