import type { FinishedSpan } from './sdk.js';

/** How to read a span of some shape: its id, its parent's id, its start, and its line in the tree. */
export interface TreeShape<T> {
  id(span: T): string;
  parent(span: T): string | undefined;
  start(span: T): readonly [number, number];
  label(span: T): string;
}

/**
 * The spans as an indented tree, one label a line, children under their parent in start order;
 * a span whose parent is not among them is a root. Easy to read in a failed assertion.
 */
export function treeOf<T>(spans: readonly T[], shape: TreeShape<T>): string {
  const ids = new Set(spans.map(shape.id));
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number): void => {
    const children = spans
      .filter((span) => (parent === undefined ? !ids.has(shape.parent(span) ?? '') : shape.parent(span) === parent))
      .sort((a, b) => shape.start(a)[0] - shape.start(b)[0] || shape.start(a)[1] - shape.start(b)[1]);
    for (const span of children) {
      lines.push(`${'  '.repeat(depth)}${shape.label(span)}`);
      walk(shape.id(span), depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}

/** The same for spans of the in-memory exporter. */
export function finishedTree(spans: readonly FinishedSpan[], label: (span: FinishedSpan) => string): string {
  return treeOf(spans, { id: (s) => s.spanContext().spanId, parent: (s) => s.parentSpanContext?.spanId, start: (s) => s.startTime, label });
}
