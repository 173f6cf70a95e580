// The page plays a relay's LL-HLS rendition (serve --hls) through a real nginx with the documented
// configuration: hls.js in low-latency mode, loaded only for the playlist URL, reaches the live edge.
import { join } from 'node:path';
import type { ServeHandle } from '../../src/cli/serve/index.js';
import { startNginx, type NginxHandle } from '../../scripts/nginx.mjs';
import { FIXTURES, debug, expect, test, videoState } from './support/fixtures.js';
import { startFileRelay } from './support/file-relay.js';
import { encodeIntraRefresh } from './support/intra-refresh.js';

const P01 = join(FIXTURES, 'p01_pi_baseline_vga30_inline.h264');

let relay: ServeHandle | undefined;
let nginx: NginxHandle | undefined;
test.afterEach(async () => {
  await nginx?.stop();
  await relay?.close();
  nginx = undefined;
  relay = undefined;
});

test('LL-HLS through nginx: hls.js plays at the live edge, the raw-stream chunks stay unloaded', async ({
  page,
  appUrl,
}) => {
  relay = await startFileRelay(P01, { hls: true });
  nginx = await startNginx({ relayPort: relay.port });
  const scripts: string[] = [];
  page.on('request', (r) => {
    if (r.resourceType() === 'script') scripts.push(new URL(r.url()).pathname);
  });
  await page.goto(`${appUrl}?src=${encodeURIComponent(`${nginx.base}/hls/live.m3u8`)}`);
  await expect
    .poll(async () => (await videoState(page)).total, { timeout: 20_000 })
    .toBeGreaterThan(60);
  const state = await debug(page);
  expect(state.errors).toEqual([]);
  expect(state.state).toBe('playing');
  expect((state.stats as unknown as { sourceKind: string }).sourceKind).toMatch(
    /^hls \(hls\.js, \d+ parts\)$/,
  );
  // The page shows it like a live session: the picture, and the statistics panel with hls.js's figures.
  await expect(page.locator('video')).toBeVisible();
  await expect(page.locator('#stats-list')).toContainText(/hls \(hls\.js, \d+ parts\)/);
  await expect(page.locator('#stats-list')).toContainText('Live latency');
  const video = await videoState(page);
  expect([video.width, video.height]).toEqual([640, 480]);
  // At the live edge of a low-latency playlist: within a target duration (3 s) of the newest part; a
  // client ignoring parts would sit three segments (6 s) back.
  await expect
    .poll(async () => (await debug(page)).stats?.player?.latency ?? Infinity, { timeout: 15_000 })
    .toBeLessThan(3);
  // hls.js came in its own chunk; the transmuxer worker of the raw path was never loaded.
  expect(scripts.some((s) => /hls\.light-[\w-]+\.js$/.test(s))).toBe(true);
  expect(scripts.some((s) => /transmux\.worker/.test(s))).toBe(false);
});

test('LL-HLS of a camera with periodic intra refresh plays in Chromium from a segment after its one IDR picture', async ({
  page,
  appUrl,
}, testInfo) => {
  // Every segment after the first starts at a recovery point on a P picture, which Chromium's MSE
  // takes for no random access point: hls.js's first segment never played ('buffering', 0 frames,
  // bufferAppendNoProgress). Each such segment now starts with an anchor (anchorInterval) it takes.
  testInfo.setTimeout(90_000);
  const file = testInfo.outputPath('intra-refresh-60s.h264');
  encodeIntraRefresh(file, 60);
  relay = await startFileRelay(file, { hls: true, allowOrigin: '*' });
  // Past the IDR picture and the first segments.
  await page.waitForTimeout(7_000);
  await page.goto(
    `${appUrl}?src=${encodeURIComponent(`http://127.0.0.1:${relay.port}/hls/live.m3u8`)}`,
  );
  await expect
    .poll(async () => (await videoState(page)).total, { timeout: 20_000 })
    .toBeGreaterThan(60);
  const state = await debug(page);
  expect(state.errors).toEqual([]);
  expect(state.state).toBe('playing');
});
