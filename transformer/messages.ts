/**
 * The words of every diagnostic about a tag, shared by the compiler plugin (visitor.ts) and the
 * text-edit core (weave/), so that both paths say the same thing about the same code.
 */
import type { TagKind } from './tags/grammar.js';

/** Their clients do not tell a call site which RPC method a call is, so only their constructions can be traced. */
const CONSTRUCTION_ONLY = 'Connect, nice-grpc and NestJS clients are traced at their construction: tag `createClient(...)`, the transport, `factory.create(...)` or `getService(...)`.';

const CLIENT_CONSTRUCTIONS_HINT =
  'a gRPC client construction: grpc-js `new XClient(...)`, Connect `createClient(...)` or `createConnectTransport(...)` / `createGrpcTransport(...)` / `createGrpcWebTransport(...)`, nice-grpc `createClient(...)` or `factory.create(...)`, NestJS `client.getService(...)`';

export const messages = {
  twoTags: (first: string, second: string) => `${first === second ? `@${first} is given twice` : '@traced and @untraced are both given'} for one declaration. Keep one tag.`,
  constructor: 'A constructor cannot be traced: its body must run as the constructor itself. Trace a factory function or a method it calls instead.',
  severalVariables: '@traced is on a statement that declares several variables. Declare the traced one on its own.',
  declaredElsewhere: (text: string) => `@traced marks functions, but '${text}' refers to one declared elsewhere. Tag that declaration.`,
  optionalConstruction: (text: string) => `'${text}' is called with '?.', which is not traced. Call it without '?.' (check the value first) to trace the client it makes.`,
  notAConstruction: (callee: string) => `@traced grpc.client marks ${CLIENT_CONSTRUCTIONS_HINT}, or a function making gRPC calls, but '${callee}(...)' is none of these. Move the tag onto one of them.`,
  notAFunctionValue: (kind: TagKind, present: boolean) => {
    const what = kind === 'grpc.client' ? `a function making gRPC calls or ${CLIENT_CONSTRUCTIONS_HINT}` : 'functions';
    return `@traced ${kind === 'internal' ? '' : `${kind} `}marks ${what}, but this value is ${present ? 'not a function, class or object literal' : 'missing'}. Move the tag onto the function that should get a span.`;
  },
  noBody: '@traced is on a declaration without a body (ambient, abstract or an interface member). Put it on the implementation.',
  grpcCallsNeedTypes: `@traced grpc.client on a function finds its grpc-js calls by their types, and this build has no type information (it transpiles files one at a time), so they are not traced. Tag the client construction instead: \`/** @traced grpc.client */ const client = new XClient(...)\`. ${CONSTRUCTION_ONLY}`,
  optionalCall: (text: string) => `'${text}' is called with '?.', which is not traced. Call it without '?.' (check the value first) to trace it.`,
  noHttpCalls: '@traced http.client found no fetch(), http.request() or http.get() (or https) call in this function, so nothing is traced. Put the tag on the function that makes the call.',
  noGrpcCalls: `@traced grpc.client found no call of a @grpc/grpc-js client method in this function, so nothing is traced. Put the tag on the function that makes the call, or on the client construction. ${CONSTRUCTION_ONLY}`,
  nameOnMembers: "'name=' names a single span, but this tag is on a class or object literal. Put name= on each method instead.",
  clientKindOnMembers: (kind: 'grpc.client' | 'http.client') =>
    `@traced ${kind} marks a function that makes calls${kind === 'grpc.client' ? ' or a client construction' : ''}, not a class or object literal. Tag each such function.`,
  memberElsewhere: (text: string) => `'${text}' is not traced: its functions are declared elsewhere. Tag those declarations.`,
  untracedNoEffect: '@untraced has no effect here: it opts a method out of a @traced class or object literal.',
  noName: 'This function has no name to give its span. Add name=<span name> to the tag.',
  nestedTooDeep: 'This file is nested too deeply for spanweave to read (its walk of the syntax tree ran out of stack), so nothing in it is traced. Split the deepest expression (such as a chain of thousands of `+`) into several statements.',
  unreadMethod: (key: string, why: 'unreadable' | 'no types') =>
    `The RPC method of '${key}' is read from its nice-grpc service definition's type, and ${
      why === 'unreadable' ? `its service definition has no method '${key}' this build can read` : 'this build has no type information (it transpiles files one at a time)'
    }, so its spans are named "grpc" with rpc.method "_OTHER". Build with type information (tspc, ts-loader without transpileOnly) and type the implementation as ServiceImplementation<typeof XDefinition>.`,
  unreadDefinition: (key: string) =>
    `The RPC method of '${key}' is read at run time from its nice-grpc service definition, and the definition this code names has no value here (a type-only import), so its spans are named "grpc" with rpc.method "_OTHER". Import XDefinition as a value (not \`import type\`), or pass the implementation inline to server.add(XDefinition, {...}).`,
  unplacedHandler:
    'This gRPC handler is in a file that imports nice-grpc, which does not tell a handler its method, and no service definition is named for it here, so its spans would be named "grpc" with rpc.method "_OTHER". Type its implementation as ServiceImplementation<typeof XDefinition>, or give the implementation to server.add(XDefinition, impl) in this file.',
  outsideJsDoc: (name: string) => `@${name} is in a '//' or '/* */' comment, where it is not read. Write it in a JSDoc comment: /** @${name} */.`,
  unattached: (name: string) =>
    `@${name} is not directly above a function, method, class or object literal (or a variable, property or export default holding one). Move the comment there.`,
  redeclaredParameter: (name: string) => `'var ${name}' redeclares the parameter '${name}', which an inner function cannot share. Rename the variable, or assign to the parameter without 'var'.`,
  superInGenerator: "A traced generator method cannot use 'super' yet: its body runs in an inner generator function. Read the super member into a local before the loop, or trace the caller.",
  syncGeneratorHandler: 'A gRPC handler cannot be a synchronous generator. Write a streaming handler as an `async *` generator (Connect, nice-grpc) or as a function taking the call (grpc-js).',
  grpcArrowParameters: 'A gRPC handler written as an arrow needs plain parameter names, (call, callback) => ... or (request, context) => ..., so that the runtime can see the call.',
  httpGenerator: 'An HTTP handler cannot be a generator. Write it as (req, res) => ... or (request) => Response.',
  httpArrowParameters: 'An HTTP handler written as an arrow needs its request and response parameters as plain names: (req, res) => ...',
  notOneExpression: (label: string, expression: string) =>
    `${label}: '${expression}' is not a single expression. Wrap it in parentheses if it has spaces, as in ${label}${label.endsWith('=') ? '' : '='}(a + b).`,
  importedName: (label: string, name: string) => `${label}: '${name}' is an imported binding, which an attribute expression cannot read. Pass it as a parameter, or copy it into a module-level const.`,
  notInScope: (label: string, name: string, params: string) =>
    `${label}: '${name}' is not in scope. The expression may read the function's parameters (${params || 'none'}), 'this', and names declared outside the function.`,
  waits: (text: string) => `'${text}' waits; attribute expressions are evaluated before the body and must not await or yield.`,
} as const;
