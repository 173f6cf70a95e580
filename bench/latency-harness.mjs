// The measuring core of the latency benchmark (bench/latency.mjs, its soak mode bench/latency-soak.mjs):
// a test stream whose frames carry their own number as a barcode, the probe that reads it in the page
// when a frame is presented, the log of when the server sent each frame, the page run, and the figures
// made from them. One core for every path (direct, through the relay, jmuxer), renderer and engine.
//
// ## Contract with a renderer
//
// MSE (ours, jmuxer): frames show in the page's first `<video>`. The probe reads the barcode in
// `requestVideoFrameCallback`, and takes `metadata.presentationTime` as the presentation time: when
// the compositor was handed the frame ("submitted for composition").
//
// WebCodecs (ours, `?renderer=webcodecs`): the renderer paints into a `<canvas>` in the page. After each
// paint it dispatches, on that canvas, synchronously:
//
//   canvas.dispatchEvent(new CustomEvent('h264mux:frame', { bubbles: true, detail: {
//     mediaTime,  // s, the frame's presentation timestamp in the stream
//     paintedAt,  // performance.now() when the paint call returned
//     dueAt,      // performance.now() at which the frame was due (its playout time)
//   } }));
//
// The probe listens on `document`, reads the barcode from the event's target canvas in the handler
// (the pixels of the paint just made, before the page returns to the event loop, so a WebGL canvas
// without preserveDrawingBuffer still holds them) and takes `paintedAt` as the presentation time:
// the paint hands the frame to the compositor, which is the moment rVFC's presentationTime names for a
// `<video>`, so the two renderers are measured to the same point. A page asked for
// `?renderer=webcodecs` whose first frame shows in the `<video>` instead, with no `h264mux:frame`
// event, has no such renderer: its rows say "n/a (renderer not available)".
//
// The renderer's own counters, when it has them, are read from `window.__h264mux.stats.renderer`
// (`{ kind: 'webcodecs', late: number, skipped: number }`: frames painted more than a frame interval
// after `dueAt`, frames decoded but never painted) and printed beside the probe's figures. The probe
// counts late paints itself from `dueAt` too, so the figure exists whatever the renderer reports.
//
// ## Clocks
//
// The stream server records when each frame's last byte was handed to the socket, on Node's
// `performance.timeOrigin + performance.now()`; the page's times are `performance.timeOrigin + t` in
// the page. Both are the wall clock of one machine, so latency = presented - sent needs no sync.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Logged by the page at its first presented frame (see probeScript and firstFrame). */
export const FIRST_FRAME_MESSAGE = 'h264mux-bench:first-frame';

/** Barcode geometry: BITS boxes of BOX pixels in the top BAR rows of every frame. */
export const BITS = 11;
export const BOX = 40;
export const BAR = 24;
export const WIDTH = 640;
export const HEIGHT = 480;

/**
 * 640x480 Baseline at `fps`, `seconds` long, the frame number (mod 2^BITS) drawn in as a barcode.
 * -tune zerolatency, a keyframe every second.
 */
export function makeStream(dir, { seconds, fps }) {
  if (seconds * fps > 2 ** BITS)
    throw new Error(`a ${seconds} s clip at ${fps} fps outruns the barcode`);
  const boxes = Array.from(
    { length: BITS },
    (_, b) =>
      `drawbox=x=${b * BOX}:y=0:w=${BOX}:h=${BAR}:color=white:t=fill:enable='mod(floor(n/${2 ** b}),2)'`,
  );
  const filter = [`drawbox=x=0:y=0:w=${WIDTH}:h=${BAR}:color=black:t=fill`, ...boxes].join(',');
  const out = join(dir, `bench-${fps}fps.h264`);
  const r = spawnSync(
    'ffmpeg',
    [
      ...['-v', 'error', '-y', '-f', 'lavfi'],
      ...['-i', `testsrc2=size=${WIDTH}x${HEIGHT}:rate=${fps}`],
      ...['-t', String(seconds), '-vf', filter],
      ...['-c:v', 'libx264', '-profile:v', 'baseline', '-tune', 'zerolatency', '-g', String(fps)],
      ...['-f', 'h264', out],
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
  return out;
}

/**
 * Runs in every page before its own scripts (see the contract above). Records, in `window.__bench`:
 * every presented frame `{ n, presented, due, from, presentedFrames }` (wall-clock ms), the first
 * frame's time since navigation start, `waiting` events of the `<video>` while it plays after the
 * first frame, and visibility changes.
 */
export function probeScript({ bits, box, bar, width, firstFrameMessage }) {
  const w = /** @type {any} */ (window);
  const bench = {
    frames: [],
    firstFrameMs: undefined,
    firstFrameFrom: undefined,
    waiting: 0,
    canvasEvents: 0,
    visibility: [],
  };
  w.__bench = bench;
  /** Frames recorded since the last take (long runs drain them so that the page's heap stays flat). */
  w.__benchTake = () => {
    const frames = bench.frames;
    bench.frames = [];
    return frames;
  };
  const scratch = document.createElement('canvas');
  scratch.width = bits * box;
  scratch.height = bar;
  const ctx = scratch.getContext('2d', { willReadFrequently: true });
  /** The barcode of what `source` shows now; `sourceWidth`: its width in its own pixels. */
  const read = (source, sourceWidth) => {
    const scale = sourceWidth / width;
    // Cleared first: a source with nothing drawn must read as nothing, not as the previous frame.
    ctx.clearRect(0, 0, bits * box, bar);
    ctx.drawImage(source, 0, 0, bits * box * scale, bar * scale, 0, 0, bits * box, bar);
    const row = ctx.getImageData(0, bar >> 1, bits * box, 1).data;
    let n = 0;
    for (let b = 0; b < bits; b++) if (row[(b * box + (box >> 1)) * 4] > 128) n |= 1 << b;
    return n;
  };
  /** The barcode in an ImageBitmap (a snapshot's picture, see workerCalibration). */
  w.__benchReadBitmap = (bitmap) => read(bitmap, bitmap.width);
  /**
   * Whether `el` is rendered: a frame of a `<video>` or canvas in a subtree that is not (display:
   * none, content-visibility: hidden, `hidden`) was not seen, though the engine may still run its
   * video frame callbacks (Chromium does for a MediaStream).
   */
  const rendered = (el) => el.checkVisibility?.() ?? el.getClientRects().length > 0;
  const record = (frame, at) => {
    if (bench.firstFrameMs === undefined) {
      bench.firstFrameMs = at;
      bench.firstFrameFrom = frame.from;
      console.debug(firstFrameMessage);
    }
    bench.frames.push(frame);
  };
  document.addEventListener('h264mux:frame', (e) => {
    const canvas = e.target;
    if (!(canvas instanceof HTMLCanvasElement)) return;
    bench.canvasEvents++;
    if (!rendered(canvas)) return;
    const { paintedAt, dueAt, mediaTime, painter } = /** @type {CustomEvent} */ (e).detail;
    record(
      {
        // A canvas the worker paints is not read here: see attributeWorkerPaints.
        n: painter === 'worker' ? -1 : read(canvas, canvas.width),
        presented: performance.timeOrigin + paintedAt,
        due: performance.timeOrigin + dueAt,
        from: 'canvas',
        mediaTime,
        painter,
      },
      paintedAt,
    );
  });
  const attach = (video) => {
    video.addEventListener('waiting', () => {
      if (bench.firstFrameMs !== undefined && !video.paused) bench.waiting++;
    });
    const onFrame = (_now, meta) => {
      if (!rendered(video)) {
        video.requestVideoFrameCallback(onFrame);
        return;
      }
      record(
        {
          n: read(video, video.videoWidth || width),
          presented: performance.timeOrigin + meta.presentationTime,
          from: 'video',
          presentedFrames: meta.presentedFrames,
        },
        meta.presentationTime,
      );
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  };
  document.addEventListener('visibilitychange', () =>
    bench.visibility.push({ state: document.visibilityState, at: performance.now() }),
  );
  const find = () => {
    const video = document.querySelector('video');
    if (video) attach(video);
    else requestAnimationFrame(find);
  };
  find();
}

/** Arguments of probeScript for the bench stream. */
export const PROBE_ARGS = Object.freeze({
  bits: BITS,
  box: BOX,
  bar: BAR,
  width: WIDTH,
  firstFrameMessage: FIRST_FRAME_MESSAGE,
});

/**
 * Resolves at the page's first presented frame; call it before `page.goto`. It listens for the page's
 * console message rather than polling from the start: a driver's evaluation in the page takes some of
 * its main thread in the middle of the startup being measured (Playwright's `waitForFunction` took
 * ~25 ms). A message lost while the driver attaches to the page's new process is caught by a poll,
 * once a second from the first second on (the page's own clock times the frame, not this). Resolves
 * `false` after `timeout` ms without a frame.
 */
export function firstFrame(page, timeout = 15000) {
  return new Promise((resolve) => {
    const started = Date.now();
    let timer;
    const poll = async () => {
      const shown = await page
        .evaluate(() => window.__bench?.firstFrameMs !== undefined)
        .catch(() => false);
      if (shown) done(true);
      else if (Date.now() - started > timeout) done(false);
      else timer = setTimeout(poll, 1000);
    };
    timer = setTimeout(poll, 1000);
    const onConsole = (m) => {
      if (m.text() === FIRST_FRAME_MESSAGE) done(true);
    };
    let settled = false;
    const done = (shown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      page.off('console', onConsole);
      resolve(shown);
    };
    page.on('console', onConsole);
  });
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export const sortNumbers = (xs) => [...xs].sort((a, b) => a - b);

/** Pause before each measured page: the previous page's renderer shuts down in it, not mid-startup. */
export const SETTLE_MS = 1000;

export function settle(ms = SETTLE_MS) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Every frame the stream server sent to one client, in order: `k` counts frames since the client
 * connected (the clip may loop, so the file index `index` repeats).
 */
export class SendLog {
  constructor() {
    /** @type {number[]} */ this.index = [];
    /** @type {number[]} */ this.time = [];
    /** @type {number[]} */ this.due = [];
    /** @type {Map<number, number[]>} file index -> every k that sent it, ascending */
    this.byIndex = new Map();
  }

  add(index, time, due) {
    const k = this.time.length;
    this.index.push(index);
    this.time.push(time);
    this.due.push(due);
    const ks = this.byIndex.get(index);
    if (ks) ks.push(k);
    else this.byIndex.set(index, [k]);
  }

  /** The last send of file frame `index` at or before `at` (a presented frame), or -1. */
  lastSendBefore(index, at) {
    const ks = this.byIndex.get(index);
    if (!ks) return -1;
    for (let i = ks.length - 1; i >= 0; i--) if (this.time[ks[i]] <= at) return ks[i];
    return -1;
  }

  /** Send delays behind the frame clock (ms) of the frames due in [from, to]: the source's jitter. */
  jitter(from, to) {
    const out = [];
    for (let k = 0; k < this.time.length; k++)
      if (this.due[k] >= from && this.due[k] <= to) out.push(this.time[k] - this.due[k]);
    return out;
  }
}

/**
 * Routes the stream server's onFrameSent into one SendLog per client. `since()` / `newClients(mark)`
 * tell the connections a page opened from those that were already there (warm-up pages still
 * draining, the relay's upstream).
 */
export class SendLogs {
  constructor() {
    /** @type {Map<number, SendLog>} */ this.byClient = new Map();
    /** @type {Set<number>} clients done with, whose sends (a closing page's last frames) are ignored */
    this.forgotten = new Set();
  }

  /** For startStreamServer's `onFrameSent`. */
  get onFrameSent() {
    return (client, index, time, _transport, due) => {
      if (this.forgotten.has(client)) return;
      let log = this.byClient.get(client);
      if (!log) this.byClient.set(client, (log = new SendLog()));
      log.add(index, time, due);
    };
  }

  mark() {
    return new Set(this.byClient.keys());
  }

  /** Clients first heard of since `mark`. */
  newClients(mark) {
    return [...this.byClient.keys()].filter((id) => !mark.has(id));
  }

  forget(ids) {
    for (const id of ids) {
      this.byClient.delete(id);
      this.forgotten.add(id);
    }
  }
}

/**
 * A canvas the worker paints (`painter: 'worker'` in the event) is not read in the event: reading a
 * canvas whose control was transferred waits for the worker (Firefox 153: now and then 10 s, with the
 * worker blocked too), and a busy page would get to the event after a later paint. Such paints are
 * named by their media time instead, at the offset between barcode and media time that the page's
 * snapshots (taken in the worker, with the media time of the frame they show) agree on:
 * `calibration`, pairs `{ n, mediaTime }`. `misread`: snapshots that disagree with that offset.
 * The barcode is the frame's index in the clip, which loops every `loopFrames` frames while the media
 * time goes on.
 */
export function attributeWorkerPaints(frames, calibration, fps, loopFrames = 2 ** BITS) {
  const mod = loopFrames;
  const index = (mediaTime) => Math.round(mediaTime * fps);
  const votes = new Map();
  for (const c of calibration ?? []) {
    const offset = (((c.n - index(c.mediaTime)) % mod) + mod) % mod;
    votes.set(offset, (votes.get(offset) ?? 0) + 1);
  }
  const worker = (f) => f.painter === 'worker' && typeof f.mediaTime === 'number';
  if (!frames.some(worker)) return { frames, misread: 0 };
  const best = [...votes].sort((x, y) => y[1] - x[1])[0];
  // No snapshot: no worker paint can be named.
  if (!best) return { frames: frames.filter((f) => !worker(f)), misread: 0 };
  const [offset, agreed] = best;
  const named = frames.map((f) =>
    worker(f) ? { ...f, n: (index(f.mediaTime) + offset) % mod } : f,
  );
  return { frames: named, misread: (calibration?.length ?? 0) - agreed };
}

/**
 * The figures of one run from the page's presented frames and the sends of the connection it read.
 * Frames presented more than `windowMs` after the first are left out (the page ran a little longer).
 * A barcode misread (e.g. a frame blended by scaling) must not count as a late frame: a frame is
 * accepted only within a second of the run's own frame-versus-time line (median offset).
 */
export function analyse(painted, sends, { fps, windowMs, lateMs, calibration, loopFrames }) {
  const { frames, misread } = attributeWorkerPaints(painted, calibration, fps, loopFrames);
  const first = frames[0]?.presented ?? 0;
  const inWindow = frames.filter((f) => f.presented - first <= windowMs);
  /** @type {{ k: number, at: number, latency: number, late: boolean }[]} */
  const matched = [];
  let unidentified = 0;
  for (const f of inWindow) {
    const k = sends ? sends.lastSendBefore(f.n, f.presented) : -1;
    if (k < 0) {
      unidentified++;
      continue;
    }
    matched.push({
      k,
      at: f.presented - first,
      latency: f.presented - sends.time[k],
      late: f.due !== undefined && f.presented - f.due > lateMs,
    });
  }
  const offsets = sortNumbers(matched.map((x) => x.k - (x.at * fps) / 1000));
  const offset = offsets[offsets.length >> 1] ?? 0;
  const accepted = matched.filter((x) => Math.abs(x.k - (x.at * fps) / 1000 - offset) < fps);
  unidentified += matched.length - accepted.length;
  const latencies = sortNumbers(accepted.map((x) => x.latency));
  const ks = new Set(accepted.map((x) => x.k));
  const kMin = Math.min(...ks);
  const kMax = Math.max(...ks);
  const span = ks.size > 0 ? kMax - kMin + 1 : 0;
  // The probe may miss a frame the compositor did present (two frames within one rendering step):
  // rVFC's presentedFrames counts those, so they can be told apart from frames never shown.
  let probeMissed = 0;
  for (let i = 1; i < inWindow.length; i++) {
    const a = inWindow[i - 1]?.presentedFrames;
    const b = inWindow[i]?.presentedFrames;
    if (a !== undefined && b !== undefined && b - a > 1) probeMissed += b - a - 1;
  }
  const median = (xs) => percentile(sortNumbers(xs), 50);
  const early = accepted.filter((x) => x.at < 5000).map((x) => x.latency);
  const late = accepted.filter((x) => x.at > windowMs - 5000).map((x) => x.latency);
  // For --trace: the frames never seen, and the first ones seen (frame@ms after the first frame).
  const unseenFrames = [];
  for (let k = kMin; k <= kMax; k++) if (!ks.has(k)) unseenFrames.push(k);
  const firstSeen = accepted.slice(0, 16).map((x) => `${x.k}@${Math.round(x.at)}`);
  return {
    /** The page's frames with the worker's paints named (attributeWorkerPaints). */
    named: frames,
    unseenFrames,
    firstSeen,
    frames: latencies.length,
    distinct: ks.size,
    unseen: span - ks.size,
    span,
    probeMissed,
    unidentified,
    misread,
    latePaints: accepted.filter((x) => x.late).length,
    // Stalls: runs of late paints (a freeze and its catching up), as MSE's `waiting` is one per underrun.
    lateRuns: accepted.filter((x, i) => x.late && !accepted[i - 1]?.late).length,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    max: latencies.at(-1) ?? NaN,
    driftMs: median(late) - median(early),
    latencies,
  };
}

/** Pairs of barcode and media time from our page's snapshots, for attributeWorkerPaints. */
export async function workerCalibration(page, count = 3) {
  const pairs = [];
  for (let i = 0; i < count; i++) {
    const pair = await page
      .evaluate(async () => {
        const shot = await window.__h264mux.snapshot();
        const bitmap = await createImageBitmap(shot.png);
        return { n: window.__benchReadBitmap(bitmap), mediaTime: shot.mediaTime };
      })
      .catch(() => undefined);
    if (pair) pairs.push(pair);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return pairs;
}

/** What the renderer-kind wait gives for a page that is not ours (see runPage). */
const NOT_OURS = 'not ours';

/**
 * Opens `url` in a fresh browser context with the probe installed, waits for the first frame (at most
 * `firstFrameTimeout` ms), then `seconds` more; returns what the page recorded. `prepare(page)` runs
 * before the navigation (e.g. CPU throttling through a CDP session). `stopEarly(bench, rendererKind)`:
 * called at the first frame with the kind our page reports (`stats.renderer.kind`); true ends the run
 * there (a renderer that is not available). `firstOnly`: the page closes at its first frame, whose time
 * is all that is returned (`firstFrameMs`).
 */
export async function runPage(
  browser,
  url,
  { seconds, prepare, stopEarly, firstFrameTimeout, firstOnly = false },
) {
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    await page.evaluateOnNewDocument(probeScript, PROBE_ARGS);
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e instanceof Error ? e.message : String(e)));
    await prepare?.(page);
    const shown = firstFrame(page, firstFrameTimeout);
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    if (!(await shown)) {
      const state = await page.evaluate(() => {
        const v = document.querySelector('video');
        return {
          errors: window.__h264mux?.errors ?? [],
          state: window.__h264mux?.state,
          video: v && {
            readyState: v.readyState,
            currentTime: v.currentTime,
            paused: v.paused,
            error: v.error?.message,
          },
        };
      });
      return { shown: false, pageErrors, ...state };
    }
    if (firstOnly) {
      const firstFrameMs = await page.evaluate(() => window.__bench.firstFrameMs);
      return { shown: true, pageErrors, firstFrameMs };
    }
    let bench = await page.evaluate(() => window.__bench);
    // Our built page runs its bundle (and defines its hook) after the first frame of a live stream;
    // a page that is not ours (jmuxer's) has no player section.
    const rendererKind = await page
      .waitForFunction(
        // A page that is not ours (no player section) has none: a truthy marker (NOT_OURS, written
        // out: the function runs in the page) ends the wait.
        () =>
          window.__h264mux?.stats?.renderer?.kind ??
          (document.getElementById('player') ? false : 'not ours'),
        { timeout: 3000 },
      )
      .then((handle) => handle.jsonValue())
      .then((kind) => (kind === NOT_OURS ? '' : kind))
      .catch((error) => {
        console.log(`  (the page's renderer kind was not read: ${error?.message ?? error})`);
        return undefined;
      });
    if (!stopEarly?.(bench, rendererKind)) {
      await settle(seconds * 1000);
      bench = await page.evaluate(() => window.__bench);
    }
    const calibration = bench.frames.some((f) => f.painter === 'worker')
      ? await workerCalibration(page)
      : undefined;
    const end = await page.evaluate(() => {
      const q = document.querySelector('video')?.getVideoPlaybackQuality?.();
      const h = window.__h264mux;
      return {
        decoded: q?.totalVideoFrames ?? 0,
        dropped: q?.droppedVideoFrames ?? 0,
        stats: h?.stats ? JSON.parse(JSON.stringify(h.stats)) : undefined,
        errors: h?.errors ?? [],
      };
    });
    return { shown: true, pageErrors, bench, calibration, ...end };
  } finally {
    await context.close().catch(() => undefined);
  }
}
