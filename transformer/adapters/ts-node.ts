import { createRequire } from 'node:module';
import { join } from 'node:path';
import spanweave from '../index.js';
import { readProject } from './source.js';

/**
 * ts-node: `node -r spanweave/ts-node app.ts` in place of `-r ts-node/register`. Registers the
 * project's ts-node with spanweave in its `before` transformers, taking the plugin options from
 * the tsconfig's spanweave entry. The transformers are given as an object, not a function of the
 * program, so that `transpileOnly` works too.
 */
const projectRequire = createRequire(join(process.cwd(), 'package.json'));
const tsNode = projectRequire('ts-node') as { register(options: { transformers: object }): unknown };
const project = readProject();
tsNode.register({ transformers: { before: [spanweave(undefined, project.plugin, { ts: project.ts })] } });
