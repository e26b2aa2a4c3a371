/**
 * The stacks suite (test/suites/stacks.ts) through the text-edit core on the source, the
 * bundlers' path: nice-grpc handlers name their method from the definition object at run time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturesDir } from './helpers/paths.js';
import { stacksSuite } from './suites/stacks.js';

stacksSuite('weave source');

describe('nice-grpc: the service definition object named where the implementation is', () => {
  it('for a class implementing the generated interface, an object that satisfies the type, an object given to server.add, and an untyped object or class given to server.add later in the file', () => {
    const emitted = readFileSync(join(fixturesDir, 'stacks/out-weave-source/nice-shapes.js'), 'utf8');
    const named = [...emitted.matchAll(/serve(?:Stream)?\("([^"]+)",[\s\S]*?\{ definition: \{ service: ([\w.]+), key: "(\w+)" \} \}/g)].map(([, name, service, key]) => `${name} ${service}.${key}`);
    expect(named).toEqual([
      'GeneratedInterfaceEcho.say echo_1.EchoDefinition.say',
      'GeneratedInterfaceEcho.count echo_1.EchoDefinition.count',
      'GeneratedInterfaceEcho.collect echo_1.EchoDefinition.collect',
      'GeneratedInterfaceEcho.chat echo_1.EchoDefinition.chat',
      'satisfiesEcho.say echo_1.EchoDefinition.say',
      'say echo_1.EchoDefinition.say',
      'laterEcho.say echo_1.EchoDefinition.say',
      'laterEcho.count echo_1.EchoDefinition.count',
      'laterEcho.collect echo_1.EchoDefinition.collect',
      'laterEcho.chat echo_1.EchoDefinition.chat',
      'LaterClassEcho.say echo_1.EchoDefinition.say',
    ]);
  });
});
