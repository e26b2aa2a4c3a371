import type * as ts from 'typescript';

/**
 * A copy of a node parsed from another text (an `attr.` expression) made only of fresh factory
 * nodes, with no positions and no original, so that the compiler's later transforms (optional
 * chaining for old targets, and so on) treat it like code the transformer wrote.
 */
export function synthesize<T extends ts.Node>(tsInstance: typeof ts, context: ts.TransformationContext, node: T): T {
  const { factory, SyntaxKind } = tsInstance;
  const visit = (child: ts.Node): ts.Node => {
    let copy: ts.Node;
    if (tsInstance.isIdentifier(child)) copy = factory.createIdentifier(child.text);
    else if (tsInstance.isPrivateIdentifier(child)) copy = factory.createPrivateIdentifier(child.text);
    else if (tsInstance.isStringLiteral(child)) copy = factory.createStringLiteral(child.text);
    else if (tsInstance.isNumericLiteral(child)) copy = factory.createNumericLiteral(child.text);
    else if (tsInstance.isBigIntLiteral(child)) copy = factory.createBigIntLiteral(child.text);
    else if (tsInstance.isNoSubstitutionTemplateLiteral(child)) copy = factory.createNoSubstitutionTemplateLiteral(child.text, child.rawText);
    else if (tsInstance.isTemplateHead(child)) copy = factory.createTemplateHead(child.text, child.rawText);
    else if (tsInstance.isTemplateMiddle(child)) copy = factory.createTemplateMiddle(child.text, child.rawText);
    else if (tsInstance.isTemplateTail(child)) copy = factory.createTemplateTail(child.text, child.rawText);
    else if (tsInstance.isRegularExpressionLiteral(child)) copy = factory.createRegularExpressionLiteral(child.text);
    else if (child.kind >= SyntaxKind.FirstToken && child.kind <= SyntaxKind.LastToken) copy = (factory.createToken as (kind: ts.SyntaxKind) => ts.Node)(child.kind); // overloads list token kinds one family at a time
    else copy = tsInstance.visitEachChild(child, visit, context);
    tsInstance.setOriginalNode(copy, undefined);
    return tsInstance.setTextRange(copy, { pos: -1, end: -1 });
  };
  return visit(node) as T;
}
