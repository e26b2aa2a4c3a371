/**
 * Random programs around one tagged function, for the semantic-preservation property test: the
 * function's shape (declaration, expression, arrow, method, static method, object method, a
 * derived class's method), its flavor (sync, async, generator, async generator), its parameters
 * (defaults, destructuring, rest) and a body of statements that log side effects, return early,
 * throw Errors and non-Errors, read `this`, `arguments`, `super` and `new.target`, await, for await, yield
 * and close over parameters. Each program exports `observe()`, which calls the function with
 * several argument lists and returns everything observable about each call.
 */
import fc from 'fast-check';

export const SHAPES = ['declaration', 'expression', 'arrow', 'method', 'static method', 'object method', 'derived method'] as const;
export const FLAVORS = ['sync', 'async', 'generator', 'async generator'] as const;
const EXTRA_PARAMS = ['b = 2', '{ x = 1 }: any = {}', '[p, q]: any = [3, 4]', '...rest: any[]'] as const;
const STATEMENTS = ['log', 'return early', 'throw Error', 'throw string', 'this', 'arguments', 'await', 'for await', 'yield', 'closure', 'super', 'new.target'] as const;

type Shape = (typeof SHAPES)[number];
type Flavor = (typeof FLAVORS)[number];
type Statement = { kind: (typeof STATEMENTS)[number]; n: number };

export interface FunctionProgram {
  shape: Shape;
  flavor: Flavor;
  params: string[];
  statements: Statement[];
}

export const functionPrograms: fc.Arbitrary<FunctionProgram> = fc
  .record({
    shape: fc.constantFrom(...SHAPES),
    flavor: fc.constantFrom(...FLAVORS),
    firstHasDefault: fc.boolean(),
    extra: fc.subarray([...EXTRA_PARAMS]),
    statements: fc.array(fc.record({ kind: fc.constantFrom(...STATEMENTS), n: fc.integer({ min: 0, max: 3 }) }), { maxLength: 7 }),
  })
  .map(({ shape, flavor, firstHasDefault, extra, statements }) => {
    const isArrow = shape === 'arrow';
    const actualFlavor: Flavor = isArrow && flavor.endsWith('generator') ? (flavor === 'generator' ? 'sync' : 'async') : flavor;
    const allowed = (kind: Statement['kind']): boolean => {
      if (kind === 'await' || kind === 'for await') return actualFlavor.startsWith('async');
      if (kind === 'yield') return actualFlavor.endsWith('generator');
      if (kind === 'this' || kind === 'arguments' || kind === 'new.target') return !isArrow;
      // `super` in a generator method is refused with TS95004 (documented; tested in bad-tags).
      if (kind === 'super') return shape === 'derived method' && !actualFlavor.endsWith('generator');
      return true;
    };
    return { shape, flavor: actualFlavor, params: [firstHasDefault ? 'a: any = 0' : 'a?: any', ...extra], statements: statements.filter((s) => allowed(s.kind)) };
  });

function statementSource({ kind, n }: Statement): string {
  switch (kind) {
    case 'log':
      return `log.push('step ${n}');`;
    case 'return early':
      return `if (a === ${n}) return 'early ${n}';`;
    case 'throw Error':
      return `if (a === ${n}) throw new Error('boom ${n}');`;
    case 'throw string':
      return `if (a === ${n}) throw 'raw ${n}';`;
    case 'this':
      return 'log.push(who(this));';
    case 'arguments':
      return 'log.push(arguments.length, JSON.stringify([...arguments]));';
    case 'await':
      return `log.push(await (a === ${n} ? Promise.reject(new Error('rejected ${n}')) : Promise.resolve('awaited ${n}')));`;
    case 'for await':
      return `for await (const v of (async function* () { yield ${n}; yield await Promise.resolve('pulled ${n}'); log.push('not closed ${n}'); })()) { if (a === ${n}) break; log.push(v, await 'in loop'); }\n    for await (const w of [${n}, Promise.resolve('sync ${n}')]) log.push(w);`;
    case 'yield':
      return `log.push(yield ${n});`;
    case 'closure':
      return `{ const read = () => [a, ${n}]; log.push(read()); }`;
    case 'super':
      return `log.push(super.greet(${n}));`;
    case 'new.target':
      return 'log.push(typeof new.target);';
  }
}

function definition({ shape, flavor, params, statements }: FunctionProgram): string {
  const body = `{\n    ${[...statements.map(statementSource), `return { a, done: true };`].join('\n    ')}\n  }`;
  const isAsync = flavor.startsWith('async') ? 'async ' : '';
  const star = flavor.endsWith('generator') ? '*' : '';
  const list = params.join(', ');
  const method = (modifier = '') => `/** @traced */\n  ${modifier}${isAsync}${star}target(${list}) ${body}`;
  switch (shape) {
    case 'declaration':
      return `/** @traced */\n${isAsync}function${star} target(${list}) ${body}\nconst receiver = { tag: 'receiver' };`;
    case 'expression':
      return `/** @traced */\nconst target = ${isAsync}function${star} (${list}) ${body};\nconst receiver = { tag: 'receiver' };`;
    case 'arrow':
      return `/** @traced */\nconst target = ${isAsync}(${list}) => ${body};\nconst receiver = { tag: 'receiver' };`;
    case 'method':
      return `class Holder {\n  tag = 'instance';\n  ${method()}\n}\nconst receiver = new Holder();\nconst target = receiver.target;`;
    case 'static method':
      return `class Holder {\n  static tag = 'class';\n  ${method('static ')}\n}\nconst receiver = Holder;\nconst target = Holder.target;`;
    case 'object method':
      return `const receiver = {\n  tag: 'object',\n  ${method()},\n};\nconst target = receiver.target;`;
    case 'derived method':
      return `class Base {\n  greet(n: number) { return 'hello ' + n + ' from ' + who(this); }\n}\nclass Holder extends Base {\n  tag = 'derived';\n  ${method()}\n}\nconst receiver = new Holder();\nconst target = receiver.target;`;
  }
}

/** The argument lists every program's function is called with: they hit each early exit 0–3. */
export const ARGUMENT_LISTS = [[], [0], [1, 'b'], [2, { x: 5 }, [6, 7]], [3, 'b', {}, [], 'r1', 'r2'], [9]];

export function programSource(program: FunctionProgram): string {
  return `// @ts-nocheck
const log: unknown[] = [];
function who(self: any): string {
  if (self === undefined) return 'undefined';
  if (self === globalThis) return 'global';
  return self !== null && typeof self === 'object' || typeof self === 'function' ? 'tag ' + String(self.tag) : typeof self;
}
function describe(value: any): unknown {
  return value instanceof Error ? { error: value.constructor.name, message: value.message } : { value };
}

${definition(program)}

async function settle(result: any): Promise<unknown> {
  if (result instanceof Promise) return { promise: await result.then((value) => ({ resolved: value }), (error) => ({ rejected: describe(error) })) };
  if (result && typeof result[Symbol.asyncIterator] === 'function') return { asyncIterator: await drain(result, true) };
  if (result && typeof result[Symbol.iterator] === 'function' && typeof result.next === 'function') return { iterator: await drain(result, false) };
  return { returned: result };
}

async function drain(iterator: any, isAsync: boolean): Promise<unknown[]> {
  const steps: unknown[] = [];
  for (let i = 0; i < 10; i++) {
    try {
      const step = isAsync ? await iterator.next('sent ' + i) : iterator.next('sent ' + i);
      steps.push(step);
      if (step.done) break;
    } catch (error) {
      steps.push({ threw: describe(error) });
      break;
    }
  }
  return steps;
}

export async function observe(): Promise<unknown[]> {
  const observations: unknown[] = [{ name: target.name, length: target.length, tag: Object.prototype.toString.call(target), prototype: typeof target.prototype }];
  for (const args of ${JSON.stringify(ARGUMENT_LISTS)}) {
    log.length = 0;
    let outcome: unknown;
    try {
      outcome = await settle(target.apply(receiver, args));
    } catch (error) {
      outcome = { threw: describe(error) };
    }
    observations.push({ args, outcome, log: [...log] });
  }
  return observations;
}
`;
}
