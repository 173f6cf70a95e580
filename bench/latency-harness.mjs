// Shared by bench/latency.mjs and bench/serve-latency.mjs: a test stream whose frames carry their own
// number as a barcode, the in-page script that reads it at presentation time, and percentiles.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Logged by the page at its first presented frame (see measureScript and firstFrame). */
export const FIRST_FRAME_MESSAGE = 'h264mux-bench:first-frame';

/** Barcode geometry: BITS boxes of BOX pixels at the top of every frame. */
export const BITS = 11;
export const BOX = 40;

/** 640x480 Baseline 30 fps with the frame number drawn in, `seconds` long. */
export function makeStream(dir, seconds) {
  const boxes = Array.from(
    { length: BITS },
    (_, b) =>
      `drawbox=x=${b * BOX}:y=0:w=${BOX}:h=24:color=white:t=fill:enable='mod(floor(n/${2 ** b}),2)'`,
  );
  const filter = ['drawbox=x=0:y=0:w=640:h=24:color=black:t=fill', ...boxes].join(',');
  const out = join(dir, 'bench.h264');
  const r = spawnSync(
    'ffmpeg',
    [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=640x480:rate=30',
      '-t',
      String(seconds),
      '-vf',
      filter,
      '-c:v',
      'libx264',
      '-profile:v',
      'baseline',
      '-tune',
      'zerolatency',
      '-g',
      '30',
      '-f',
      'h264',
      out,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
  return out;
}

// Runs in every page before its scripts: hooks the first <video> and records presented frames.
export function measureScript({ bits, box }) {
  const w = /** @type {any} */ (window);
  w.__bench = { frames: [], firstFrameMs: undefined };
  const canvas = document.createElement('canvas');
  canvas.width = bits * box;
  canvas.height = 24;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const attach = (video) => {
    const onFrame = (_now, meta) => {
      ctx.drawImage(video, 0, 0, canvas.width, 24, 0, 0, canvas.width, 24);
      const data = ctx.getImageData(0, 0, canvas.width, 24).data;
      let n = 0;
      for (let b = 0; b < bits; b++) {
        const i = (12 * canvas.width + b * box + box / 2) * 4;
        if (data[i] > 128) n |= 1 << b;
      }
      const presented = performance.timeOrigin + meta.presentationTime;
      if (w.__bench.firstFrameMs === undefined) {
        w.__bench.firstFrameMs = meta.presentationTime;
        console.debug('h264mux-bench:first-frame');
      }
      w.__bench.frames.push({
        n,
        presented,
        expected: performance.timeOrigin + meta.expectedDisplayTime,
      });
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  };
  const find = () => {
    const video = document.querySelector('video');
    if (video) attach(video);
    else requestAnimationFrame(find);
  };
  find();
}

/**
 * Resolves at the page's first presented frame; call it before `page.goto`. It listens for the page's
 * console message instead of polling with `page.waitForFunction`, whose first call evaluates
 * Playwright's injected script in the page: ~25 ms of the page's main thread in the middle of its
 * startup, which delayed the first frame it was measuring.
 */
export function firstFrame(page, timeout = 15000) {
  return page.waitForEvent('console', {
    predicate: (m) => m.text() === FIRST_FRAME_MESSAGE,
    timeout,
  });
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** Pause before each measured page: the previous page's renderer shuts down in it, not mid-startup. */
export const SETTLE_MS = 1000;

export function settle() {
  return new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

/** Opens each run's page once, unmeasured: the first pages of a fresh browser pay for process start-up. */
export async function warmUp(browser, runs) {
  for (const run of runs) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(run.url);
    await page.waitForTimeout(1500);
    await context.close();
  }
}
