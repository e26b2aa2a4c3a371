import type * as ts from 'typescript';
import type { TracedFunction } from './rewrite.js';

/**
 * Where a handler's service definition is named in the source, for stacks that do not tell a
 * handler which method it serves (nice-grpc): the handler is a member of an object literal or
 * class typed `ServiceImplementation<typeof XDefinition>` or implementing ts-proto's generated
 * `XServiceImplementation` (not grpc-js's `UntypedServiceImplementation`), or of an object literal
 * passed inline to `server.add(XDefinition, {...})`.
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
  return undefined;
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
