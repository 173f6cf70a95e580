// End-to-end tests of the built web app (dist/, served by test/e2e/support/static-server.mjs) in
// headless Chromium: Debian's /usr/bin/chromium when present, else Playwright's own build.
import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, SYSTEM_CHROMIUM } from './scripts/browser.mjs';

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '**/*.spec.ts',
  fullyParallel: true,
  workers: 2,
  // One retry in CI only: a browser test that fails under a loaded machine gets a second chance there;
  // a real regression fails both times. Locally every failure shows at once.
  retries: process.env['CI'] ? 1 : 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: process.env['CI'] ? [['list'], ['html', { open: 'never' }]] : 'list',
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      ...(existsSync(SYSTEM_CHROMIUM) ? { executablePath: SYSTEM_CHROMIUM } : {}),
      args: [...CHROMIUM_ARGS],
    },
    trace: 'retain-on-failure',
  },
});
