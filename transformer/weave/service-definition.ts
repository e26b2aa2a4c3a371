import type { CallExpression, Expression, Node, Program, TSType } from 'oxc-parser';
import type { ModuleBindings } from './modules.js';
import { boundNames, type Parents } from './syntax.js';

const IMPLEMENTATION_TYPE = 'ServiceImplementation';

/**
 * For handlers of a stack that does not tell them their method (nice-grpc): the service definition
 * object, as an expression the handler can read at run time, and the handler's key in it, by the
 * plugin's sites (service-methods.ts) read from the syntax: an object literal passed inline to
 * `server.add(XDefinition, {...})`, one typed `ServiceImplementation<typeof XDefinition>` (a
 * variable, a property or `satisfies`), a class implementing ts-proto's `XServiceImplementation`
 * whose `XDefinition` the file imports, or, failing those, the implementation given to
 * `server.add(XDefinition, impl)` (or `new Impl()`) elsewhere in the file, where `XDefinition` is
 * the file's own (imported or declared at its top). `unreadable` where a site names a definition
 * that has no value here (a type-only import).
 */
export class ServiceDefinitions {
  /** The definitions the file's `x.add(XDefinition, impl)` calls give, by implementationName; the first call wins. */
  private readonly added = new Map<string, Expression>();

  constructor(
    private readonly text: string,
    private readonly parents: Parents,
    private readonly bindings: ModuleBindings,
    private readonly program: Program,
  ) {}

  /** Called with each call expression of the file, before `of`. */
  noteCall(call: CallExpression): void {
    const [definition, implementation] = call.arguments;
    if (call.arguments.length !== 2 || call.callee.type !== 'MemberExpression' || call.callee.computed || call.callee.property.name !== 'add') return;
    const name =
      implementation!.type === 'Identifier' ? implementation!.name : implementation!.type === 'NewExpression' && implementation!.callee.type === 'Identifier' ? `new ${implementation!.callee.name}` : undefined;
    if (name !== undefined && definition!.type !== 'SpreadElement' && !this.added.has(name)) this.added.set(name, definition!);
  }

  /** Whether the file imports nice-grpc, so that a gRPC handler in it whose method cannot be named is worth a warning. */
  get importsNiceGrpc(): boolean {
    return this.bindings.specifiers.has('nice-grpc') || this.bindings.specifiers.has('nice-grpc-common');
  }

  of(member: Node | undefined): { service: string; key: string } | { unreadable: string } | undefined {
    const { text, parents, bindings } = this;
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
      if (queried !== undefined) return value(queried);
      return this.addedLater(holder?.type === 'VariableDeclarator' && holder.id.type === 'Identifier' ? holder.id.name : undefined, key);
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
    const holder = parents.of(owner);
    const className = owner.id?.name ?? (holder?.type === 'VariableDeclarator' && holder.id.type === 'Identifier' ? holder.id.name : undefined);
    return this.addedLater(className === undefined ? undefined : `new ${className}`, key);
  }

  /** The definition a later `add` gives the implementation named `name`, where the handler can name it too. */
  private addedLater(name: string | undefined, key: string): { service: string; key: string } | { unreadable: string } | undefined {
    const definition = name === undefined ? undefined : this.added.get(name);
    let root: Expression | undefined = definition;
    while (root?.type === 'MemberExpression' && !root.computed) root = root.object;
    if (definition === undefined || root?.type !== 'Identifier' || !this.isFileWide(root.name)) return undefined;
    const service = this.text.slice(definition.start, definition.end);
    return this.bindings.typeOnly.has(root.name) ? { unreadable: key } : { service, key };
  }

  private fileWide: ReadonlySet<string> | undefined;

  /** A name imported, required or declared at the file's top, which a handler anywhere in it can read. */
  private isFileWide(name: string): boolean {
    this.fileWide ??= new Set([...this.bindings.modules.keys(), ...this.bindings.named.keys(), ...this.program.body.flatMap(declaredNames)]);
    return this.fileWide.has(name);
  }
}

function declaredNames(statement: Node): string[] {
  const declaration = (statement.type === 'ExportNamedDeclaration' ? statement.declaration : statement) as Node | null;
  if (declaration?.type === 'VariableDeclaration') return declaration.declarations.flatMap((declarator) => boundNames(declarator.id));
  if ((declaration?.type === 'FunctionDeclaration' || declaration?.type === 'ClassDeclaration') && declaration.id) return [declaration.id.name];
  return [];
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
