import type { Node, TSType } from 'oxc-parser';
import type { ModuleBindings } from './modules.js';
import type { Parents } from './syntax.js';

const IMPLEMENTATION_TYPE = 'ServiceImplementation';

/**
 * For a handler of a stack that does not tell it its method (nice-grpc): the service definition
 * object, as an expression the handler can read at run time, and the handler's key in it, by the
 * plugin's sites (service-methods.ts) read from the syntax: an object literal passed inline to
 * `server.add(XDefinition, {...})`, one typed `ServiceImplementation<typeof XDefinition>` (a
 * variable, a property or `satisfies`), or a class implementing ts-proto's `XServiceImplementation`
 * whose `XDefinition` the file imports. `unreadable` where a site names a definition that has no
 * value here (a type-only import).
 */
export function definitionOf(text: string, parents: Parents, bindings: ModuleBindings, member: Node | undefined): { service: string; key: string } | { unreadable: string } | undefined {
  if (!member || !('key' in member) || (member as { computed?: boolean }).computed) return undefined;
  const keyNode = member.key as Node;
  const key = keyNode.type === 'Identifier' ? keyNode.name : keyNode.type === 'Literal' && typeof keyNode.value === 'string' ? keyNode.value : undefined;
  let owner = parents.of(member);
  if (owner?.type === 'ClassBody') owner = parents.of(owner);
  if (key === undefined || owner === undefined) return undefined;
  const value = (name: string): { service: string; key: string } | { unreadable: string } => (bindings.typeOnly.has(name.split('.')[0]!) ? { unreadable: key } : { service: name, key });

  if (owner.type === 'ObjectExpression') {
    const holder = parents.of(owner);
    if (holder?.type === 'CallExpression' && holder.arguments[1] === owner && holder.callee.type === 'MemberExpression' && !holder.callee.computed && text.slice(holder.callee.property.start, holder.callee.property.end) === 'add' && holder.arguments[0]) {
      return { service: text.slice(holder.arguments[0].start, holder.arguments[0].end), key };
    }
    const annotation = annotationOf(holder);
    const queried = annotation && typeQueried(text, annotation);
    return queried === undefined ? undefined : value(queried);
  }
  if (owner.type !== 'ClassDeclaration' && owner.type !== 'ClassExpression') return undefined;
  for (const implemented of owner.implements ?? []) {
    const name = text.slice(implemented.expression.start, implemented.expression.end).split('.').pop()!;
    if (!name.endsWith(IMPLEMENTATION_TYPE) || name === IMPLEMENTATION_TYPE || name === `Untyped${IMPLEMENTATION_TYPE}`) continue;
    // ts-proto's XServiceImplementation goes with the XDefinition of its module.
    const module = bindings.named.get(name)?.module;
    const definition = `${name.slice(0, -IMPLEMENTATION_TYPE.length)}Definition`;
    for (const [local, imported] of bindings.named) {
      if (imported.module === module && imported.imported === definition) return value(local);
    }
    return { unreadable: key };
  }
  return undefined;
}

/** The type written on what holds an object literal: `const x: T =`, a property `p: T =`, `{...} satisfies T`. */
function annotationOf(holder: Node | undefined): TSType | undefined {
  if (holder?.type === 'VariableDeclarator') return holder.id.typeAnnotation?.typeAnnotation;
  if (holder?.type === 'PropertyDefinition') return holder.typeAnnotation?.typeAnnotation;
  if (holder?.type === 'TSSatisfiesExpression' || holder?.type === 'TSAsExpression') return holder.typeAnnotation;
  return undefined;
}

/** `X` of `ServiceImplementation<typeof X>`. */
function typeQueried(text: string, type: TSType): string | undefined {
  if (type.type !== 'TSTypeReference') return undefined;
  const name = text.slice(type.typeName.start, type.typeName.end).split('.').pop();
  const argument = type.typeArguments?.params[0];
  if (name !== IMPLEMENTATION_TYPE || argument?.type !== 'TSTypeQuery') return undefined;
  return text.slice(argument.exprName.start, argument.exprName.end);
}
