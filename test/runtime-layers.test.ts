/**
 * The runtime's RPC layers: runtime/rpc-core is what every gRPC stack shares and knows none of them;
 * each stack's folder (grpc, connect, nice-grpc, nestjs) builds on it; runtime/rpc, the entry point
 * of `grpc.server` handlers, dispatches to the stacks. Read from the sources' import declarations.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { expect, it } from 'vitest';
import { repoRoot } from './helpers/paths.js';

const runtime = join(repoRoot, 'runtime');

/** Each module of a runtime folder with the runtime modules it imports, as paths under runtime/ (`rpc-core/status.ts`). */
function importsOf(folder: string): Record<string, string[]> {
  const modules: Record<string, string[]> = {};
  for (const file of readdirSync(join(runtime, folder)).filter((name) => name.endsWith('.ts'))) {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(runtime, folder, file), 'utf8'), true, true);
    modules[`${folder}/${file}`] = importedFiles
      .map(({ fileName }) => fileName)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => join(folder, specifier).replace(/\.js$/, '.ts'));
  }
  return modules;
}

it('the shared RPC core imports nothing of runtime/ beyond itself and the core modules at its root', () => {
  const modules = importsOf('rpc-core');
  expect(Object.keys(modules)).toContain('rpc-core/server-span.ts');
  const outside = Object.entries(modules).flatMap(([module, imports]) => imports.filter((path) => path.includes('/') && !path.startsWith('rpc-core/')).map((path) => `${module} -> ${path}`));
  expect(outside).toEqual([]);
});

it('no stack imports the dispatcher, which imports every stack', () => {
  const stacks = ['grpc', 'connect', 'nice-grpc', 'nestjs'];
  const upward = stacks.flatMap((stack) => Object.entries(importsOf(stack)).flatMap(([module, imports]) => imports.filter((path) => path.startsWith('rpc/')).map((path) => `${module} -> ${path}`)));
  expect(upward).toEqual([]);
  const dispatched = importsOf('rpc')['rpc/serve.ts']!;
  expect(stacks.filter((stack) => !dispatched.includes(`${stack}/server.ts`))).toEqual([]);
});
