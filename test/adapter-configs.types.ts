/**
 * Type-checked by `npm test` (tsc -p tsconfig.json), never run: the adapters' plugins fit the
 * build tools' own configuration types, so a user's typed vite.config.ts or esbuild script
 * accepts them as the README shows.
 */
import type { Configuration as RspackConfiguration } from '@rspack/core';
import type { BuildOptions } from 'esbuild';
import { defineConfig } from 'vite';
import type { Configuration as WebpackConfiguration } from 'webpack';
import { defineConfig as defineVitestConfig } from 'vitest/config';
import { spanweave as esbuildPlugin } from '../transformer/adapters/esbuild.js';
import { spanweave as rspackPlugin } from '../transformer/adapters/rspack.js';
import { spanweave as vitePlugin } from '../transformer/adapters/vite.js';
import { spanweave as webpackPlugin } from '../transformer/adapters/webpack.js';

export const viteConfig = defineConfig({ plugins: [vitePlugin()] });
export const vitestConfig = defineVitestConfig({ plugins: [vitePlugin({ tsconfig: 'tsconfig.app.json' })] });
export const esbuildOptions: BuildOptions = { plugins: [esbuildPlugin()] };
export const webpackConfig: WebpackConfiguration = { plugins: [webpackPlugin()] };
export const rspackConfig: RspackConfiguration = { plugins: [rspackPlugin()] };
