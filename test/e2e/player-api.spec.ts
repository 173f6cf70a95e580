// The package's player API (h264mux/player, dist-lib/play/index.js) in a page of its own, loaded as
// native ES modules with no bundler: its worker loads from next to it (new URL(..., import.meta.url)).
// A URL, a Blob with the transmuxer on the main thread, a ReadableStream; a bad URL; close().
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import type * as PlayerApi from '../../src/play/index.js';
import { ROOT, expect, test } from './support/fixtures.js';
import { startStaticServer } from './support/static-server.mjs';
import type { StaticServer } from './support/static-server.mjs';

const FIXTURE = '/test/fixtures/p19_high_bitrate_qp10.h264';
const FRAMES = 30;

const PAGE = `<!doctype html><meta charset="utf-8"><video></video>
<script type="module">
  window.api = await import('/dist-lib/play/index.js');
  window.apiReady = true;
</script>`;

let server: StaticServer | undefined;
test.beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist-lib/play/index.js'))) {
    throw new Error('dist-lib/play is missing: run `npm run build` (npm run test:e2e does it).');
  }
  server = await startStaticServer(ROOT, {
    routes: { '/api.html': { type: 'text/html; charset=utf-8', body: PAGE } },
  });
});
test.afterAll(async () => {
  await server?.close();
});

interface Outcome {
  readonly ended: boolean;
  readonly decoded: number;
  readonly states: string[];
  readonly errors: string[];
  readonly state: string;
}

/** Plays `how` in the page until 'ended' (or an error) and reports what happened. */
async function playIn(page: Page, how: 'url' | 'blob-main-thread' | 'stream'): Promise<Outcome> {
  await page.goto(`${server?.origin ?? ''}/api.html`);
  await page.waitForFunction(() => (window as unknown as { apiReady?: boolean }).apiReady);
  return page.evaluate(
    async ({ how, url }) => {
      const api = (window as unknown as { api: typeof PlayerApi }).api;
      const video = document.querySelector('video') as HTMLVideoElement;
      const source =
        how === 'url'
          ? url
          : how === 'blob-main-thread'
            ? await (await fetch(url)).blob()
            : ((await fetch(url)).body as ReadableStream<Uint8Array>);
      const player = await api.play(video, source, {
        ...(how === 'blob-main-thread' ? { transmuxer: 'main-thread' as const } : {}),
        ...(how === 'stream' ? { live: false } : {}),
      });
      const states: string[] = [];
      const errors: string[] = [];
      player.addEventListener('statechange', (e) => states.push(e.detail));
      player.addEventListener('error', (e) => errors.push(e.detail.code));
      const ended = await new Promise<boolean>((resolve) => {
        video.addEventListener('ended', () => resolve(true));
        player.addEventListener('error', () => resolve(false));
      });
      const outcome = {
        ended,
        decoded: video.getVideoPlaybackQuality().totalVideoFrames,
        states,
        errors,
        state: player.state,
      };
      player.close();
      return outcome;
    },
    { how, url: FIXTURE },
  );
}

for (const how of ['url', 'blob-main-thread', 'stream'] as const) {
  test(`play(video, ${how}) plays the file to the end with every frame`, async ({ page }) => {
    const outcome = await playIn(page, how);
    expect(outcome.errors).toEqual([]);
    expect(outcome.ended).toBe(true);
    expect(outcome.state).toBe('ended');
    expect(outcome.states).toContain('playing');
    expect(outcome.decoded).toBe(FRAMES);
  });
}

test('play() rejects a URL it cannot read, with a code', async ({ page }) => {
  await page.goto(`${server?.origin ?? ''}/api.html`);
  await page.waitForFunction(() => (window as unknown as { apiReady?: boolean }).apiReady);
  const code = await page.evaluate(async () => {
    const api = (window as unknown as { api: typeof PlayerApi }).api;
    try {
      await api.play(document.querySelector('video') as HTMLVideoElement, 'ftp://camera/stream');
      return 'resolved';
    } catch (error) {
      return (error as { code?: string }).code ?? String(error);
    }
  });
  expect(code).toBe('BAD_URL');
});
