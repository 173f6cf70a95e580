// A live camera that does not keep its stream's timeline, in every engine. Raw H.264 carries no capture
// times: p02 (a Pi stream, no timing info) is timed on an assumed 30 fps grid, and a raspivid camera
// set to 25 or 50 fps sends it at that rate. Played on the media timeline, Chromium showed 53 of a 50
// fps camera's 250 frames in 5 s (WebCodecs: the rest skipped to catch up) and stalled 75 times in 5 s
// on a 25 fps one (MSE: 50 of 125 frames shown). The playout now follows the source's pace
// (src/player/source-pace.ts) and says so (SOURCE_PACE). Asserted as a viewer sees it, over 5 s once
// the pace is found: nearly every frame sent is shown, with no stall; a camera on its timeline is left
// alone.
import { join } from 'node:path';
import { FIXTURES } from '../support/fixtures.js';
import { startStreamServer } from '../support/stream-server.mjs';
import type { StreamServer } from '../support/stream-server.mjs';
import { expect, test } from './harness.js';
import { openWatched } from './playback.js';

const P01 = join(FIXTURES, 'p01_pi_baseline_vga30_inline.h264');
const P02 = join(FIXTURES, 'p02_pi_baseline_vga30_notiming.h264');

let server: StreamServer | undefined;
test.afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface Figures {
  state: string;
  errors: string[];
  warnings: { code: string; message: string }[];
  kind: string;
  painted: number;
  stalls: number;
  pace: number;
  targetMs: number;
  jitterMs: number;
}

function figures(): Figures | undefined {
  const hook = (
    window as unknown as {
      __h264mux?: {
        state: string;
        errors: { code: string }[];
        warnings: { code: string; message: string }[];
        stats?: {
          renderer?: {
            kind: string;
            painted: number;
            stalls: number;
            sourcePace: number;
            targetDelayMs: number;
            jitterMs: number;
          };
        };
      };
    }
  ).__h264mux;
  const r = hook?.stats?.renderer;
  if (!hook || !r) return undefined;
  return {
    state: hook.state,
    errors: hook.errors.map((e) => e.code),
    warnings: hook.warnings.map((w) => ({ code: w.code, message: w.message })),
    kind: r.kind,
    painted: r.painted,
    stalls: r.stalls,
    pace: r.sourcePace,
    targetMs: r.targetDelayMs,
    jitterMs: r.jitterMs,
  };
}

const CASES = [
  { sent: 50, renderer: 'auto', paced: true },
  { sent: 25, renderer: 'mse', paced: true },
  { sent: 30, renderer: 'auto', paced: false },
] as const;

for (const { sent, renderer, paced } of CASES) {
  test(`a ${sent} fps camera on an assumed 30 fps timeline, renderer ${renderer}: every frame shown, no stall`, async ({
    browserSession,
    engine,
    origin,
  }, testInfo) => {
    // WebKitGTK's MSE plays at 1x whatever playbackRate says (src/player/live-latency.ts): a slower
    // source cannot be followed there; its default renderer (the canvas) follows it.
    test.skip(engine === 'webkit' && renderer === 'mse', 'WebKitGTK MSE ignores playbackRate');
    testInfo.setTimeout(60_000);
    server = await startStreamServer({ file: P02, fps: sent, loop: true });
    const query = `?src=${encodeURIComponent(server.httpUrl)}${renderer === 'mse' ? '&renderer=mse' : ''}`;
    await openWatched(browserSession, origin, query);
    await browserSession.waitFor(
      () => (window as unknown as { __h264mux?: { state: string } }).__h264mux?.state === 'playing',
      { timeoutMs: 20_000, what: 'playing' },
    );
    // The pace is found within about 3 s of the first frame (1 s of joining, 2 s of arrivals).
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const before = await browserSession.evaluate(figures);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const after = await browserSession.evaluate(figures);
    console.log(
      `${browserSession.version} ${sent} fps sent, ${renderer}: ${JSON.stringify({ before, after })}`,
    );
    if (!before || !after) throw new Error('no renderer figures');
    expect(after.errors).toEqual([]);
    expect(after.stalls - before.stalls).toBeLessThanOrEqual(1);
    // Before, 50 fps: 53-71 of 250 in every engine (21-28 %). Now 250 or more alone; WebKitGTK's canvas
    // showed 151 while another browser decoded 4K beside it (the suite runs two engines at once).
    expect(after.painted - before.painted).toBeGreaterThanOrEqual(0.5 * 5 * sent);
    const told = after.warnings.filter((w) => w.code === 'SOURCE_PACE');
    if (paced) {
      expect(after.pace).toBeCloseTo(sent / 30, 1);
      // Told with the rate first measured: within 2 % of the camera's.
      const said =
        /The stream arrives at ([\d.]+) frames a second, not the 30 fps assumed \(it has no timing info\)/.exec(
          told.map((w) => w.message).join(),
        );
      expect(Math.abs(Number(said?.[1]) - sent)).toBeLessThanOrEqual(0.02 * sent);
    } else {
      // Left alone: within the fit's jitter (WebKitGTK with 190 ms of jitter on a loaded machine:
      // 1.003), far from the 5 % a SOURCE_PACE takes.
      expect(Math.abs(after.pace - 1)).toBeLessThan(0.01);
      expect(told).toEqual([]);
    }
  });
}

// A camera whose frames are lost on the way while the timeline goes on after the last frame shown, so
// every later frame comes later than the earlier ones say: its connection drops and comes back (Wi-Fi;
// here each connection ends after p01's 5 s and the next starts 0.25-0.4 s later), or it pauses and
// drops what it held (here 9 frames, 0.3 s, before every fifth keyframe, on one connection). Before,
// that step was taken for jitter and for a slower camera: in Chromium the target delay rose to 270 ms
// and stayed (MSE: 345 ms), with a false SOURCE_PACE of 0.95 ("set ?fps=28.5").
const LOSSES = [
  { what: 'reconnects every 5 s', loop: false, lose: undefined },
  { what: 'loses 0.3 s of frames every 5 s', loop: true, lose: { every: 150, frames: 9 } },
] as const;
for (const { what, loop, lose } of LOSSES) {
  for (const renderer of ['auto', 'mse'] as const) {
    test(`a camera that ${what}, renderer ${renderer}: no false pace, the delay stays the network's`, async ({
      browserSession,
      origin,
    }, testInfo) => {
      testInfo.setTimeout(60_000);
      server = await startStreamServer({ file: P01, fps: 30, loop, lose, clock: 'per-client' });
      const query = `?src=${encodeURIComponent(server.httpUrl)}${renderer === 'mse' ? '&renderer=mse' : ''}`;
      await openWatched(browserSession, origin, query);
      await browserSession.waitFor(
        () =>
          (window as unknown as { __h264mux?: { state: string } }).__h264mux?.state === 'playing',
        { timeoutMs: 20_000, what: 'playing' },
      );
      // Two losses, and 2 s after the second (a step within a connection is found after 1 s).
      await new Promise((resolve) => setTimeout(resolve, 12_500));
      const seen = await browserSession.evaluate(figures);
      console.log(`${browserSession.version} ${what}, ${renderer}: ${JSON.stringify(seen)}`);
      if (!seen) throw new Error('no renderer figures');
      expect(seen.errors).toEqual([]);
      if (!lose) expect(server.connections).toBeGreaterThanOrEqual(3);
      expect(seen.warnings.filter((w) => w.code === 'SOURCE_PACE')).toEqual([]);
      expect(Math.abs(seen.pace - 1)).toBeLessThan(0.01);
      // The step is no jitter: before, the estimator's jitter (p99 over 5 s) was the step's height
      // (262-303 ms), and the target delay with it (267-275 ms, MSE 345-390). What the jitter is now
      // depends on the machine (both engines and a suite share 2 cores).
      expect(seen.jitterMs).toBeLessThan(200);
    });
  }
}
