import type * as ts from 'typescript';
import type { TracedFunction } from './rewrite.js';

/**
 * Where a handler's service definition is named in the source, for stacks that do not tell a
 * handler which method it serves (nice-grpc): the handler is a member of an object literal or
 * class typed `ServiceImplementation<typeof XDefinition>` or implementing ts-proto's generated
 * `XServiceImplementation` (not grpc-js's `UntypedServiceImplementation`), or of an object literal
 * passed inline to `server.add(XDefinition, {...})`; failing those, the implementation given to
 * `server.add(XDefinition, impl)` (or `new Impl()`) elsewhere in the same file.
 */
export type DefinitionSite = { readonly typeQuery: ts.TypeNode } | { readonly generatedInterface: ts.TypeReferenceNode | ts.ExpressionWithTypeArguments } | { readonly value: ts.Expression };

const IMPLEMENTATION_TYPE = 'ServiceImplementation';

/** The member key of `fn` in its object literal or class, and where that owner's service definition is named, if anywhere. */
export function definitionSiteOf(tsInstance: typeof ts, fn: TracedFunction): { key: string; site: DefinitionSite } | undefined {
  const member = tsInstance.isMethodDeclaration(fn) ? fn : fn.parent;
  if (!(tsInstance.isMethodDeclaration(member) || tsInstance.isPropertyAssignment(member) || tsInstance.isPropertyDeclaration(member))) return undefined;
  const key = member.name && (tsInstance.isIdentifier(member.name) || tsInstance.isStringLiteral(member.name)) ? member.name.text : undefined;
  const owner = member.parent;
  if (key === undefined) return undefined;
  let types: readonly (ts.TypeReferenceNode | ts.ExpressionWithTypeArguments)[] = [];
  if (tsInstance.isObjectLiteralExpression(owner)) {
    const holder = owner.parent;
    if (tsInstance.isCallExpression(holder) && holder.arguments[1] === owner && tsInstance.isPropertyAccessExpression(holder.expression) && holder.expression.name.text === 'add' && holder.arguments[0]) {
      return { key, site: { value: holder.arguments[0] } };
    }
    const annotation = tsInstance.isVariableDeclaration(holder) || tsInstance.isPropertyDeclaration(holder) || tsInstance.isSatisfiesExpression(holder) ? holder.type : undefined;
    if (annotation && tsInstance.isTypeReferenceNode(annotation)) types = [annotation];
  } else if (tsInstance.isClassLike(owner)) {
    types = (owner.heritageClauses ?? []).filter((clause) => clause.token === tsInstance.SyntaxKind.ImplementsKeyword).flatMap((clause) => clause.types);
  }
  for (const type of types) {
    const name = typeName(tsInstance, type);
    if (name === IMPLEMENTATION_TYPE) {
      const argument = type.typeArguments?.[0];
      if (argument && tsInstance.isTypeQueryNode(argument)) return { key, site: { typeQuery: argument } };
    } else if (name?.endsWith(IMPLEMENTATION_TYPE) && name !== 'UntypedServiceImplementation') {
      return { key, site: { generatedInterface: type } };
    }
  }
  const served = implementationName(tsInstance, owner);
  const definition = served === undefined ? undefined : addedImplementations(tsInstance, owner.getSourceFile()).get(served);
  return definition === undefined ? undefined : { key, site: { value: definition } };
}

/** Whether a file imports nice-grpc, so that a gRPC handler in it whose method cannot be named is worth a warning. */
export function importsNiceGrpc(tsInstance: typeof ts, file: ts.SourceFile): boolean {
  return file.statements.some((statement) => tsInstance.isImportDeclaration(statement) && tsInstance.isStringLiteral(statement.moduleSpecifier) && NICE_GRPC_MODULES.has(statement.moduleSpecifier.text));
}

const NICE_GRPC_MODULES = new Set(['nice-grpc', 'nice-grpc-common']);

/**
 * How a later `server.add(XDefinition, ...)` names the implementation `owner`: `impl` for an object
 * literal held by `const impl =`, `new Impl` for a class `Impl` (given as `new Impl(...)`).
 */
function implementationName(tsInstance: typeof ts, owner: ts.Node): string | undefined {
  const holder = owner.parent;
  const variable = tsInstance.isVariableDeclaration(holder) && tsInstance.isIdentifier(holder.name) ? holder.name.text : undefined;
  if (tsInstance.isObjectLiteralExpression(owner)) return variable;
  if (!tsInstance.isClassLike(owner)) return undefined;
  const name = owner.name?.text ?? variable;
  return name === undefined ? undefined : `new ${name}`;
}

const addedInFile = new WeakMap<ts.SourceFile, ReadonlyMap<string, ts.Expression>>();

/** The definitions a file's `x.add(XDefinition, impl)` calls give, by implementationName; the first call wins. */
function addedImplementations(tsInstance: typeof ts, file: ts.SourceFile): ReadonlyMap<string, ts.Expression> {
  let added = addedInFile.get(file);
  if (added !== undefined) return added;
  const found = new Map<string, ts.Expression>();
  const visit = (node: ts.Node): void => {
    if (tsInstance.isCallExpression(node) && node.arguments.length === 2 && tsInstance.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'add') {
      const [definition, implementation] = node.arguments as unknown as [ts.Expression, ts.Expression];
      const name = tsInstance.isIdentifier(implementation) ? implementation.text : tsInstance.isNewExpression(implementation) && tsInstance.isIdentifier(implementation.expression) ? `new ${implementation.expression.text}` : undefined;
      if (name !== undefined && !found.has(name)) found.set(name, definition);
    }
    tsInstance.forEachChild(node, visit);
  };
  visit(file);
  addedInFile.set(file, (added = found));
  return added;
}

/**
 * The `package.Service/Method` of `key` in the service definition `site` names, read from its
 * type: ts-proto's generic definitions (`fullName`, `methods.<key>.name`) and grpc-js service
 * definitions (`<key>.path`) declare them as literal types. For ts-proto's `XServiceImplementation`
 * interface, the definition is its module's `XDefinition`.
 */
export function rpcMethodOf(tsInstance: typeof ts, checker: ts.TypeChecker, key: string, site: DefinitionSite): string | undefined {
  try {
    const definition = definitionType(tsInstance, checker, site);
    if (definition === undefined) return undefined;
    const literal = (type: ts.Type | undefined, property: string): string | undefined => {
      const symbol = type?.getProperty(property);
      const value = symbol && checker.getTypeOfSymbol(symbol);
      return value?.isStringLiteral() ? value.value : undefined;
    };
    const member = (type: ts.Type | undefined, property: string): ts.Type | undefined => {
      const symbol = type?.getProperty(property);
      return symbol && checker.getTypeOfSymbol(symbol);
    };
    const fullName = literal(definition, 'fullName');
    const name = literal(member(member(definition, 'methods'), key), 'name');
    if (fullName !== undefined && name !== undefined) return `${fullName}/${name}`;
    return literal(member(definition, key), 'path')?.replace(/^\//, '');
  } catch {
    return undefined; // a node another transformer synthesized has no type
  }
}

function definitionType(tsInstance: typeof ts, checker: ts.TypeChecker, site: DefinitionSite): ts.Type | undefined {
  if ('value' in site) return checker.getTypeAtLocation(site.value);
  if ('typeQuery' in site) return checker.getTypeAtLocation(site.typeQuery);
  const reference = 'typeName' in site.generatedInterface ? site.generatedInterface.typeName : site.generatedInterface.expression;
  let symbol = checker.getSymbolAtLocation(tsInstance.isQualifiedName(reference) ? reference.right : reference);
  if (symbol && symbol.flags & tsInstance.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  const module = symbol?.declarations?.[0]?.getSourceFile();
  const moduleSymbol = module && checker.getSymbolAtLocation(module);
  const definitionName = `${symbol!.name.slice(0, -IMPLEMENTATION_TYPE.length)}Definition`;
  const definition = moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((exported) => exported.name === definitionName && exported.flags & tsInstance.SymbolFlags.Value);
  return definition && checker.getTypeOfSymbol(definition);
}

function typeName(tsInstance: typeof ts, type: ts.TypeReferenceNode | ts.ExpressionWithTypeArguments): string | undefined {
  const name = 'typeName' in type ? type.typeName : type.expression;
  if (tsInstance.isIdentifier(name)) return name.text;
  if (tsInstance.isQualifiedName(name)) return name.right.text;
  if (tsInstance.isPropertyAccessExpression(name)) return name.name.text;
  return undefined;
}
