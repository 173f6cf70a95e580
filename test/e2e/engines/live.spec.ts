// A live stream (p01 sent in real time, writes cut at random byte positions) over chunked HTTP and over
// WebSocket plays in every engine: frames keep being presented, near the live edge, with no error.
import { join } from 'node:path';
import { FIXTURES } from '../support/fixtures.js';
import { encodeIntraRefresh, intraRefreshCamera } from '../support/intra-refresh.js';
import { startStreamServer } from '../support/stream-server.mjs';
import type { StreamServer } from '../support/stream-server.mjs';
import { expect, test } from './harness.js';
import { framesCounted } from './measure.js';
import { openWatched, readPlayback } from './playback.js';

const P01 = join(FIXTURES, 'p01_pi_baseline_vga30_inline.h264');

let server: StreamServer | undefined;
test.afterEach(async () => {
  await server?.close();
  server = undefined;
});

for (const transport of ['http', 'ws'] as const) {
  test(`live ${transport}: a real-time stream plays with frames presented and no error`, async ({
    browserSession,
    engine,
    origin,
  }) => {
    server = await startStreamServer({ file: P01, fps: 30, randomChunks: true, seed: 7 });
    const src = transport === 'http' ? server.httpUrl : server.wsUrl;
    await openWatched(browserSession, origin, `?renderer=mse&src=${encodeURIComponent(src)}`);
    const started = await browserSession.waitFor(
      () => {
        const w = window as unknown as { __probe: { presented: number } };
        return w.__probe.presented > 0 ? w.__probe.presented : 0;
      },
      { timeoutMs: 15_000, what: 'a first live frame presented' },
    );
    const first = await readPlayback(browserSession);
    // 90 frames of the stream (3 s) must reach the screen in at most 8 s.
    await browserSession.waitFor(
      (from: number) => {
        const w = window as unknown as { __probe: { presented: number } };
        return w.__probe.presented >= from + 90;
      },
      { timeoutMs: 8_000, what: '90 more live frames presented' },
      started,
    );
    const played = await readPlayback(browserSession);
    const stats = await browserSession.evaluate(() => {
      const hook = (
        window as unknown as {
          __h264mux: { stats?: { live: boolean; player?: { latency: number } } };
        }
      ).__h264mux;
      return { live: hook.stats?.live, latency: hook.stats?.player?.latency };
    });
    console.log(
      `${browserSession.version} live ${transport}: ${played.presentedFrames - started} frames presented ` +
        `(${(framesCounted(engine, played) ?? NaN) - (framesCounted(engine, first) ?? NaN)} counted), latency ${stats.latency?.toFixed(2)} s`,
    );
    expect(played.errors).toEqual([]);
    // At the live edge the element may be waiting for the next frame at the moment of reading.
    expect(['playing', 'buffering']).toContain(played.state);
    expect(played.mediaError).toBeNull();
    expect(stats.live).toBe(true);
    expect(played.size).toBe('640x480');
    // New frames, not one frame presented again: mediaTime moved on by at least 1.5 s (the 90 frames are 3 s).
    expect(played.lastMediaTime - first.lastMediaTime).toBeGreaterThan(1.5);
    expect(stats.latency ?? Infinity).toBeLessThan(1.5);
  });
}

/** Whether the page's renderer has shown more than `frames` frames (its stats' painted count). */
function shownMoreThan(frames: number): boolean {
  const w = window as unknown as { __h264mux?: { stats?: { renderer?: { painted: number } } } };
  return (w.__h264mux?.stats?.renderer?.painted ?? 0) > frames;
}

for (const renderer of ['auto', 'mse'] as const) {
  test(`a periodic-intra-refresh camera joined after its one IDR picture plays (renderer ${renderer})`, async ({
    browserSession,
    origin,
  }, testInfo) => {
    // p17 (x264 --intra-refresh: one IDR picture, then recovery points on P pictures every 30 frames),
    // looped as a camera, joined between two recovery points. Chromium refused to start its decoder at
    // such a P picture, and MSE in Chromium and Firefox starts only at an IDR picture: a start picture
    // goes first (src/core/h264/added-pictures.ts).
    testInfo.setTimeout(60_000);
    const live = (server = await intraRefreshCamera());
    const joined = live.currentFrame();
    const query = `?src=${encodeURIComponent(live.wsUrl)}${renderer === 'mse' ? '&renderer=mse' : ''}`;
    await openWatched(browserSession, origin, query);
    await browserSession.waitFor(
      shownMoreThan,
      { timeoutMs: 15_000, what: 'a first frame shown' },
      0,
    );
    // From a recovery point: before the loop's next IDR picture (130 frames or more after the join).
    expect(live.currentFrame() - joined).toBeLessThan(110);
    await browserSession.waitFor(shownMoreThan, { timeoutMs: 15_000, what: '60 frames shown' }, 60);
    const played = await readPlayback(browserSession);
    expect(played.errors).toEqual([]);
    const kind = await browserSession.evaluate(
      () =>
        (window as unknown as { __h264mux?: { stats?: { renderer?: { kind: string } } } }).__h264mux
          ?.stats?.renderer?.kind,
    );
    if (renderer === 'mse') expect(kind).toBe('mse');
  });
}

test('a camera with periodic intra refresh and no later IDR picture plays on through MSE, its buffer trimmed', async ({
  browserSession,
  origin,
}, testInfo) => {
  // One IDR picture, at the camera's start, then recovery points on P pictures. The back buffer is
  // trimmed at the transmuxer's anchors (TransmuxerOptions.anchorInterval), random access points every
  // engine takes: Chromium took no recovery point on a P picture for one, and lost its whole buffer
  // at the first trim (test/e2e/webcodecs.spec.ts); here the other engines, 20 s of playing.
  testInfo.setTimeout(90_000);
  const file = testInfo.outputPath('intra-refresh-60s.h264');
  encodeIntraRefresh(file, 60);
  const live = (server = await startStreamServer({ file, fps: 30, loop: true }));
  while (live.currentFrame() < 60) await new Promise((resolve) => setTimeout(resolve, 50));
  await openWatched(browserSession, origin, `?renderer=mse&src=${encodeURIComponent(live.wsUrl)}`);
  await browserSession.waitFor(
    shownMoreThan,
    { timeoutMs: 15_000, what: 'a first frame shown' },
    0,
  );
  await new Promise((resolve) => setTimeout(resolve, 20_000));
  // 20 s is 600 frames; a loaded engine shows fewer, a stopped one about 150.
  await browserSession.waitFor(shownMoreThan, { timeoutMs: 5_000, what: '450 frames shown' }, 450);
  const buffered = await browserSession.evaluate(() => {
    const v = document.querySelector('video');
    return v && v.buffered.length > 0
      ? v.buffered.end(v.buffered.length - 1) - v.buffered.start(0)
      : 0;
  });
  // Anchors 10 s or more apart, 4 s kept: 4 to 15 s.
  expect(buffered).toBeGreaterThan(0);
  expect(buffered).toBeLessThan(17);
  expect((await readPlayback(browserSession)).errors).toEqual([]);
});
