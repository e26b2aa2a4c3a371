import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

/** Debian's chromium, installed on first use (the test machines are Debian, tests run as root). */
export function ensureChromium(): string {
  if (!existsSync(CHROMIUM)) {
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  return CHROMIUM;
}
