import type * as ts from 'typescript';

/** The runtime modules generated code calls, and the base of each one's local name. */
export const RUNTIME_MODULES = {
  core: { specifier: 'spanweave/runtime', localName: 'spanweave' },
  rpc: { specifier: 'spanweave/runtime/rpc', localName: 'spanweave_rpc' },
  grpc: { specifier: 'spanweave/runtime/grpc', localName: 'spanweave_grpc' },
  connect: { specifier: 'spanweave/runtime/connect', localName: 'spanweave_connect' },
  'nice-grpc': { specifier: 'spanweave/runtime/nice-grpc', localName: 'spanweave_nice_grpc' },
  nestjs: { specifier: 'spanweave/runtime/nestjs', localName: 'spanweave_nestjs' },
  http: { specifier: 'spanweave/runtime/http', localName: 'spanweave_http' },
  messaging: { specifier: 'spanweave/runtime/messaging', localName: 'spanweave_messaging' },
} as const;

export type RuntimeModule = keyof typeof RUNTIME_MODULES;

/** The runtime entry point for each function kind. */
export const ENTRY = { plain: 'run', async: 'runAsync', generator: 'runGenerator', asyncGenerator: 'runAsyncGenerator', resuming: 'resuming' } as const;
/** Every entry point generated code calls: a body that returns a call of one was wrapped before. */
export const RUNTIME_ENTRY_POINTS: ReadonlySet<string> = new Set([...Object.values(ENTRY), 'serve', 'serveStream', 'client', 'create', 'call', 'fetch', 'request']);

/**
 * Adds `import * as <name> from "spanweave/runtime..."` after the file's directives, one per
 * module used. The compiler's module transform turns it into `require` for CommonJS output. A
 * script (a file with no import or export) would not be transformed, so in CommonJS it gets the
 * `require` directly.
 */
export function addRuntimeImports(
  tsInstance: typeof ts,
  context: ts.TransformationContext,
  file: ts.SourceFile,
  imports: ReadonlyMap<RuntimeModule, ts.Identifier>,
): ts.SourceFile {
  const { factory } = tsInstance;
  const asImport = tsInstance.isExternalModule(file) || !emitsCommonJs(tsInstance, context.getCompilerOptions(), file);
  const statements = [...imports].map(([module, name]) => {
    const specifier = factory.createStringLiteral(RUNTIME_MODULES[module].specifier);
    if (asImport) return factory.createImportDeclaration(undefined, factory.createImportClause(false, undefined, factory.createNamespaceImport(name)), specifier);
    const require = factory.createCallExpression(factory.createIdentifier('require'), undefined, [specifier]);
    return factory.createVariableStatement(undefined, factory.createVariableDeclarationList([factory.createVariableDeclaration(name, undefined, undefined, require)], tsInstance.NodeFlags.Const));
  });
  const directives = file.statements.findIndex((s) => !tsInstance.isExpressionStatement(s) || !tsInstance.isStringLiteral(s.expression));
  const at = directives < 0 ? file.statements.length : directives;
  return factory.updateSourceFile(file, [...file.statements.slice(0, at), ...statements, ...file.statements.slice(at)]);
}

function emitsCommonJs(tsInstance: typeof ts, options: ts.CompilerOptions, file: ts.SourceFile): boolean {
  // Without `module` the kind follows `target` (ES2015 and later emit ES modules), and the default
  // target moved from ES5 in TypeScript 5 to the latest ES version in 6. `getEmitModuleKind` is the
  // compiler's own rule (in 5.0 through 6.0, though not in its typings).
  const kind = (tsInstance as typeof ts & { getEmitModuleKind(options: ts.CompilerOptions): ts.ModuleKind }).getEmitModuleKind(options);
  if (kind === tsInstance.ModuleKind.Node16 || kind === tsInstance.ModuleKind.NodeNext) {
    return file.impliedNodeFormat !== tsInstance.ModuleKind.ESNext;
  }
  return kind === tsInstance.ModuleKind.CommonJS || kind === tsInstance.ModuleKind.UMD || kind === tsInstance.ModuleKind.AMD;
}

/**
 * The names under which a file already imports a spanweave runtime module: an earlier run of the
 * transformer in the same pipeline (its import declaration), or emitted JavaScript compiled again
 * (`const spanweave_1 = require("spanweave/runtime")`, possibly inside `__importStar(...)`).
 */
export function importedRuntimeNames(tsInstance: typeof ts, file: ts.SourceFile): Set<string> {
  const specifiers: readonly string[] = Object.values(RUNTIME_MODULES).map((m) => m.specifier);
  const isRuntime = (node: ts.Node | undefined): boolean => node !== undefined && tsInstance.isStringLiteral(node) && specifiers.includes(node.text);
  // `require("…")`, or a helper call around it; no deeper (an initializer may be a whole function).
  const requiresRuntime = (node: ts.Node): boolean =>
    tsInstance.isCallExpression(node) &&
    ((tsInstance.isIdentifier(node.expression) && node.expression.text === 'require' && isRuntime(node.arguments[0])) || node.arguments.some(requiresRuntime));
  const names = new Set<string>();
  for (const statement of file.statements) {
    if (tsInstance.isImportDeclaration(statement) && isRuntime(statement.moduleSpecifier)) {
      const bindings = statement.importClause?.namedBindings;
      if (bindings && tsInstance.isNamespaceImport(bindings)) names.add(tsInstance.idText(bindings.name));
    } else if (tsInstance.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (tsInstance.isIdentifier(declaration.name) && declaration.initializer && requiresRuntime(declaration.initializer)) names.add(declaration.name.text);
      }
    }
  }
  return names;
}
