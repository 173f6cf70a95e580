// Playwright fixtures: the built app served statically (under a sub-path, proving base './'), the
// fixture manifest, and helpers to read the page's debug hook (window.__h264mux).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base } from '@playwright/test';
import type { Page } from '@playwright/test';
import {
  conformanceFixtures,
  expectedFps,
  fixtures,
  type Fixture,
} from '../../helpers/fixtures.js';
import { startStaticServer } from './static-server.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const FIXTURES = join(ROOT, 'test/fixtures');

export type ManifestEntry = Fixture;

/**
 * Fixtures, the longest to play first: with tests spread over two workers in the order they are
 * defined, a minute-long file started last leaves the other worker idle for that minute.
 */
export function longestFirst(list: readonly ManifestEntry[]): ManifestEntry[] {
  const seconds = (f: ManifestEntry): number => f.frames / expectedFps(f);
  return [...list].sort((a, b) => seconds(b) - seconds(a));
}

/** The fixture manifest (test/fixtures/manifest.json), as the unit and oracle tests read it. */
export function loadManifest(): readonly ManifestEntry[] {
  return fixtures;
}

/** The streams from other encoders (test/fixtures/conformance/manifest.json); names start with `conformance/`. */
export function loadConformance(): readonly ManifestEntry[] {
  return conformanceFixtures;
}

export interface DebugSnapshot {
  state: string;
  stats:
    | {
        sourceKind: string;
        live: boolean;
        accessUnitFraming: boolean;
        reconnects: number;
        reconnectAttempts: number;
        framesMuxed: number;
        firstSegmentKeyframe: boolean | undefined;
        early?: string;
        initSegments: number;
        info:
          | {
              width: number;
              height: number;
              displayWidth: number;
              displayHeight: number;
              codec: string;
              fps: number;
              fpsSource: string;
            }
          | undefined;
        player:
          | {
              decodedFrames: number;
              droppedFrames: number;
              latency: number;
              /** Live: the adaptive playout delay's current target and the arrival jitter's p99 (ms). */
              targetDelayMs: number;
              jitterMs: number;
            }
          | undefined;
        /** Live: the renderer's figures (src/player/webcodecs-renderer.ts RendererStats). */
        renderer: { kind: string; painted: number; recovered: number } | undefined;
      }
    | undefined;
  errors: { code: string; message: string }[];
  warnings: { code: string; message: string; count: number }[];
}

/**
 * The page's debug hook (src/app/main.ts). It exists once the page's bundle has run: for a live
 * `?src=` the built page runs it after the first frame (vite.config.ts), so this waits for it.
 */
export async function debug(page: Page): Promise<DebugSnapshot> {
  await page.waitForFunction(() => '__h264mux' in window, undefined, { timeout: 20_000 });
  return page.evaluate(() => {
    const hook = (window as unknown as { __h264mux: DebugSnapshot }).__h264mux;
    return JSON.parse(
      JSON.stringify({
        state: hook.state,
        stats: hook.stats,
        errors: hook.errors,
        warnings: hook.warnings,
      }),
    ) as DebugSnapshot;
  });
}

/** totalVideoFrames / droppedVideoFrames / currentTime / error of the page's <video>. */
export function videoState(page: Page): Promise<{
  total: number;
  dropped: number;
  currentTime: number;
  ended: boolean;
  error: string | null;
  width: number;
  height: number;
}> {
  return page.evaluate(() => {
    const v = document.querySelector('video');
    if (!v) throw new Error('no <video>');
    const q = v.getVideoPlaybackQuality();
    return {
      total: q.totalVideoFrames,
      dropped: q.droppedVideoFrames,
      currentTime: v.currentTime,
      ended: v.ended,
      error: v.error ? `${v.error.code} ${v.error.message}` : null,
      width: v.videoWidth,
      height: v.videoHeight,
    };
  });
}

export const test = base.extend<object, { appUrl: string }>({
  appUrl: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const dist = join(ROOT, 'dist');
      if (!existsSync(join(dist, 'index.html'))) {
        throw new Error('dist/ is missing: run `npm run build` (npm run test:e2e does it).');
      }
      const server = await startStaticServer(dist, { prefix: '/some/sub/path/' });
      await use(server.url);
      await server.close();
    },
    { scope: 'worker' },
  ],
});

export { expect } from '@playwright/test';
