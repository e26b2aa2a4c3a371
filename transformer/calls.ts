import type * as ts from 'typescript';

/** A call inside a `@traced <kind>.client` function that the runtime gives a CLIENT span. */
export type ClientCall =
  | { readonly kind: 'fetch' | 'request'; readonly call: ts.CallExpression }
  | { readonly kind: 'grpc'; readonly call: ts.CallExpression; readonly receiver: ts.Expression; readonly method: string };

export const HTTP_MODULES = new Set(['http', 'https', 'node:http', 'node:https']);
export const HTTP_REQUEST_FUNCTIONS = new Set(['request', 'get']);
/** Members of grpc-js's `Client` itself, as opposed to the service's methods. */
const GRPC_CLIENT_OWN_MEMBERS = new Set(['close', 'getChannel', 'waitForReady', 'makeUnaryRequest', 'makeClientStreamRequest', 'makeServerStreamRequest', 'makeBidiStreamRequest']);

/**
 * The `fetch(...)`, `http.request(...)` / `http.get(...)` (and https) calls in `body`, including
 * those in callbacks it declares. Found from the syntax: `fetch` and `globalThis.fetch`, and the
 * functions of node's http and https modules as the file imports or requires them.
 */
export function findHttpCalls(tsInstance: typeof ts, file: ts.SourceFile, body: ts.Node): { calls: ClientCall[]; optional: ts.CallExpression[] } {
  const { modules, functions } = httpImports(tsInstance, file);
  const isHttpCallee = (callee: ts.Expression): 'fetch' | 'request' | undefined => {
    if (tsInstance.isIdentifier(callee)) {
      if (callee.text === 'fetch') return 'fetch';
      return functions.has(callee.text) ? 'request' : undefined;
    }
    if (!tsInstance.isPropertyAccessExpression(callee) || !tsInstance.isIdentifier(callee.expression)) return undefined;
    const [owner, member] = [callee.expression.text, callee.name.text];
    if (owner === 'globalThis' && member === 'fetch') return 'fetch';
    return modules.has(owner) && HTTP_REQUEST_FUNCTIONS.has(member) ? 'request' : undefined;
  };
  return collectCalls(tsInstance, body, (call) => {
    const kind = isHttpCallee(call.expression);
    return kind && { kind, call };
  });
}

/**
 * The calls of gRPC service methods in `body`: method calls on a receiver whose type is a
 * @grpc/grpc-js client (it has the `Client` base's request methods). Needs the type checker.
 */
export function findGrpcCalls(tsInstance: typeof ts, checker: ts.TypeChecker, body: ts.Node): { calls: ClientCall[]; optional: ts.CallExpression[] } {
  return collectCalls(tsInstance, body, (call) => {
    const callee = call.expression;
    let method: string | undefined;
    if (tsInstance.isPropertyAccessExpression(callee) && tsInstance.isIdentifier(callee.name)) method = callee.name.text;
    else if (tsInstance.isElementAccessExpression(callee) && tsInstance.isStringLiteralLike(callee.argumentExpression)) method = callee.argumentExpression.text;
    if (method === undefined || GRPC_CLIENT_OWN_MEMBERS.has(method)) return undefined;
    const receiver = (callee as ts.PropertyAccessExpression | ts.ElementAccessExpression).expression;
    return isGrpcClient(checker, receiver) ? { kind: 'grpc', call, receiver, method } : undefined;
  });
}

function isGrpcClient(checker: ts.TypeChecker, receiver: ts.Expression): boolean {
  try {
    const type = checker.getTypeAtLocation(receiver);
    return type.getProperty('makeUnaryRequest') !== undefined && type.getProperty('makeBidiStreamRequest') !== undefined;
  } catch {
    return false; // a node another transformer synthesized has no type
  }
}

/** Matching calls, and matching calls written with `?.`, which are left alone (and reported). */
function collectCalls(tsInstance: typeof ts, body: ts.Node, match: (call: ts.CallExpression) => ClientCall | undefined): { calls: ClientCall[]; optional: ts.CallExpression[] } {
  const calls: ClientCall[] = [];
  const optional: ts.CallExpression[] = [];
  const visit = (node: ts.Node): void => {
    if (tsInstance.isCallExpression(node)) {
      const found = match(node);
      if (found && isOptionalChain(tsInstance, node)) optional.push(node);
      else if (found) calls.push(found);
    }
    tsInstance.forEachChild(node, visit);
  };
  visit(body);
  return { calls, optional };
}

function isOptionalChain(tsInstance: typeof ts, call: ts.CallExpression): boolean {
  return call.questionDotToken !== undefined || (tsInstance.isPropertyAccessExpression(call.expression) || tsInstance.isElementAccessExpression(call.expression) ? call.expression.questionDotToken !== undefined : false);
}

/** Names under which the file holds node's http/https modules, and their request functions. */
function httpImports(tsInstance: typeof ts, file: ts.SourceFile): { modules: Set<string>; functions: Set<string> } {
  const modules = new Set<string>();
  const functions = new Set<string>();
  for (const statement of file.statements) {
    if (tsInstance.isImportDeclaration(statement) && tsInstance.isStringLiteral(statement.moduleSpecifier) && HTTP_MODULES.has(statement.moduleSpecifier.text)) {
      const clause = statement.importClause;
      if (clause?.name) modules.add(clause.name.text);
      const bindings = clause?.namedBindings;
      if (bindings && tsInstance.isNamespaceImport(bindings)) modules.add(bindings.name.text);
      if (bindings && tsInstance.isNamedImports(bindings)) {
        for (const element of bindings.elements) {
          if (HTTP_REQUEST_FUNCTIONS.has((element.propertyName ?? element.name).text)) functions.add(element.name.text);
        }
      }
    } else if (tsInstance.isImportEqualsDeclaration(statement) && tsInstance.isExternalModuleReference(statement.moduleReference)) {
      const specifier = statement.moduleReference.expression;
      if (tsInstance.isStringLiteral(specifier) && HTTP_MODULES.has(specifier.text)) modules.add(statement.name.text);
    } else if (tsInstance.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        const init = declaration.initializer;
        const isRequire = init && tsInstance.isCallExpression(init) && tsInstance.isIdentifier(init.expression) && init.expression.text === 'require';
        const specifier = isRequire ? (init as ts.CallExpression).arguments[0] : undefined;
        if (!specifier || !tsInstance.isStringLiteral(specifier) || !HTTP_MODULES.has(specifier.text)) continue;
        if (tsInstance.isIdentifier(declaration.name)) modules.add(declaration.name.text);
        else if (tsInstance.isObjectBindingPattern(declaration.name)) {
          for (const element of declaration.name.elements) {
            const imported = element.propertyName ?? element.name;
            if (tsInstance.isIdentifier(imported) && tsInstance.isIdentifier(element.name) && HTTP_REQUEST_FUNCTIONS.has(imported.text)) functions.add(element.name.text);
          }
        }
      }
    }
  }
  return { modules, functions };
}
