// End-to-end tests of the built web app (dist/, served by test/e2e/support/static-server.mjs).
// Project `chromium`: every spec in test/e2e with Playwright's `page`, in headless Chromium (Debian's
// /usr/bin/chromium when present, else Playwright's own build). Projects `firefox` and `webkit`: the
// specs in test/e2e/engines, which launch and drive Firefox ESR and WebKitGTK themselves
// (test/e2e/engines/engine.ts); `chromium-engine` runs them in Chromium when asked.
import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, SYSTEM_CHROMIUM } from './scripts/browser.mjs';
import type { EngineOptions } from './test/e2e/engines/harness.js';

export default defineConfig<EngineOptions>({
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
  projects: [
    {
      name: 'chromium',
      testIgnore: '**/e2e/engines/**',
      use: {
        browserName: 'chromium',
        headless: true,
        launchOptions: {
          ...(existsSync(SYSTEM_CHROMIUM) ? { executablePath: SYSTEM_CHROMIUM } : {}),
          args: [...CHROMIUM_ARGS],
        },
        trace: 'retain-on-failure',
      },
    },
    // Chromium through the engine layer too, on request (H264MUX_ENGINE_CHROMIUM=1): the project above
    // already plays every fixture, live stream and throttled file in it.
    ...(process.env['H264MUX_ENGINE_CHROMIUM']
      ? [
          {
            name: 'chromium-engine',
            testDir: 'test/e2e/engines',
            use: { engine: 'chromium' as const },
          },
        ]
      : []),
    { name: 'firefox', testDir: 'test/e2e/engines', use: { engine: 'firefox' } },
    { name: 'webkit', testDir: 'test/e2e/engines', use: { engine: 'webkit' } },
  ],
});
