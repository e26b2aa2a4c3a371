import type * as ts from 'typescript';
import { bindingNames } from './utils/binding-names.js';

export type NameOrigin = 'local' | 'import' | 'global' | undefined;

/**
 * Where `name` comes from when an `attr.` expression of `fn` is evaluated: at the call, after the
 * parameters and before the body, so the body's own declarations are out of scope. Read from the
 * syntax so that it works without a type checker; globals come from the checker when there is one,
 * asked for only when the name is not declared around the function (listing them is costly).
 */
export function resolveName(tsInstance: typeof ts, fn: ts.FunctionLikeDeclaration, name: string, globals: () => ReadonlySet<string>): NameOrigin {
  if (declaresInSignature(tsInstance, fn, name)) return 'local';
  for (let scope: ts.Node | undefined = fn.parent; scope !== undefined; scope = scope.parent) {
    const origin = declaredIn(tsInstance, scope, name);
    if (origin) return origin;
  }
  if (globals().has(name)) return 'global';
  // Last, as it walks whole bodies: a `var` in a nested block belongs to its function (or the file).
  for (let scope: ts.Node | undefined = fn.parent; scope !== undefined; scope = scope.parent) {
    if ((tsInstance.isFunctionLike(scope) || tsInstance.isSourceFile(scope)) && hoistsVar(tsInstance, tsInstance.isSourceFile(scope) ? scope : (scope as ts.FunctionLikeDeclaration).body, name)) return 'local';
  }
  return undefined;
}

/** Whether a `var` below `node`, outside nested functions and classes, declares `name`. */
function hoistsVar(tsInstance: typeof ts, node: ts.Node | undefined, name: string): boolean {
  const visit = (child: ts.Node): boolean | undefined => {
    if (tsInstance.isFunctionLike(child) || tsInstance.isClassLike(child)) return undefined;
    if (tsInstance.isVariableDeclarationList(child) && (child.flags & tsInstance.NodeFlags.BlockScoped) === 0) {
      if (child.declarations.some((d) => bindsName(tsInstance, d.name, name))) return true;
    }
    return tsInstance.forEachChild(child, visit);
  };
  return node !== undefined && tsInstance.forEachChild(node, visit) === true;
}

function declaresInSignature(tsInstance: typeof ts, fn: ts.SignatureDeclaration, name: string): boolean {
  if (fn.parameters.some((p) => bindsName(tsInstance, p.name, name))) return true;
  return name === 'arguments' && !tsInstance.isArrowFunction(fn);
}

function declaredIn(tsInstance: typeof ts, scope: ts.Node, name: string): NameOrigin {
  if (tsInstance.isFunctionLike(scope)) {
    if (declaresInSignature(tsInstance, scope, name)) return 'local';
    if (tsInstance.isFunctionExpression(scope) && scope.name?.text === name) return 'local';
  }
  if (tsInstance.isClassExpression(scope) && scope.name?.text === name) return 'local';
  if (tsInstance.isCatchClause(scope) && scope.variableDeclaration && bindsName(tsInstance, scope.variableDeclaration.name, name)) return 'local';
  if ((tsInstance.isForStatement(scope) || tsInstance.isForInStatement(scope) || tsInstance.isForOfStatement(scope)) && scope.initializer) {
    if (tsInstance.isVariableDeclarationList(scope.initializer) && scope.initializer.declarations.some((d) => bindsName(tsInstance, d.name, name))) return 'local';
  }
  const statements = (scope as Partial<ts.Block>).statements;
  if (statements === undefined) return undefined;
  for (const statement of statements) {
    const origin = statementDeclares(tsInstance, statement, name);
    if (origin) return origin;
  }
  return undefined;
}

function statementDeclares(tsInstance: typeof ts, statement: ts.Statement, name: string): NameOrigin {
  if (tsInstance.isVariableStatement(statement)) {
    return statement.declarationList.declarations.some((d) => bindsName(tsInstance, d.name, name)) ? 'local' : undefined;
  }
  if (tsInstance.isFunctionDeclaration(statement) || tsInstance.isClassDeclaration(statement) || tsInstance.isEnumDeclaration(statement)) {
    return statement.name?.text === name ? 'local' : undefined;
  }
  if (tsInstance.isModuleDeclaration(statement)) return tsInstance.isIdentifier(statement.name) && statement.name.text === name ? 'local' : undefined;
  if (tsInstance.isImportEqualsDeclaration(statement)) return statement.name.text === name ? 'import' : undefined;
  if (tsInstance.isImportDeclaration(statement) && statement.importClause) {
    const { name: defaultName, namedBindings } = statement.importClause;
    if (defaultName?.text === name) return 'import';
    if (namedBindings && tsInstance.isNamespaceImport(namedBindings) && namedBindings.name.text === name) return 'import';
    if (namedBindings && tsInstance.isNamedImports(namedBindings) && namedBindings.elements.some((e) => e.name.text === name)) return 'import';
  }
  return undefined;
}

function bindsName(tsInstance: typeof ts, binding: ts.BindingName, name: string): boolean {
  return bindingNames(tsInstance, binding).includes(name);
}

/** Global value names: the checker's when there is one, else this Node process's own. */
export function globalNames(tsInstance: typeof ts, file: ts.SourceFile, checker: ts.TypeChecker | undefined): Set<string> {
  if (checker) {
    const names = checker.getSymbolsInScope(file, tsInstance.SymbolFlags.Value).map((symbol) => symbol.name);
    return new Set(names);
  }
  return processGlobals();
}

/** The global value names of this Node process: what a build without a type checker knows of globals. */
export function processGlobals(): Set<string> {
  return new Set([...Object.getOwnPropertyNames(globalThis), 'undefined']);
}
