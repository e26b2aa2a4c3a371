import type { CallExpression, Class, Expression, Node, ObjectExpression } from 'oxc-parser';
import { exportedName } from '../utils/exported-name.js';
import type { Parents } from './syntax.js';

/** tsc's name for an anonymous default export's function or class in CommonJS output. */
const TSC_DEFAULT_NAME = /^default_\d+$/;

/**
 * The span name a function gets without `name=`, by the same rules as the compiler plugin
 * (naming.ts): `Class.method`, `object.method`, the declared function's name, the variable or
 * property a function is bound to (else its own name), or the file's base name for an anonymous
 * default export. `member` is the function's method or property node where it is one.
 */
export function inferSpanName(text: string, fileName: string, parents: Parents, fn: Node, member: Node | undefined): string | undefined {
  if (member && (member.type === 'MethodDefinition' || member.type === 'TSAbstractMethodDefinition' || (member.type === 'Property' && (member.method || member.kind !== 'init')))) {
    const owner = ownerOf(parents, member);
    return qualify(owner && ownerName(text, fileName, parents, owner), memberName(text, member));
  }
  if (fn.type === 'FunctionDeclaration') return fn.id && !TSC_DEFAULT_NAME.test(fn.id.name) ? fn.id.name : fileBaseName(fileName);
  return bindingName(text, fileName, parents, fn) ?? (fn.type === 'FunctionExpression' ? fn.id?.name : undefined);
}

function ownerOf(parents: Parents, member: Node): Class | ObjectExpression | undefined {
  let owner = parents.of(member);
  if (owner?.type === 'ClassBody') owner = parents.of(owner);
  return owner && (owner.type === 'ClassDeclaration' || owner.type === 'ClassExpression' || owner.type === 'ObjectExpression') ? owner : undefined;
}

function ownerName(text: string, fileName: string, parents: Parents, owner: Class | ObjectExpression): string | undefined {
  if (owner.type !== 'ObjectExpression' && owner.id) return TSC_DEFAULT_NAME.test(owner.id.name) ? fileBaseName(fileName) : owner.id.name;
  return bindingName(text, fileName, parents, owner);
}

function bindingName(text: string, fileName: string, parents: Parents, node: Node): string | undefined {
  const parent = parents.skippingWrappers(node);
  if (parent === undefined) return undefined;
  if (parent.type === 'VariableDeclarator') return parent.id.type === 'Identifier' ? parent.id.name : undefined;
  if (parent.type === 'Property' || parent.type === 'PropertyDefinition' || parent.type === 'AccessorProperty') {
    const owner = ownerOf(parents, parent);
    return qualify(owner && ownerName(text, fileName, parents, owner), accessorName(text, owner, parent) ?? memberName(text, parent));
  }
  if (parent.type === 'ExportDefaultDeclaration') return fileBaseName(fileName);
  if (parent.type === 'CallExpression') return loweredPrivateField(parents, parent)?.name;
  if (parent.type === 'AssignmentExpression' && parent.operator === '=') {
    const constructed = constructorClassOf(parents, parent);
    if (constructed && parent.left.type === 'MemberExpression' && parent.left.object.type === 'ThisExpression' && !parent.left.computed) {
      return qualify(ownerName(text, fileName, parents, constructed), text.slice(parent.left.property.start, parent.left.property.end));
    }
    return exportedName(text.slice(parent.left.start, parent.left.end), fileBaseName(fileName));
  }
  return undefined;
}

/**
 * tsc's emit of a private field for targets before ES2022, `_C_p.set(this, value)` in class `C`'s
 * constructor for `#p = value`: the value, and the field's name as written, `C.#p`.
 */
export function loweredPrivateField(parents: Parents, call: CallExpression): { value: Expression; name: string } | undefined {
  const { callee, arguments: [receiver, value] } = call;
  if (callee.type !== 'MemberExpression' || callee.computed || callee.object.type !== 'Identifier' || callee.property.type !== 'Identifier' || callee.property.name !== 'set') return undefined;
  if (receiver?.type !== 'ThisExpression' || value === undefined || value.type === 'SpreadElement') return undefined;
  const className = constructorClassOf(parents, call)?.id?.name;
  const field = className === undefined ? undefined : new RegExp(`^_${className}_(.+)$`).exec(callee.object.name)?.[1];
  return field === undefined ? undefined : { value, name: `${className}.#${field}` };
}

/**
 * The class whose constructor's body has `assignment` as a statement of its own: `this.x = …`
 * there is the class's `x` (and is how tsc emits a class field for targets before ES2022).
 */
function constructorClassOf(parents: Parents, assignment: Node): Class | undefined {
  const statement = parents.of(assignment);
  const body = statement?.type === 'ExpressionStatement' ? parents.of(statement) : undefined;
  const method = body?.type === 'BlockStatement' ? parents.of(parents.of(body) ?? body) : undefined;
  if (method?.type !== 'MethodDefinition' || method.kind !== 'constructor') return undefined;
  const owner = ownerOf(parents, method);
  return owner?.type === 'ObjectExpression' ? undefined : owner;
}

/** tsc's lowering of `accessor x = …` (a private `#x_accessor_storage` field and a getter `x`): the name written, `x`. */
function accessorName(text: string, owner: Class | ObjectExpression | undefined, field: Node & { key: Node }): string | undefined {
  const written = field.key.type === 'PrivateIdentifier' ? /^(.+)_accessor_storage$/.exec(field.key.name)?.[1] : undefined;
  if (written === undefined || owner === undefined || owner.type === 'ObjectExpression') return undefined;
  const getter = owner.body.body.find((member) => member.type === 'MethodDefinition' && member.kind === 'get' && !member.computed && text.slice(member.key.start, member.key.end) === written);
  return getter && written;
}

function memberName(text: string, member: Node & { key: Node; computed: boolean; kind?: string }): string {
  const written = member.computed ? `[${text.slice(member.key.start, member.key.end)}]` : text.slice(member.key.start, member.key.end).replace(/^(['"])(.*)\1$/, '$2');
  if (member.kind === 'get' || member.kind === 'set') return `${member.kind} ${written}`;
  return written;
}

function qualify(owner: string | undefined, member: string | undefined): string | undefined {
  if (member === undefined) return owner;
  return owner === undefined ? member : `${owner}.${member}`;
}

function fileBaseName(fileName: string): string {
  const base = fileName.slice(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
  return base.replace(/(\.d)?\.[cm]?[jt]sx?$/, '');
}
