/**
 * The stacks suite (test/suites/stacks.ts) through tspc, and what only a build with type
 * information does: nice-grpc methods read from the definition's type at compile time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileWithTranspileModule } from './helpers/compile.js';
import { fixturesDir } from './helpers/paths.js';
import { stacksSuite } from './suites/stacks.js';

stacksSuite('tspc');

describe('nice-grpc: the RPC method read from the service definition', () => {
  it('for a class implementing the generated interface, an object that satisfies the type, an object given to server.add, and an untyped object or class given to server.add later in the file', () => {
    const emitted = readFileSync(join(fixturesDir, 'stacks/out-tspc/nice-shapes.js'), 'utf8');
    const named = [...emitted.matchAll(/serve(?:Stream)?\("([^"]+)",[\s\S]*?\{ method: "([^"]+)" \}/g)].map(([, name, method]) => `${name} ${method}`);
    expect(named).toEqual([
      'GeneratedInterfaceEcho.say stacks.Echo/Say',
      'GeneratedInterfaceEcho.count stacks.Echo/Count',
      'GeneratedInterfaceEcho.collect stacks.Echo/Collect',
      'GeneratedInterfaceEcho.chat stacks.Echo/Chat',
      'satisfiesEcho.say stacks.Echo/Say',
      'say stacks.Echo/Say',
      'laterEcho.say stacks.Echo/Say',
      'laterEcho.count stacks.Echo/Count',
      'laterEcho.collect stacks.Echo/Collect',
      'laterEcho.chat stacks.Echo/Chat',
      'LaterClassEcho.say stacks.Echo/Say',
    ]);
  });
});

describe('builds without type information', () => {
  it('Connect and grpc-js handlers are traced, and a nice-grpc implementation warns that its methods cannot be named', () => {
    const build = compileWithTranspileModule(join(fixturesDir, 'stacks'));
    expect(build.output).toMatch(/nice\.ts\(\d+,\d+\): warning TS95005: spanweave: The RPC method of 'say' is read from its nice-grpc service definition's type, and this build has no type information/);
    expect(build.output).not.toMatch(/connect\.ts|grpc-js\.ts|nest\.ts/);
    // The handlers are wrapped as in a tspc build; the stack is told apart when they are called.
    for (const [file, name] of [['connect', 'ConnectEcho.say'], ['grpc-js', 'echoHandlers.say'], ['nest', 'NestEcho.say']]) {
      expect(readFileSync(join(build.outDir, `${file}.js`), 'utf8')).toContain(`serve("${name}", arguments,`);
    }
  });
});
