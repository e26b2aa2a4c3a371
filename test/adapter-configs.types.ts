/**
 * Type-checked by `npm test` (tsc -p tsconfig.json), never run: the adapters' plugins fit the
 * build tools' own configuration types, so a user's typed vite.config.ts or esbuild script
 * accepts them as the README shows.
 */
import type { BuildOptions } from 'esbuild';
import { defineConfig } from 'vite';
import { defineConfig as defineVitestConfig } from 'vitest/config';
import { spanweave as esbuildPlugin } from '../transformer/adapters/esbuild.js';
import { spanweave as vitePlugin } from '../transformer/adapters/vite.js';

export const viteConfig = defineConfig({ plugins: [vitePlugin()] });
export const vitestConfig = defineVitestConfig({ plugins: [vitePlugin({ tsconfig: 'tsconfig.app.json' })] });
export const esbuildOptions: BuildOptions = { plugins: [esbuildPlugin()] };
