// The WebCodecs renderer on a live stream from the test server sending a fixture in real time:
// - `?renderer=webcodecs-canvas`: frames decoded by a VideoDecoder in the page and painted to a canvas
//   at their due time, with the `h264mux:frame` events and the renderer counters the latency
//   benchmark reads;
// - `?renderer=webcodecs` (Chromium): decoded in the transmuxer worker and written at their due time
//   to a MediaStreamTrackGenerator the <video> plays, so no frame waits for the page's main thread.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { WebSocketServer } from 'ws';
import { FIXTURES, debug, expect, test } from './support/fixtures.js';
import { expectRecovered, restartAndReconnect, serverUpLate } from './support/live-checks.js';
import { encodeIntraRefresh, intraRefreshCamera } from './support/intra-refresh.js';
import { startStreamServer } from './support/stream-server.mjs';
import type { StreamServer } from './support/stream-server.mjs';

const P01 = join(FIXTURES, 'p01_pi_baseline_vga30_inline.h264');

interface FrameLog {
  count: number;
  /** mediaTime of each painted frame, in order. */
  mediaTimes: number[];
  /** paintedAt - dueAt of each painted frame (ms). */
  lateness: number[];
  fromCanvas: boolean;
}

/** Records the page's h264mux:frame events from its first script on. */
async function recordFrames(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const log: FrameLog = { count: 0, mediaTimes: [], lateness: [], fromCanvas: true };
    (window as unknown as { __frames: FrameLog }).__frames = log;
    document.addEventListener('h264mux:frame', (event) => {
      const { mediaTime, paintedAt, dueAt } = (
        event as CustomEvent<{ mediaTime: number; paintedAt: number; dueAt: number }>
      ).detail;
      log.count++;
      log.mediaTimes.push(mediaTime);
      log.lateness.push(paintedAt - dueAt);
      if (!(event.target instanceof HTMLCanvasElement)) log.fromCanvas = false;
    });
  });
}

function frames(page: Page): Promise<FrameLog> {
  return page.evaluate(() => (window as unknown as { __frames: FrameLog }).__frames);
}

interface RendererSnapshot {
  kind: string;
  late: number;
  skipped: number;
  painted: number;
  targetDelayMs: number;
  stallsPerMinute: number;
}

/**
 * What every WebCodecs run shows: `mediaTimes` (the frames seen, in order) strictly increasing, the
 * session playing without an error, the renderer's figures counting those frames.
 */
async function expectWebCodecsPlayed(page: Page, mediaTimes: number[]): Promise<RendererSnapshot> {
  // In presentation order, never the same frame twice.
  for (let i = 1; i < mediaTimes.length; i++) {
    expect(mediaTimes[i]).toBeGreaterThan(mediaTimes[i - 1] ?? -Infinity);
  }
  const state = await debug(page);
  expect(state.errors).toEqual([]);
  expect(state.state).toBe('playing');
  const snapshot = (stats: unknown): RendererSnapshot =>
    (stats as { renderer: RendererSnapshot }).renderer;
  expect(snapshot(state.stats).kind).toBe('webcodecs');
  // The worker's renderer posts its figures every 250 ms (src/worker/track-renderer.ts): the page's
  // may be that far behind the frames seen (measured once: 66 painted for 70 seen).
  await expect
    .poll(async () => snapshot((await debug(page)).stats).painted, { timeout: 2000 })
    .toBeGreaterThanOrEqual(mediaTimes.length - 2);
  const renderer = snapshot((await debug(page)).stats);
  expect(renderer.targetDelayMs).toBeGreaterThan(0);
  return renderer;
}

let server: StreamServer | undefined;
test.afterEach(async () => {
  await server?.close();
  server = undefined;
});

for (const transport of ['http', 'ws-au'] as const) {
  test(`webcodecs renderer, live ${transport}: paints frames to a canvas at their due time`, async ({
    page,
    appUrl,
  }) => {
    server = await startStreamServer({ file: P01, fps: 30, randomChunks: true, seed: 11 });
    const src = transport === 'http' ? server.httpUrl : server.wsFramedUrl;
    await recordFrames(page);
    await page.goto(`${appUrl}?src=${encodeURIComponent(src)}&renderer=webcodecs-canvas`);
    await expect
      .poll(async () => (await frames(page)).count, { timeout: 20_000 })
      .toBeGreaterThan(45);

    const log = await frames(page);
    expect(log.fromCanvas).toBe(true);
    expect(log.mediaTimes).toHaveLength(log.count);
    const renderer = await expectWebCodecsPlayed(page, log.mediaTimes);
    expect(Number.isInteger(renderer.late) && Number.isInteger(renderer.skipped)).toBe(true);
    // The video stays idle and hidden; the canvas shows the picture.
    const view = await page.evaluate(() => {
      const canvas = document.querySelector('#player > canvas');
      const video = document.querySelector('video');
      if (!(canvas instanceof HTMLCanvasElement) || !video) return undefined;
      const ctx = canvas.getContext('2d');
      const pixels = ctx?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
      let lit = 0;
      for (let i = 0; i < pixels.length; i += 4 * 97) if ((pixels[i] ?? 0) > 16) lit++;
      return {
        width: canvas.width,
        height: canvas.height,
        lit,
        videoHidden: video.hidden,
        videoFrames: video.getVideoPlaybackQuality().totalVideoFrames,
      };
    });
    expect(view).toMatchObject({ width: 640, height: 480, videoHidden: true, videoFrames: 0 });
    expect(view?.lit).toBeGreaterThan(100);
    await expect(page.locator('#stats')).toContainText('WebCodecs');
    await expect(page.locator('#stats')).toContainText('Playout delay');
    // The snapshot is the canvas's picture (it read the hidden <video>: 'no picture yet').
    const download = page.waitForEvent('download');
    await page.click('#snapshot-button');
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/-\d+\.\d{3}s\.png$/);
    const png = readFileSync(await file.path());
    // PNG signature, then the IHDR chunk's width and height (big-endian, bytes 16-23).
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([640, 480]);
    await expect(page.locator('#tool-status')).toContainText('(640×480)');
  });
}

interface PresentedLog {
  /** rVFC metadata.mediaTime of each callback, in order. */
  mediaTimes: number[];
  presentedFrames: number;
}

/** Records what the page's <video> presents (requestVideoFrameCallback), from its first script on. */
async function recordPresented(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const log: PresentedLog = { mediaTimes: [], presentedFrames: 0 };
    (window as unknown as { __presented: PresentedLog }).__presented = log;
    const watch = (video: HTMLVideoElement): void => {
      const step: VideoFrameRequestCallback = (_now, meta) => {
        log.mediaTimes.push(meta.mediaTime);
        log.presentedFrames = meta.presentedFrames;
        video.requestVideoFrameCallback(step);
      };
      video.requestVideoFrameCallback(step);
    };
    const found = (): boolean => {
      const video = document.querySelector('video');
      if (!video) return false;
      watch(video);
      return true;
    };
    if (!found()) {
      const observer = new MutationObserver(() => {
        if (found()) observer.disconnect();
      });
      observer.observe(document, { childList: true, subtree: true });
    }
  });
}

function presented(page: Page): Promise<PresentedLog> {
  return page.evaluate(() => (window as unknown as { __presented: PresentedLog }).__presented);
}

for (const transport of ['http', 'ws-au'] as const) {
  test(`webcodecs renderer, live ${transport}: the worker writes frames to a track the video plays`, async ({
    page,
    appUrl,
  }) => {
    server = await startStreamServer({ file: P01, fps: 30, randomChunks: true, seed: 12 });
    const src = transport === 'http' ? server.httpUrl : server.wsFramedUrl;
    await recordFrames(page);
    await recordPresented(page);
    await page.goto(`${appUrl}?src=${encodeURIComponent(src)}&renderer=webcodecs`);
    await expect
      .poll(async () => (await presented(page)).mediaTimes.length, { timeout: 20_000 })
      .toBeGreaterThan(45);

    const log = await presented(page);
    await expectWebCodecsPlayed(page, log.mediaTimes);
    // No page painting: no canvas, no h264mux:frame event; the <video> shows a MediaStream.
    expect((await frames(page)).count).toBe(0);
    const view = await page.evaluate(() => {
      const video = document.querySelector('video');
      return {
        canvases: document.querySelectorAll('#player > canvas').length,
        videoHidden: video?.hidden,
        stream: video?.srcObject instanceof MediaStream,
        width: video?.videoWidth,
        height: video?.videoHeight,
      };
    });
    expect(view).toEqual({
      canvases: 0,
      videoHidden: false,
      stream: true,
      width: 640,
      height: 480,
    });
    await expect(page.locator('#stats')).toContainText('WebCodecs');
    await expect(page.locator('#stats')).toContainText('Playout delay');
  });
}

/**
 * Opens `url` on the intra-refresh camera (./support/intra-refresh.ts) and waits for 60 frames
 * presented, the first of them before the loop's next IDR picture (130 frames or more after the join):
 * shown from a recovery point on a P picture.
 */
async function playsFromRecoveryPoint(
  page: Page,
  camera: StreamServer,
  url: string,
): Promise<void> {
  await recordPresented(page);
  const joined = camera.currentFrame();
  await page.goto(url);
  await expect
    .poll(async () => (await presented(page)).mediaTimes.length, { timeout: 20_000 })
    .toBeGreaterThan(0);
  expect(camera.currentFrame() - joined).toBeLessThan(110);
  await expect
    .poll(async () => (await presented(page)).mediaTimes.length, { timeout: 20_000 })
    .toBeGreaterThan(60);
}

for (const transport of ['http', 'ws-au'] as const) {
  test(`webcodecs from the worker, live ${transport}: a periodic-intra-refresh camera joined after its one IDR picture plays`, async ({
    page,
    appUrl,
  }) => {
    // p17 (x264 --intra-refresh: an IDR picture, then recovery points on P pictures every 30 frames),
    // looped as a camera. Joined between two recovery points, the first frame the page can start at
    // is a P picture. Before, Chromium's decoder refused it ("EncodedVideoChunk was marked as type key
    // but wasn't a key frame": Playback error, nothing shown); now a gray start picture goes first
    // (src/core/h264/added-pictures.ts) and the refresh paints the camera's picture over it.
    const live = (server = await intraRefreshCamera());
    const src = transport === 'http' ? live.httpUrl : live.wsFramedUrl;
    await playsFromRecoveryPoint(page, live, `${appUrl}?src=${encodeURIComponent(src)}`);
    await expectWebCodecsPlayed(page, (await presented(page)).mediaTimes);
  });
}

test('a periodic-intra-refresh camera joined after its one IDR picture plays through MSE too (renderer=mse)', async ({
  page,
  appUrl,
}) => {
  // Chromium's MSE starts only at an IDR picture: before, the page stayed 'buffering' with 0 frames
  // decoded and nothing buffered, for as long as the camera sent (no IDR picture ever came). The
  // transmuxer's start picture (TransmuxerOptions.startPicture) takes the recovery point's first tick.
  const live = (server = await intraRefreshCamera());
  const src = encodeURIComponent(live.wsFramedUrl);
  await playsFromRecoveryPoint(page, live, `${appUrl}?src=${src}&renderer=mse`);
  const state = await debug(page);
  expect(state.errors).toEqual([]);
  expect((state.stats as { renderer?: { kind: string } }).renderer?.kind).toBe('mse');
});

test('a camera with periodic intra refresh and no later IDR picture plays on through MSE (renderer=mse), its buffer trimmed', async ({
  page,
  appUrl,
}, testInfo) => {
  // x264 --intra-refresh as a camera sends it: one IDR picture, at its start, then recovery points on
  // P pictures. Chromium's MSE takes none of them for a random access point, and the trim 4 s behind
  // the playhead, cut at one, removed the whole buffer: the page showed about 5 s, then 'buffering'
  // with nothing buffered, for good (163 frames). Anchors (TransmuxerOptions.anchorInterval) are
  // random access points it takes.
  testInfo.setTimeout(90_000);
  const file = testInfo.outputPath('intra-refresh-60s.h264');
  encodeIntraRefresh(file, 60, '640x480');
  server = await startStreamServer({ file, fps: 30, loop: true });
  // Joined after the IDR picture.
  while (server.currentFrame() < 60) await new Promise((resolve) => setTimeout(resolve, 50));
  await recordPresented(page);
  await page.goto(`${appUrl}?src=${encodeURIComponent(server.wsFramedUrl)}&renderer=mse`);
  await expect
    .poll(async () => (await presented(page)).mediaTimes.length, { timeout: 20_000 })
    .toBeGreaterThan(0);
  // 20 s of playing: twice past the point where the whole buffer went.
  await page.waitForTimeout(20_000);
  const times = (await presented(page)).mediaTimes;
  expect(times.length).toBeGreaterThan(20 * 30 * 0.8);
  expect(times[times.length - 1]! - times[0]!).toBeGreaterThan(18);
  const buffered = await page.evaluate(() => {
    const v = document.querySelector('video');
    return v && v.buffered.length > 0
      ? [v.buffered.start(0), v.buffered.end(v.buffered.length - 1)]
      : [];
  });
  // Trimmed: 4 to 15 s behind (anchors 10 s or more apart).
  expect(buffered[1]! - buffered[0]!).toBeLessThan(17);
  const state = await debug(page);
  expect(state.errors).toEqual([]);
  expect((state.stats as { renderer?: { kind: string } }).renderer?.kind).toBe('mse');
});

test('webcodecs renderer from the worker: stopping the session releases the track', async ({
  page,
  appUrl,
}) => {
  server = await startStreamServer({ file: P01, fps: 30 });
  await recordPresented(page);
  await page.goto(`${appUrl}?src=${encodeURIComponent(server.wsFramedUrl)}&renderer=webcodecs`);
  await expect
    .poll(async () => (await presented(page)).mediaTimes.length, { timeout: 20_000 })
    .toBeGreaterThan(10);
  const track = await page.evaluate(() => {
    const video = document.querySelector('video');
    const stream = video?.srcObject;
    return stream instanceof MediaStream ? stream.getVideoTracks()[0]?.readyState : undefined;
  });
  expect(track).toBe('live');
  // A file dropped in its place ends the live session (the page closes it).
  await page.locator('input[type=file]').setInputFiles(P01);
  await expect
    .poll(() => page.evaluate(() => document.querySelector('video')?.srcObject ?? null))
    .toBeNull();
  await expect
    .poll(async () => (await debug(page)).state, { timeout: 20_000 })
    .toMatch(/playing|ended/);
});

test('the default renderer of a live stream in Chromium is WebCodecs from the worker; files stay MSE', async ({
  page,
  appUrl,
}) => {
  server = await startStreamServer({ file: P01, fps: 30 });
  await recordPresented(page);
  await page.goto(`${appUrl}?src=${encodeURIComponent(server.wsFramedUrl)}`);
  await expect
    .poll(async () => (await presented(page)).mediaTimes.length, { timeout: 20_000 })
    .toBeGreaterThan(10);
  const live = (await debug(page)).stats as unknown as {
    renderer: { kind: string; output: string };
    player: unknown;
  };
  expect(live.renderer).toMatchObject({ kind: 'webcodecs', output: 'track' });
  expect(live.player).toBeUndefined();
  await expect(page.locator('#stats')).toContainText('WebCodecs from the worker');
  await page.locator('input[type=file]').setInputFiles(P01);
  await expect
    .poll(async () => ((await debug(page)).stats as unknown as { player?: unknown }).player, {
      timeout: 20_000,
    })
    .toBeDefined();
  expect(((await debug(page)).stats as unknown as { renderer?: unknown }).renderer).toBeUndefined();
});

/** Counts the WebSockets the page itself opens (the worker's are not the page's). */
async function countPageSockets(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const Native = window.WebSocket;
    const counter = { opened: 0 };
    (window as unknown as { __sockets: { opened: number } }).__sockets = counter;
    window.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        counter.opened++;
      }
    };
  });
}

function pageSockets(page: Page): Promise<number> {
  return page.evaluate(
    () => (window as unknown as { __sockets: { opened: number } }).__sockets.opened,
  );
}

/** Counts the page's own fetches of `url` (the worker's are not the page's). */
async function countPageFetches(page: Page, url: string): Promise<void> {
  await page.addInitScript((watched) => {
    const native = window.fetch.bind(window);
    const counter = { fetched: 0 };
    (window as unknown as { __fetches: { fetched: number } }).__fetches = counter;
    window.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
      const href = input instanceof Request ? input.url : String(input);
      if (href === watched) counter.fetched++;
      return native(input, init);
    };
  }, url);
}

function pageFetches(page: Page): Promise<number> {
  return page.evaluate(
    () => (window as unknown as { __fetches: { fetched: number } }).__fetches.fetched,
  );
}

async function painted(page: Page): Promise<number> {
  const stats = (await debug(page)).stats as unknown as
    { renderer?: { painted: number } } | undefined;
  return stats?.renderer?.painted ?? 0;
}

async function expectPaintedAdvance(page: Page, count: number): Promise<void> {
  const start = await painted(page);
  await expect.poll(() => painted(page), { timeout: 15_000 }).toBeGreaterThanOrEqual(start + count);
}

for (const transport of ['http', 'ws'] as const) {
  test(`webcodecs from the worker reads live ${transport} there too, and reconnects after a server restart`, async ({
    page,
    appUrl,
  }) => {
    server = await startStreamServer({ file: P01, fps: 30, randomChunks: true, seed: 5 });
    const src = transport === 'http' ? server.httpUrl : server.wsUrl;
    await countPageSockets(page);
    await countPageFetches(page, src);
    await page.goto(`${appUrl}?src=${encodeURIComponent(src)}`);
    await expectPaintedAdvance(page, 30);
    // The connection is the worker's: the page opened none.
    expect(await pageSockets(page)).toBe(0);
    expect(await pageFetches(page)).toBe(0);
    expect(
      ((await debug(page)).stats as unknown as { bytesReceived: number }).bytesReceived,
    ).toBeGreaterThan(10_000);
    await restartAndReconnect(page, server);
    await expectPaintedAdvance(page, 45);
    const state = await debug(page);
    expect(state.errors).toEqual([]);
    expect(state.state).toBe('playing');
    expect(await pageSockets(page)).toBe(0);
    expect(await pageFetches(page)).toBe(0);
    await expect(page.locator('#stats')).toContainText('Reconnects');
  });

  test(`webcodecs from the worker: a ${transport} server not up yet -> error shown, retried, plays once it is up`, async ({
    page,
    appUrl,
  }) => {
    server = await serverUpLate(page, appUrl, transport);
    await expectPaintedAdvance(page, 30);
    await expectRecovered(page);
  });
}

test("webcodecs from the worker: bytes that are not H.264 end playback with the transmuxer's error", async ({
  page,
  appUrl,
}) => {
  // An MP4 file sent as a live WebSocket stream (a wrong URL or a misconfigured camera).
  const dir = mkdtempSync(join(tmpdir(), 'h264mux-e2e-'));
  const mp4 = join(dir, 'clip.mp4');
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-r', '30', '-i', P01, '-c', 'copy', mp4]);
  expect(r.status, String(r.stderr)).toBe(0);
  const bytes = readFileSync(mp4);
  rmSync(dir, { recursive: true, force: true });
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (socket) => {
    let sent = 0;
    const timer = setInterval(() => {
      if (socket.readyState !== socket.OPEN || sent > 8 * 1024 * 1024) {
        clearInterval(timer);
        return;
      }
      const at = sent % bytes.length;
      const chunk = bytes.subarray(at, Math.min(bytes.length, at + 65_536));
      socket.send(chunk);
      sent += chunk.length;
    }, 5);
    socket.on('close', () => clearInterval(timer));
  });
  try {
    const address = wss.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await page.goto(`${appUrl}?src=${encodeURIComponent(`ws://127.0.0.1:${port}/stream`)}`);
    await expect.poll(async () => (await debug(page)).state, { timeout: 20_000 }).toBe('error');
    expect((await debug(page)).errors.map((e) => e.code)).toEqual(['NOT_H264']);
    await expect(page.locator('#error-title')).toHaveText('Not an H.264 stream');
  } finally {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
});

interface Lateness {
  late: number;
  skipped: number;
  painted: number;
}

async function lateness(page: Page): Promise<Lateness> {
  const stats = (await debug(page)).stats as unknown as { renderer: Lateness };
  const { late, skipped, painted } = stats.renderer;
  return { late, skipped, painted };
}

for (const transport of ['http', 'ws-au'] as const) {
  test(`webcodecs from the worker, live ${transport}: the worker reads the stream, so a page blocked for 1.5 s shows every frame on time`, async ({
    page,
    appUrl,
  }) => {
    server = await startStreamServer({ file: P01, fps: 30, randomChunks: true, seed: 21 });
    const src = transport === 'http' ? server.httpUrl : server.wsFramedUrl;
    await countPageFetches(page, src);
    await countPageSockets(page);
    await page.goto(`${appUrl}?src=${encodeURIComponent(src)}`);
    // Past the start (the settling second, the page's bundle taking the session over), where a loaded
    // machine shows late frames of its own.
    await expectPaintedAdvance(page, 45);
    // The stream is the worker's: the page neither fetched it nor opened a socket.
    expect(await pageFetches(page)).toBe(0);
    expect(await pageSockets(page)).toBe(0);
    // The control: as long a window with the page free, for what the machine's load costs anyway.
    const control = await lateness(page);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await expectPaintedAdvance(page, 15);
    const before = await lateness(page);
    // The page's main thread is blocked (as by a long task: the page's own startup, a heavy page),
    // here by a synchronous request answered after 1.5 s, which takes no CPU from the worker. A source
    // read by the page would hand the worker nothing meanwhile, then a burst of late frames.
    const slow = createServer((_req, res) => {
      setTimeout(() => res.writeHead(200, { 'Access-Control-Allow-Origin': '*' }).end('ok'), 1500);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', () => resolve()));
    try {
      const address = slow.address();
      const slowUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
      await page.evaluate((url) => {
        const xhr = new XMLHttpRequest();
        xhr.open('GET', url, false);
        xhr.send();
      }, slowUrl);
    } finally {
      slow.closeAllConnections();
      slow.close();
    }
    await expectPaintedAdvance(page, 15);
    const after = await lateness(page);
    const missed = (from: Lateness, to: Lateness): number =>
      to.late - from.late + (to.skipped - from.skipped);
    console.log(
      `live ${transport}, page blocked 1.5 s: painted ${after.painted - before.painted}, late or skipped ${missed(before, after)}; page free as long: ${missed(control, before)}`,
    );
    // 1.5 s at 30 fps: 45 frames painted meanwhile. A source read by the page left 20 of them unpainted
    // (measured: 25 of 45), which the painted count catches, and as many skipped. Read in the worker,
    // the block costs nothing: none late or skipped on a quiet machine (0 and 5 seen), and under load
    // as many as in the window before it with the page free (2 cores and 3 software decodes beside
    // it: 1-17 blocked, 6-18 free; in CI, with another engine decoding beside it, 75 and 27 were seen
    // against a fixed bound): up to 15 more pass.
    expect(after.painted - before.painted).toBeGreaterThanOrEqual(45);
    expect(missed(before, after)).toBeLessThanOrEqual(missed(control, before) + 15);
    expect((await debug(page)).errors).toEqual([]);
  });
}

test('webcodecs from the worker: an HTTP URL that is a file (Content-Length) is read by the page and plays to the end through MSE', async ({
  page,
  appUrl,
}) => {
  server = await startStreamServer({ file: P01, fps: 30 });
  await countPageFetches(page, server.fileUrl);
  await page.goto(`${appUrl}?rate=4&src=${encodeURIComponent(server.fileUrl)}`);
  await expect.poll(async () => (await debug(page)).state, { timeout: 20_000 }).toBe('ended');
  const state = await debug(page);
  expect(state.errors).toEqual([]);
  const stats = state.stats as unknown as {
    live: boolean;
    framesMuxed: number;
    renderer?: unknown;
    player?: unknown;
  };
  expect(stats).toMatchObject({ live: false, framesMuxed: 150 });
  expect(stats.renderer).toBeUndefined();
  expect(stats.player).toBeDefined();
  // The worker asked first and let the file go after its headers; the page then read it.
  expect(await pageFetches(page)).toBe(1);
  expect(await page.evaluate(() => document.querySelector('video')?.srcObject ?? null)).toBeNull();
});

/** Counts the media element load algorithm's runs on the page's <video>s (events that do not bubble). */
async function countVideoResets(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const counts = { loadstart: 0, emptied: 0 };
    (window as unknown as { __videoResets: typeof counts }).__videoResets = counts;
    for (const type of ['loadstart', 'emptied'] as const) {
      document.addEventListener(
        type,
        (event) => {
          if (event.target instanceof HTMLVideoElement) counts[type]++;
        },
        { capture: true },
      );
    }
  });
}

function videoResets(page: Page): Promise<{ loadstart: number; emptied: number }> {
  return page.evaluate(
    () =>
      (window as unknown as { __videoResets: { loadstart: number; emptied: number } })
        .__videoResets,
  );
}

for (const transport of ['http', 'ws'] as const) {
  test(`webcodecs from the worker, live ${transport}: the page's first script opens the stream while the bundle loads, and the player takes that connection over`, async ({
    page,
    appUrl,
  }) => {
    server = await startStreamServer({ file: P01, fps: 30, randomChunks: true, seed: 31 });
    const src = transport === 'http' ? server.httpUrl : server.wsUrl;
    await countPageSockets(page);
    await countPageFetches(page, src);
    await countVideoResets(page);
    await page.goto(`${appUrl}?src=${encodeURIComponent(src)}`);
    await expectPaintedAdvance(page, 30);
    const state = await debug(page);
    expect(state.errors).toEqual([]);
    expect(state.state).toBe('playing');
    expect(state.stats?.early).toBe('renderer');
    // The <video> played the early track from the first frame and was never reset (a MediaSource
    // given to it runs the load algorithm: `emptied`, and the picture froze while the bundle started).
    expect(await videoResets(page)).toEqual({ loadstart: 1, emptied: 0 });
    // One connection in all: the one the worker opened before the player existed.
    expect(server.connections).toBe(1);
    expect(await pageSockets(page)).toBe(0);
    expect(await pageFetches(page)).toBe(0);
  });
}

for (const transport of ['http', 'ws'] as const) {
  test(`webcodecs from the worker, live ${transport}: a page that plays the early stream another way (its fps) gets it from the first frame, at its rate`, async ({
    page,
    appUrl,
  }) => {
    // Every connection starts at the stream's first frame; `sent` counts the frames sent.
    let sent = 0;
    server = await startStreamServer({
      file: P01,
      fps: 30,
      clock: 'per-client',
      onFrameSent: () => sent++,
    });
    const src = transport === 'http' ? server.httpUrl : server.wsUrl;
    // The page's first script starts the worker on the stream with the player's defaults; this
    // player's transmuxer times it at 25 fps instead, so it does not take that session over.
    await page.goto(`${appUrl}?fps=25&src=${encodeURIComponent(src)}`);
    await expectPaintedAdvance(page, 30);
    const sentBefore = sent;
    const state = await debug(page);
    expect(state.errors).toEqual([]);
    expect(state.stats?.info?.fps).toBe(25);
    expect(state.stats?.early).toBe('source');
    expect(server.connections).toBe(1);
    // Its transmuxer saw the connection's bytes from the first (the early session had used them):
    // every frame sent, but those on the way (the page's figures are sampled twice a second: measured
    // once, 39 muxed for 41 sent).
    await expect
      .poll(async () => (await debug(page)).stats?.framesMuxed ?? 0, { timeout: 2000 })
      .toBeGreaterThanOrEqual(sentBefore - 2);
  });
}

test("webcodecs from the worker: a first frame decoded before the page's load event is shown at that event, not one frame later", async ({
  page,
  appUrl,
}) => {
  // A camera sending a frame every 4 s, and a page whose stylesheet comes 1.5 s late: the worker
  // writes the first frame to the early track long before the page gives that track to its <video>
  // (at the load event, vite.config.ts). Frames written to a track nobody plays are lost: the
  // picture came only with the camera's next frame, seconds after the load event.
  server = await startStreamServer({ file: P01, fps: 0.25, clock: 'per-client' });
  await page.route('**/*.css', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await route.continue();
  });
  await page.addInitScript(() => {
    const w = window as unknown as { __loadAt?: number; __shownAt?: number };
    addEventListener('load', () => (w.__loadAt = performance.now()));
    const watch = (): void => {
      const video = document.querySelector('video');
      if (!video) {
        requestAnimationFrame(watch);
        return;
      }
      video.requestVideoFrameCallback(() => (w.__shownAt ??= performance.now()));
    };
    requestAnimationFrame(watch);
  });
  await page.goto(`${appUrl}?src=${encodeURIComponent(server.httpUrl)}`);
  const times = (): Promise<{ loadAt: number | undefined; shownAt: number | undefined }> =>
    page.evaluate(() => {
      const w = window as unknown as { __loadAt?: number; __shownAt?: number };
      return { loadAt: w.__loadAt, shownAt: w.__shownAt };
    });
  await expect.poll(async () => (await times()).shownAt, { timeout: 10_000 }).toBeDefined();
  const { loadAt, shownAt } = await times();
  console.log(
    `first frame shown ${((shownAt ?? NaN) - (loadAt ?? NaN)).toFixed(0)} ms after the load event`,
  );
  expect(loadAt).toBeGreaterThan(1400);
  // Shown at the load event, not at the next frame (measured without the rewrite: 3.85 s after it).
  expect((shownAt ?? Infinity) - (loadAt ?? 0)).toBeLessThan(1000);
  expect((await debug(page)).stats?.early).toBe('renderer');
});

test('the early connection is not made when the page will read the stream itself (renderer=mse)', async ({
  page,
  appUrl,
}) => {
  server = await startStreamServer({ file: P01, fps: 30 });
  await page.goto(`${appUrl}?renderer=mse&src=${encodeURIComponent(server.wsUrl)}`);
  await expect
    .poll(async () => (await debug(page)).stats?.framesMuxed ?? 0, { timeout: 20_000 })
    .toBeGreaterThan(30);
  expect(server.connections).toBe(1);
  expect((await debug(page)).errors).toEqual([]);
  expect((await debug(page)).stats?.early).toBeUndefined();
});

test("a live page's startup script holds no transmuxer: the worker runs it, a file loads it on demand", async ({
  page,
  appUrl,
}) => {
  server = await startStreamServer({ file: P01, fps: 30 });
  await page.goto(`${appUrl}?src=${encodeURIComponent(server.httpUrl)}`);
  await expect
    .poll(async () => (await debug(page)).stats?.framesMuxed ?? 0, { timeout: 20_000 })
    .toBeGreaterThan(5);
  const scripts = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .map((e) => e.name)
      .filter((name) => name.endsWith('.js')),
  );
  const entry = scripts.find((name) => /\/index-[^/]*\.js$/.test(name));
  expect(entry, scripts.join(', ')).toBeDefined();
  const startup = await (await page.request.get(entry ?? '')).text();
  // The transmuxer's own message (src/core/transmuxer.ts), and the slice-data walker's.
  expect(startup).not.toContain('does not look like a raw H.264');
  expect(startup).not.toContain('read past the end of the slice data');
  // Nothing on the page loaded the core for this stream.
  expect(scripts.filter((name) => /\/(core|transmux-service)-[^/]*\.js$/.test(name))).toEqual([]);
});
