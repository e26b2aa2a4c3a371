import type * as ts from 'typescript';

export const RUNTIME_MODULE = 'spanweave/runtime';

/**
 * Adds `import * as <runtime> from "spanweave/runtime"` after the file's directives. The
 * compiler's module transform turns it into `require` for CommonJS output. A script (a file with
 * no import or export) would not be transformed, so in CommonJS it gets the `require` directly.
 */
export function addRuntimeImport(tsInstance: typeof ts, context: ts.TransformationContext, file: ts.SourceFile, runtime: ts.Identifier): ts.SourceFile {
  const { factory } = tsInstance;
  const specifier = factory.createStringLiteral(RUNTIME_MODULE);
  const statement =
    tsInstance.isExternalModule(file) || !emitsCommonJs(tsInstance, context.getCompilerOptions(), file)
      ? factory.createImportDeclaration(undefined, factory.createImportClause(false, undefined, factory.createNamespaceImport(runtime)), specifier)
      : factory.createVariableStatement(
          undefined,
          factory.createVariableDeclarationList(
            [factory.createVariableDeclaration(runtime, undefined, undefined, factory.createCallExpression(factory.createIdentifier('require'), undefined, [specifier]))],
            tsInstance.NodeFlags.Const,
          ),
        );
  const directives = file.statements.findIndex((s) => !tsInstance.isExpressionStatement(s) || !tsInstance.isStringLiteral(s.expression));
  const at = directives < 0 ? file.statements.length : directives;
  return factory.updateSourceFile(file, [...file.statements.slice(0, at), statement, ...file.statements.slice(at)]);
}

function emitsCommonJs(tsInstance: typeof ts, options: ts.CompilerOptions, file: ts.SourceFile): boolean {
  const kind = options.module ?? tsInstance.ModuleKind.CommonJS;
  if (kind === tsInstance.ModuleKind.Node16 || kind === tsInstance.ModuleKind.NodeNext) {
    return file.impliedNodeFormat !== tsInstance.ModuleKind.ESNext;
  }
  return kind === tsInstance.ModuleKind.CommonJS || kind === tsInstance.ModuleKind.UMD || kind === tsInstance.ModuleKind.AMD;
}
