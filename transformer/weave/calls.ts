import type { CallExpression, Node } from 'oxc-parser';
import { HTTP_MODULES, HTTP_REQUEST_FUNCTIONS } from '../calls.js';
import { CONSTRUCTORS } from '../client-stacks.js';
import type { RuntimeModule } from '../runtime-import.js';
import { importedCallee, type ModuleBindings } from './modules.js';
import { forEachChild, unwrap } from './syntax.js';

/** A `fetch(...)` or node:http `request(...)` / `get(...)` call in a `@traced http.client` function. */
export interface HttpCall {
  readonly kind: 'fetch' | 'request';
  readonly call: CallExpression;
}

/**
 * The fetch and http/https request calls in `body` (callbacks it declares included), from the
 * syntax: `fetch`, `globalThis.fetch`, and node's http and https functions as the file imports or
 * requires them. Calls written with `?.` are returned apart: they are left alone, and reported.
 */
export function findHttpCalls(body: Node, bindings: ModuleBindings): { calls: HttpCall[]; optional: CallExpression[] } {
  const calls: HttpCall[] = [];
  const optional: CallExpression[] = [];
  const kindOf = (call: CallExpression): HttpCall['kind'] | undefined => {
    const callee = unwrap(call.callee);
    if (callee.type === 'Identifier' && callee.name === 'fetch') return 'fetch';
    if (callee.type === 'MemberExpression' && !callee.computed && callee.object.type === 'Identifier' && callee.object.name === 'globalThis' && callee.property.type === 'Identifier' && callee.property.name === 'fetch') return 'fetch';
    const imported = importedCallee(call.callee, bindings);
    return imported && HTTP_MODULES.has(imported.module) && HTTP_REQUEST_FUNCTIONS.has(imported.name) ? 'request' : undefined;
  };
  const visit = (node: Node): void => {
    if (node.type === 'CallExpression') {
      const kind = kindOf(node);
      if (kind && isOptionalCall(node)) optional.push(node);
      else if (kind) calls.push({ kind, call: node });
    }
    forEachChild(node, visit);
  };
  visit(body);
  return { calls, optional };
}

export function isOptionalCall(call: CallExpression): boolean {
  return call.optional || (call.callee.type === 'MemberExpression' && call.callee.optional);
}

/**
 * The runtime module of the stack whose client construction `call` is, from the syntax alone: a
 * function imported from Connect or nice-grpc (by name, through a namespace or a `require`),
 * `create` of a nice-grpc client factory in a file that imports nice-grpc, or NestJS's `getService`.
 */
export function clientStackOf(call: CallExpression, bindings: ModuleBindings): RuntimeModule | undefined {
  const imported = importedCallee(call.callee, bindings);
  const stack = imported && CONSTRUCTORS[imported.module];
  if (stack?.functions.includes(imported!.name)) return stack.runtime;
  const callee = unwrap(call.callee);
  if (callee.type !== 'MemberExpression' || callee.computed || callee.property.type !== 'Identifier') return undefined;
  if (callee.property.name === 'getService') return 'nestjs';
  if (callee.property.name === 'create' && bindings.specifiers.has('nice-grpc')) return 'nice-grpc';
  return undefined;
}
