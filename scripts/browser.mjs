// Chromium launch options shared by the e2e tests, the latency bench and scripts/ensure-tools.mjs.
// Debian's /usr/bin/chromium is preferred; Playwright's own browser build is the fallback.
import { existsSync } from 'node:fs';

export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** Flags for headless runs: no sandbox (root in CI), no GPU, no network chatter, autoplay allowed. */
export const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--autoplay-policy=no-user-gesture-required',
]);

/**
 * Path of a Chromium binary that exists on this machine, or undefined.
 * @returns {Promise<string | undefined>}
 */
export async function findChromium() {
  if (existsSync(SYSTEM_CHROMIUM)) return SYSTEM_CHROMIUM;
  try {
    const { chromium } = await import('playwright-core');
    const path = chromium.executablePath();
    if (path && existsSync(path)) return path;
  } catch {
    // playwright-core not installed yet (before `npm ci`) or it knows no browser for this platform.
  }
  return undefined;
}

/**
 * Options for Playwright's `chromium.launch()`.
 * @returns {Promise<{ executablePath: string, args: string[], headless: boolean }>}
 */
export async function chromiumLaunchOptions() {
  const executablePath = await findChromium();
  if (executablePath === undefined) {
    throw new Error(
      'No Chromium found: run `npm run pretest` (it installs one on Debian/Ubuntu as root) or ' +
        '`apt-get install -y chromium` / `npx playwright install chromium`.',
    );
  }
  return { executablePath, args: [...CHROMIUM_ARGS], headless: true };
}
