import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Whether a browser test file can run: where no chromium is installed it is skipped with a
 * printed reason, except under CI=true, where it fails.
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') throw new Error(`no chromium at ${CHROMIUM}: .ci/run installs it`);
  console.warn(`browser tests skipped: no chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  return false;
}

/** Headless chromium; without the background-networking flags the closed network refuses its own connections many at a time. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
}
