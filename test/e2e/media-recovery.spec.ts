// A decode error does not end playback: the player rebuilds what failed (a new MediaSource for MSE, a
// new VideoDecoder for WebCodecs) and resumes at a keyframe, as hls.js recovers a media error; an error
// that keeps coming back ends the session after three recoveries. The fault is real to the browser
// (./support/damage.ts), injected by a script the page runs first (or, for the transmuxer worker's own
// decoder, into the worker as it starts). The other engines:
// engines/damaged-frame.spec.ts.
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { damageMedia } from './support/damage.js';
import type { Fault } from './support/damage.js';
import { encodeH264 } from './support/encode.js';
import { FIXTURES, debug, expect, test, videoState } from './support/fixtures.js';
import { encodeIntraRefresh } from './support/intra-refresh.js';
import { prng, startStreamServer } from './support/stream-server.mjs';
import type { StreamServer } from './support/stream-server.mjs';

const P01 = join(FIXTURES, 'p01_pi_baseline_vga30_inline.h264');
/** The file: 6 s at 30 fps, a keyframe a second (one media segment per GOP). */
const FILE_SECONDS = 6;
const fileStream = (): Promise<Buffer> =>
  encodeH264({
    width: 320,
    height: 240,
    fps: 30,
    seconds: FILE_SECONDS,
    x264: ['-preset', 'ultrafast', '-x264-params', 'keyint=30:min-keyint=30:scenecut=0'],
  });

/** Installs the fault before the page's scripts run. */
async function injectFault(page: Page, fault: Fault): Promise<void> {
  await page.addInitScript(damageMedia, fault);
}

const faults = (page: Page): Promise<number> =>
  page.evaluate(() => (window as unknown as { __faults: number }).__faults);

/** The WebCodecs renderer warns DECODER_RECOVERED, then paints a second more of the stream. */
async function expectDecoderRecovered(page: Page): Promise<void> {
  await expect
    .poll(async () => (await debug(page)).warnings.map((w) => w.code), { timeout: 20_000 })
    .toContain('DECODER_RECOVERED');
  const painted = async (): Promise<number> => (await debug(page)).stats?.renderer?.painted ?? 0;
  const before = await painted();
  await expect.poll(painted, { timeout: 15_000 }).toBeGreaterThan(before + 30);
}

async function playFile(page: Page, appUrl: string): Promise<void> {
  await page.goto(`${appUrl}?rate=2`);
  const buffer = await fileStream();
  await page.setInputFiles('input[type=file]', {
    name: 'six.h264',
    mimeType: 'video/h264',
    buffer,
  });
}

let server: StreamServer | undefined;
test.afterEach(async () => {
  await server?.close();
  server = undefined;
});

test('a file: a decode error is recovered from, and the file plays to its end', async ({
  page,
  appUrl,
}) => {
  // The second media append: the file's read runs ahead, so the error comes before its playhead.
  await injectFault(page, { target: 'append', from: 2, count: 1 });
  await playFile(page, appUrl);
  await expect.poll(async () => (await debug(page)).state, { timeout: 40_000 }).toBe('ended');
  const state = await debug(page);
  expect(await faults(page)).toBe(1);
  expect(state.errors).toEqual([]);
  expect(state.warnings.map((w) => w.code)).toEqual(['MEDIA_RECOVERED']);
  const video = await videoState(page);
  expect(video.error).toBeNull();
  expect(video.currentTime).toBeCloseTo(FILE_SECONDS, 1);
});

test('a file whose frames fail every time ends with the error after three recoveries', async ({
  page,
  appUrl,
}) => {
  await injectFault(page, { target: 'append', from: 2, count: 1e9 });
  await playFile(page, appUrl);
  await expect.poll(async () => (await debug(page)).state, { timeout: 40_000 }).toBe('error');
  const state = await debug(page);
  expect(state.errors.map((e) => e.code)).toEqual(['MEDIA_ERROR']);
  expect(state.warnings).toEqual([expect.objectContaining({ code: 'MEDIA_RECOVERED', count: 3 })]);
});

test('a file with a frame the browser fails on each time it is read: skipped to the next keyframe, played to its end', async ({
  page,
  appUrl,
}) => {
  // 200 KB of seeded random bytes in the middle of the file: glued to a frame (no start code in
  // them), which Chromium's decoder rejects every time. Before, each recovery went back to the
  // keyframe before it, met the same frame, and the third ended the session.
  const clean = await encodeH264({
    width: 1280,
    height: 720,
    fps: 25,
    seconds: 8,
    x264: [
      '-preset',
      'ultrafast',
      '-b:v',
      '2M',
      '-x264-params',
      'keyint=50:min-keyint=50:scenecut=0',
    ],
  });
  const damaged = Buffer.from(clean);
  const random = prng(7);
  const from = damaged.length >> 1;
  for (let i = from; i < from + 200_000; i++) damaged[i] = 1 + Math.floor(random() * 255);
  await page.goto(`${appUrl}?rate=2`);
  await page.setInputFiles('input[type=file]', {
    name: 'damaged.h264',
    mimeType: 'video/h264',
    buffer: damaged,
  });
  await expect
    .poll(async () => (await debug(page)).state, { timeout: 40_000 })
    .toMatch(/ended|error/);
  const state = await debug(page);
  test.info().annotations.push({ type: 'warnings', description: JSON.stringify(state.warnings) });
  expect(state.errors).toEqual([]);
  expect(state.state).toBe('ended');
  expect(state.warnings.map((w) => w.code)).toContain('MEDIA_RECOVERED');
  // To the end: the frames the random bytes replaced (0.8 s of the 8) are not in the file.
  const video = await videoState(page);
  const duration = await page.evaluate(() => document.querySelector('video')?.duration ?? 0);
  expect(video.currentTime).toBeCloseTo(duration, 1);
  expect(duration).toBeGreaterThan(6.5);
});

test('live (MSE): a decode error is recovered from at the next keyframe, and the stream plays on', async ({
  page,
  appUrl,
}) => {
  server = await startStreamServer({ file: P01, fps: 30, loop: true, seed: 23 });
  await injectFault(page, { target: 'append', from: 20, count: 1 });
  await page.goto(`${appUrl}?renderer=mse&src=${encodeURIComponent(server.wsFramedUrl)}`);
  await expect
    .poll(async () => (await debug(page)).warnings.map((w) => w.code), { timeout: 20_000 })
    .toContain('MEDIA_RECOVERED');
  // Playing again, on the new MediaSource: the playhead moves on for a second and more.
  await expect.poll(async () => (await debug(page)).state, { timeout: 15_000 }).toBe('playing');
  const resumed = (await videoState(page)).currentTime;
  await expect
    .poll(async () => (await videoState(page)).currentTime, { timeout: 15_000 })
    .toBeGreaterThan(resumed + 1);
  const state = await debug(page);
  expect(state.errors).toEqual([]);
  expect(state.state).toBe('playing');
  expect(state.stats?.renderer?.recovered).toBe(1);
  expect(state.warnings.find((w) => w.code === 'MEDIA_RECOVERED')?.count).toBe(1);
  expect((await videoState(page)).error).toBeNull();
});

test('live (MSE), a camera with periodic intra refresh: a decode error is recovered from at its next recovery point, not 10 s on', async ({
  page,
  appUrl,
}, testInfo) => {
  // One IDR picture, at the camera's start; recovery points on P pictures every second. The new
  // MediaSource started at the next one: Chromium's MSE takes no P picture for a random access point,
  // and showed nothing until the transmuxer's next anchor, 10 s or more on (Firefox's starts there
  // with no reference pictures at all). A start picture now goes before it.
  testInfo.setTimeout(60_000);
  const file = testInfo.outputPath('intra-refresh-60s.h264');
  encodeIntraRefresh(file, 60);
  server = await startStreamServer({ file, fps: 30, loop: true });
  while (server.currentFrame() < 60) await new Promise((resolve) => setTimeout(resolve, 50));
  await injectFault(page, { target: 'append', from: 20, count: 1 });
  await page.goto(`${appUrl}?renderer=mse&src=${encodeURIComponent(server.wsFramedUrl)}`);
  await expect
    .poll(async () => (await debug(page)).warnings.map((w) => w.code), { timeout: 20_000 })
    .toContain('MEDIA_RECOVERED');
  const recovered = Date.now();
  // The next recovery point comes within a second: playing again, and on for a second, within 4 s.
  await expect.poll(async () => (await debug(page)).state, { timeout: 4_000 }).toBe('playing');
  const resumed = (await videoState(page)).currentTime;
  await expect
    .poll(async () => (await videoState(page)).currentTime, { timeout: 4_000 })
    .toBeGreaterThan(resumed + 1);
  testInfo.annotations.push({ type: 'resumed', description: `${Date.now() - recovered} ms` });
  const state = await debug(page);
  expect(state.errors).toEqual([]);
  expect(state.stats?.renderer?.recovered).toBe(1);
  expect((await videoState(page)).error).toBeNull();
});

test("live (WebCodecs on the page's canvas): a decoder error is recovered from at the next keyframe", async ({
  page,
  appUrl,
}) => {
  server = await startStreamServer({ file: P01, fps: 30, loop: true, seed: 29 });
  await injectFault(page, { target: 'decode', from: 10, count: 1 });
  await page.goto(
    `${appUrl}?renderer=webcodecs-canvas&src=${encodeURIComponent(server.wsFramedUrl)}`,
  );
  await expectDecoderRecovered(page);
  const state = await debug(page);
  expect(await faults(page)).toBe(1);
  expect(state.errors).toEqual([]);
  expect(state.stats?.renderer?.recovered).toBe(1);
});

test('live (WebCodecs from the worker, the default): a decoder error in the worker is recovered from at the next keyframe', async ({
  page,
  appUrl,
}) => {
  server = await startStreamServer({ file: P01, fps: 30, loop: true, seed: 31 });
  // The worker's own VideoDecoder gets the fault, patched in as the worker starts (the page's first
  // script creates it): the 30th delta frame, a second into the stream.
  const patched: Promise<unknown>[] = [];
  page.on('worker', (worker) => {
    const fault: Fault = { target: 'decode', from: 30, count: 1 };
    patched.push(worker.evaluate(damageMedia, fault));
  });
  await page.goto(`${appUrl}?src=${encodeURIComponent(server.wsFramedUrl)}`);
  await expectDecoderRecovered(page);
  await Promise.all(patched);
  const damaged = await Promise.all(
    page
      .workers()
      .map((w) => w.evaluate(() => (globalThis as unknown as { __faults?: number }).__faults ?? 0)),
  );
  expect(damaged.reduce((a, b) => a + b, 0)).toBe(1);
  const state = await debug(page);
  expect(state.errors).toEqual([]);
  expect(state.state).toBe('playing');
  expect(state.stats?.renderer?.kind).toBe('webcodecs');
  expect(state.stats?.renderer?.recovered).toBe(1);
});
