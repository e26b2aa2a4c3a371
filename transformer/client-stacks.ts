import type * as ts from 'typescript';
import type { RuntimeModule } from './runtime-import.js';

/** The client constructions of each stack a `grpc.client` tag may stand on, by the module that exports the function. */
export const CONSTRUCTORS: Readonly<Record<string, { readonly functions: readonly string[]; readonly runtime: RuntimeModule }>> = {
  '@connectrpc/connect': { functions: ['createClient'], runtime: 'connect' },
  '@connectrpc/connect-node': { functions: ['createConnectTransport', 'createGrpcTransport', 'createGrpcWebTransport'], runtime: 'connect' },
  '@connectrpc/connect-web': { functions: ['createConnectTransport', 'createGrpcWebTransport'], runtime: 'connect' },
  'nice-grpc': { functions: ['createClient'], runtime: 'nice-grpc' },
};

/**
 * The runtime module of the stack whose client construction `call` is, from the syntax alone
 * (so transpile-only builds tell it too): a function imported from Connect or nice-grpc by name
 * (renamed or through a namespace import), `create` of a nice-grpc client factory in a file
 * that imports nice-grpc, or NestJS's `getService`.
 */
export function clientStackOf(tsInstance: typeof ts, file: ts.SourceFile, call: ts.CallExpression): RuntimeModule | undefined {
  const callee = call.expression;
  if (tsInstance.isIdentifier(callee)) return importedFunction(tsInstance, file, callee.text, undefined);
  if (!tsInstance.isPropertyAccessExpression(callee) || !tsInstance.isIdentifier(callee.name)) return undefined;
  const member = callee.name.text;
  if (tsInstance.isIdentifier(callee.expression)) {
    const fromNamespace = importedFunction(tsInstance, file, member, callee.expression.text);
    if (fromNamespace) return fromNamespace;
  }
  if (member === 'getService') return 'nestjs';
  if (member === 'create' && importsModule(tsInstance, file, 'nice-grpc')) return 'nice-grpc';
  return undefined;
}

/** The stack of `name` (`namespace.name` when a namespace is given) as the file imports it. */
function importedFunction(tsInstance: typeof ts, file: ts.SourceFile, name: string, namespace: string | undefined): RuntimeModule | undefined {
  for (const statement of file.statements) {
    if (!tsInstance.isImportDeclaration(statement) || !tsInstance.isStringLiteral(statement.moduleSpecifier)) continue;
    const stack = CONSTRUCTORS[statement.moduleSpecifier.text];
    const bindings = statement.importClause?.namedBindings;
    if (stack === undefined || bindings === undefined) continue;
    if (namespace !== undefined) {
      if (tsInstance.isNamespaceImport(bindings) && bindings.name.text === namespace && stack.functions.includes(name)) return stack.runtime;
      continue;
    }
    if (!tsInstance.isNamedImports(bindings)) continue;
    for (const element of bindings.elements) {
      const imported = (element.propertyName ?? element.name).text;
      if (element.name.text === name && stack.functions.includes(imported)) return stack.runtime;
    }
  }
  return undefined;
}

function importsModule(tsInstance: typeof ts, file: ts.SourceFile, specifier: string): boolean {
  return file.statements.some((statement) => tsInstance.isImportDeclaration(statement) && tsInstance.isStringLiteral(statement.moduleSpecifier) && statement.moduleSpecifier.text === specifier);
}
