// Playwright glue for the engine specs: one browser per engine per worker (the project's `engine` option
// says which), and the built app served with the fixtures beside it (same origin, so the page can fetch them).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test as base } from '@playwright/test';
import { FIXTURES, ROOT, loadConformance, loadManifest } from '../support/fixtures.js';
import { startStaticServer } from '../support/static-server.mjs';
import { launchEngine } from './engine.js';
import type { EngineName, EngineSession } from './engine.js';

export const APP_PREFIX = '/app/';
export const FIXTURE_PREFIX = '/fixtures/';

export interface EngineOptions {
  /** Which browser the project drives. */
  readonly engine: EngineName;
}

export const test = base.extend<
  object,
  EngineOptions & { browserSession: EngineSession; origin: string }
>({
  engine: ['firefox', { option: true, scope: 'worker' }],
  browserSession: [
    async ({ engine }, use) => {
      const session = await launchEngine(engine);
      await use(session);
      await session.close();
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  origin: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const dist = join(ROOT, 'dist');
      if (!existsSync(join(dist, 'index.html'))) {
        throw new Error('dist/ is missing: run `npm run build` (npm run test:e2e does it).');
      }
      const routes: Record<string, { type: string; body: Uint8Array }> = {};
      for (const f of [...loadManifest(), ...loadConformance()]) {
        routes[`${FIXTURE_PREFIX}${f.name}`] = {
          type: 'application/octet-stream',
          body: readFileSync(join(FIXTURES, f.name)),
        };
      }
      const server = await startStaticServer(dist, { prefix: APP_PREFIX, routes });
      await use(server.origin);
      await server.close();
    },
    { scope: 'worker' },
  ],
});

export { expect } from '@playwright/test';
