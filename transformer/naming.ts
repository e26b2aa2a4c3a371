import type * as ts from 'typescript';
import { skipWrappersUp } from './utils/unwrap.js';
import { exportedName } from './utils/exported-name.js';

/**
 * The span name a function gets without `name=`: `Class.method`, `object.method`, the declared
 * function's name, the variable or property a function expression is bound to (else its own
 * name), or the file's base name for an anonymous default export. Undefined when
 * nothing names it (an anonymous callback): the tag must then say `name=`.
 */
export function inferSpanName(tsInstance: typeof ts, file: ts.SourceFile, fn: ts.FunctionLikeDeclaration): string | undefined {
  const parent = fn.parent;
  if (tsInstance.isClassLike(parent) || tsInstance.isObjectLiteralExpression(parent)) {
    return qualify(ownerName(tsInstance, file, parent), memberName(tsInstance, file, fn));
  }
  if (tsInstance.isFunctionDeclaration(fn)) return fn.name?.text ?? fileBaseName(file); // export default function () {}
  // The name callers use: `service.fetch` for `fetch: function load() {}`.
  return bindingName(tsInstance, file, fn) ?? (tsInstance.isFunctionExpression(fn) ? fn.name?.text : undefined);
}

/** The name of what a class or object literal is bound to, for `Owner.member` names. */
function ownerName(tsInstance: typeof ts, file: ts.SourceFile, owner: ts.ClassLikeDeclaration | ts.ObjectLiteralExpression): string | undefined {
  if (tsInstance.isClassLike(owner) && owner.name) return owner.name.text;
  if (tsInstance.isClassDeclaration(owner)) return fileBaseName(file); // export default class {}
  return bindingName(tsInstance, file, owner);
}

function bindingName(tsInstance: typeof ts, file: ts.SourceFile, node: ts.Node): string | undefined {
  const parent = skipWrappersUp(tsInstance, node);
  if (parent === undefined) return undefined;
  if (tsInstance.isVariableDeclaration(parent) && tsInstance.isIdentifier(parent.name)) return parent.name.text;
  if (tsInstance.isPropertyAssignment(parent) || tsInstance.isPropertyDeclaration(parent)) {
    const owner = parent.parent;
    const ownerLabel = tsInstance.isObjectLiteralExpression(owner) || tsInstance.isClassLike(owner) ? ownerName(tsInstance, file, owner) : undefined;
    return qualify(ownerLabel, memberName(tsInstance, file, parent));
  }
  if (tsInstance.isExportAssignment(parent)) return fileBaseName(file);
  if (tsInstance.isBinaryExpression(parent) && parent.operatorToken.kind === tsInstance.SyntaxKind.EqualsToken) {
    const constructed = constructorClassOf(tsInstance, parent);
    if (constructed && tsInstance.isPropertyAccessExpression(parent.left) && parent.left.expression.kind === tsInstance.SyntaxKind.ThisKeyword) {
      return qualify(ownerName(tsInstance, file, constructed), parent.left.name.getText(file));
    }
    return exportedName(parent.left.getText(file), fileBaseName(file));
  }
  return undefined;
}

/**
 * The class whose constructor's body has `assignment` as a statement of its own: `this.x = …`
 * there is the class's `x` (and is how tsc emits a class field for targets before ES2022).
 */
function constructorClassOf(tsInstance: typeof ts, assignment: ts.Node): ts.ClassLikeDeclaration | undefined {
  const statement = assignment.parent;
  const constructor = statement && tsInstance.isExpressionStatement(statement) && tsInstance.isBlock(statement.parent) ? statement.parent.parent : undefined;
  return constructor && tsInstance.isConstructorDeclaration(constructor) ? constructor.parent : undefined;
}

function memberName(tsInstance: typeof ts, file: ts.SourceFile, member: ts.NamedDeclaration): string | undefined {
  const name = member.name;
  if (name === undefined) return undefined;
  const text = tsInstance.isComputedPropertyName(name) ? `[${name.expression.getText(file)}]` : name.getText(file).replace(/^(['"])(.*)\1$/, '$2');
  if (tsInstance.isGetAccessor(member)) return `get ${text}`;
  if (tsInstance.isSetAccessor(member)) return `set ${text}`;
  return text;
}

function qualify(owner: string | undefined, member: string | undefined): string | undefined {
  if (member === undefined) return owner;
  return owner === undefined ? member : `${owner}.${member}`;
}

function fileBaseName(file: ts.SourceFile): string {
  const base = file.fileName.slice(file.fileName.lastIndexOf('/') + 1);
  return base.replace(/(\.d)?\.[cm]?[jt]sx?$/, '');
}
