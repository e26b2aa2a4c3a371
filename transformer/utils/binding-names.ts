import type * as ts from 'typescript';

/** The names a binding declares: `a`, or every name inside `{ a, b: [c, ...d] }`. */
export function bindingNames(tsInstance: typeof ts, binding: ts.BindingName): string[] {
  if (tsInstance.isIdentifier(binding)) return [binding.text];
  return binding.elements.flatMap((element) => (tsInstance.isOmittedExpression(element) ? [] : bindingNames(tsInstance, element.name)));
}
