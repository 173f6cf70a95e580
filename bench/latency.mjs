// Latency benchmark (issue 12, "Measure"): sent -> presented for every frame, for every player path,
// renderer, condition and engine, in one run, with the targets checked.
//
//   npm run bench:latency [-- options]      BENCH_SECONDS=30 per run by default
//
//   --engine chromium,firefox        engines (default both; also webkit: WebKitGTK's MiniBrowser)
//   --condition idle,throttled,jitter conditions (default these three; Firefox has no CPU throttling)
//              busy              also: the page's main thread busy 50 ms in every 200 (a heavy page;
//                                every engine, where CPU throttling is Chromium's only)
//   --path http,ws,relay-http,relay-ws,jmuxer-http,jmuxer-ws[,ws-bytes]   (default all but ws-bytes)
//   --renderer mse,webcodecs         our renderers (default both; webcodecs-canvas: WebCodecs painted by
//                                    the page, which Chromium's `webcodecs` replaces by the worker's track)
//   --json out.json                  every figure, per-frame latencies excluded
//   --trace                          per-frame latencies of each run (first 400), the first frames
//                                    seen and the frames never seen
//   --timeline                       our page's startup milestones per run
//   --starts N                       time to first frame as the median of N cold page loads per row (the
//                                    measured run and N-1 more that end at the first frame): one load
//                                    varies by +-50 ms here, more than ours and jmuxer's differ (default 1)
//   --soak MINUTES                   long run at 60 fps and the hidden-tab check (bench/latency-soak.mjs)
//   BENCH_OURS_QUERY='&latency=0.02' extra page options for our player
//   BENCH_DIST=/path/to/dist         serve that build of the app (A/B against another checkout)
//
// How (the measuring core is bench/latency-harness.mjs, the servers and browsers bench/latency-rig.mjs):
// 1. ffmpeg makes a 640x480 Baseline 30 fps stream (testsrc2, -tune zerolatency, a keyframe a second)
//    with the frame number drawn as an 11-bit barcode in the top 24 rows.
// 2. test/e2e/support/stream-server.mjs sends it in real time, every client from frame 0 when it
//    connects, and records when each frame's last byte was handed to the socket. A second server
//    delays each frame by a random 0-40 ms (in order, seeded): the jitter condition. One
//    `h264mux serve --url` relay runs in front of each server for the relay paths.
// 3. Each run opens one page in a fresh browser context; the probe reads the barcode of each presented
//    frame (rVFC on the <video>; the `h264mux:frame` event of the WebCodecs renderer's canvas).
// 4. Latency of frame n = presented(n) - sent(n) on the machine's wall clock. Time to first frame =
//    first presentation - navigation start.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { nowMs } from '../test/e2e/support/stream-server.mjs';
import {
  analyse,
  percentile,
  runPage,
  settle,
  SETTLE_MS,
  sortNumbers,
} from './latency-harness.mjs';
import { appDir, ENGINES, JITTER_MS, PATHS, RENDERERS, startRig } from './latency-rig.mjs';
import { soak } from './latency-soak.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const FPS = 30;
const FRAME_MS = 1000 / FPS;
const FIRST_FRAME_TIMEOUT_MS = 15000;
/** Per run beyond BENCH_SECONDS: the settle pause, start-up to the first frame, closing (estimate). */
const RUN_OVERHEAD_S = SETTLE_MS / 1000 + 3;
/** Per extra cold start (--starts): the settle pause, the load, closing (estimate). */
const START_S = SETTLE_MS / 1000 + 2;

/** The targets of issue 12. */
const TARGETS = {
  droppedPct: 0.5,
  stallsPerMin: 1,
  firstFrameMs: 250,
  /** Idle, plain HTTP (and unframed WebSocket) from any server: one frame interval + this. */
  httpOverFrameMs: 30,
  /** Idle, access-unit-framed WebSocket (ours or the relay's) and the relay's HTTP (its delimiter). */
  framedMs: 40,
  /** Jitter: p95 <= the source's p99 jitter + one frame interval + this. */
  jitterOverMs: 20,
};

/** The busy page: its main thread runs BUSY_MS of script every BUSY_EVERY_MS. */
const BUSY_MS = 50;
const BUSY_EVERY_MS = 200;

const CONDITIONS = {
  idle: { label: 'idle', source: 'plain', throttle: 0 },
  throttled: { label: 'CPU 4x', source: 'plain', throttle: 4 },
  jitter: { label: `jitter 0-${JITTER_MS}`, source: 'jitter', throttle: 0 },
  busy: { label: 'busy page', source: 'plain', throttle: 0, busyMs: BUSY_MS, optIn: true },
};

function list(value, all, what) {
  if (value === undefined) return undefined;
  const items = value.split(',').map((s) => s.trim());
  for (const item of items)
    if (!all.includes(item)) throw new Error(`unknown ${what} "${item}": one of ${all.join(', ')}`);
  return items;
}

const { values: args } = parseArgs({
  options: {
    engine: { type: 'string' },
    condition: { type: 'string' },
    path: { type: 'string' },
    renderer: { type: 'string' },
    json: { type: 'string' },
    trace: { type: 'boolean' },
    timeline: { type: 'boolean' },
    soak: { type: 'string' },
    starts: { type: 'string' },
  },
});
const STARTS = Number(args.starts ?? 1);
if (!Number.isInteger(STARTS) || STARTS < 1) throw new Error('--starts: a whole number >= 1');
const engines =
  list(args.engine, Object.keys(ENGINES), 'engine') ??
  Object.keys(ENGINES).filter((e) => !ENGINES[e].optIn);
const conditions =
  list(args.condition, Object.keys(CONDITIONS), 'condition') ??
  Object.keys(CONDITIONS).filter((c) => !CONDITIONS[c].optIn);
const pathIds =
  list(
    args.path,
    PATHS.map((p) => p.id),
    'path',
  ) ?? PATHS.filter((p) => !p.optIn).map((p) => p.id);
const paths = PATHS.filter((p) => pathIds.includes(p.id));
const renderers = list(args.renderer, [...RENDERERS, 'webcodecs-canvas'], 'renderer') ?? RENDERERS;

/** Every (engine, condition, path, renderer) to run, and the engine/condition pairs left out. */
function plan() {
  const runs = [];
  const skipped = [];
  for (const engine of engines) {
    for (const condition of conditions) {
      if (CONDITIONS[condition].throttle && !ENGINES[engine].cdp) {
        skipped.push({ engine, condition, why: 'no CPU throttling over WebDriver' });
        continue;
      }
      if (CONDITIONS[condition].busyMs && ENGINES[engine].preload === false) {
        skipped.push({ engine, condition, why: 'no script before the page`s own over WebDriver' });
        continue;
      }
      for (const path of paths)
        for (const renderer of path.player === 'ours' ? renderers : [undefined])
          runs.push({ engine, condition, path, renderer });
    }
  }
  return { runs, skipped };
}

async function matrix() {
  const { runs, skipped } = plan();
  const minutes =
    (runs.length * (SECONDS + RUN_OVERHEAD_S + (STARTS - 1) * START_S) + engines.length * 20 + 30) /
    60;
  const webcodecs = runs.filter((r) => r.renderer?.startsWith('webcodecs')).length;
  console.log(
    `latency bench: ${runs.length} runs of ${SECONDS} s (${engines.join(', ')} x ${conditions.join(', ')} x ${paths.length} paths)` +
      `, about ${Math.ceil(minutes)} min` +
      (webcodecs
        ? ` (less without a WebCodecs renderer: its ${webcodecs} runs then end at the first frame)`
        : '') +
      (skipped.length
        ? `; not run: ${skipped.map((s) => `${s.engine} ${s.condition} (${s.why})`).join(', ')}`
        : ''),
  );
  const started = nowMs();
  const rig = await startRig({ fps: FPS, dist: appDir() });
  /** @type {Record<string, string>} */
  const versions = {};
  /** @type {Record<string, number>} */
  const throttleMeasured = {};
  const results = [];
  try {
    const relaySources = [
      ...new Set(
        runs.filter((r) => r.path.via === 'relay').map((r) => CONDITIONS[r.condition].source),
      ),
    ];
    await rig.startRelays(relaySources);
    for (const engine of engines) {
      const mine = runs.filter((r) => r.engine === engine);
      if (mine.length === 0) continue;
      const browser = await ENGINES[engine].launch(rig);
      try {
        versions[engine] = await browser.version();
        await warmUp(browser, rig, mine);
        if (mine.some((r) => CONDITIONS[r.condition].throttle))
          throttleMeasured[engine] = await measureThrottle(browser, rig.appOrigin, 4);
        for (const run of mine) {
          await settle();
          const row = await measureRow(browser, rig, run).catch((e) => ({
            engine: run.engine,
            condition: run.condition,
            path: run.path.id,
            label: run.path.label,
            player: run.path.player,
            renderer: run.renderer,
            pageErrors: [],
            status: 'failed',
            note: e instanceof Error ? e.message : String(e),
          }));
          if (row.status === 'ok' && STARTS > 1) await moreStarts(browser, rig, run, row);
          results.push(row);
          console.log(`  ${progressLine(row)}`);
        }
      } finally {
        await browser.close();
      }
    }
  } finally {
    await rig.close();
  }
  console.log(`\n(${((nowMs() - started) / 60000).toFixed(1)} min)`);
  report(results, skipped, versions, throttleMeasured);
}

/** Opens each kind of page once, unmeasured: the first pages of a fresh browser pay for start-up. */
async function warmUp(browser, rig, runs) {
  const kinds = new Map();
  for (const r of runs) kinds.set(`${r.path.player}/${r.path.via}`, r);
  for (const r of kinds.values()) {
    const { url, logs } = await rig.target(r.path, r.renderer, CONDITIONS[r.condition].source);
    const mark = logs.mark();
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'domcontentloaded' }).catch(() => undefined);
    await settle(1500);
    await context.close();
    logs.forget(logs.newClients(mark));
  }
}

/** The slowdown a CDP CPU throttling `rate` gives a page of `origin` here (a fixed loop, timed). */
async function measureThrottle(browser, origin, rate) {
  const time = async (throttle) => {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    if (throttle) {
      const cdp = await page.createCDPSession();
      await cdp.send('Emulation.setCPUThrottlingRate', { rate });
    }
    // Throttling must survive the navigation to the page's own origin, as in the runs.
    await page.goto(`${origin}/throttle-check`);
    const ms = await page.evaluate(() => {
      const times = [];
      for (let r = 0; r < 5; r++) {
        const t = performance.now();
        let x = 0;
        for (let i = 0; i < 2e6; i++) x = (x * 31 + i) % 1000003;
        times.push(performance.now() - t + x * 0);
      }
      return times.sort((a, b) => a - b)[2];
    });
    await context.close();
    return ms;
  };
  const plain = await time(false);
  const throttled = await time(true);
  return throttled / plain;
}

/**
 * --starts: N-1 more cold loads of the row's page, each ended at its first frame; the row's time to
 * the first frame becomes the median of all N (`firstFrames` keeps each, the measured run's first).
 */
async function moreStarts(browser, rig, run, row) {
  const cond = CONDITIONS[run.condition];
  const firsts = [row.firstFrame];
  for (let i = 1; i < STARTS; i++) {
    await settle();
    const { url, logs } = await rig.target(run.path, run.renderer, cond.source);
    const mark = logs.mark();
    const page = await runPage(browser, url, {
      seconds: 0,
      firstOnly: true,
      firstFrameTimeout: FIRST_FRAME_TIMEOUT_MS,
      prepare: (p) => prepareCondition(p, cond),
    });
    logs.forget(logs.newClients(mark));
    firsts.push(page.shown ? page.firstFrameMs : NaN);
  }
  const sorted = sortNumbers(firsts.filter(Number.isFinite));
  row.firstFrames = firsts;
  row.firstFrame = sorted.length === firsts.length ? percentile(sorted, 50) : NaN;
}

/** The page side of a condition, before the navigation: CPU throttling (CDP), a busy main thread. */
async function prepareCondition(p, cond) {
  if (cond.throttle) {
    const cdp = await p.createCDPSession();
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: cond.throttle });
  }
  if (cond.busyMs) {
    await p.evaluateOnNewDocument(
      (busy, every) => {
        setInterval(() => {
          const end = performance.now() + busy;
          while (performance.now() < end);
        }, every);
      },
      cond.busyMs,
      BUSY_EVERY_MS,
    );
  }
}

async function measureRow(browser, rig, run) {
  const { engine, condition, path, renderer } = run;
  const cond = CONDITIONS[condition];
  const { url, logs, fixed } = await rig.target(path, renderer, cond.source);
  const mark = logs.mark();
  const page = await runPage(browser, url, {
    seconds: SECONDS,
    firstFrameTimeout: FIRST_FRAME_TIMEOUT_MS,
    prepare: (p) => prepareCondition(p, cond),
    // A page asked for the WebCodecs renderer that is not using it has none.
    stopEarly: (_bench, kind) => !!renderer?.startsWith('webcodecs') && kind !== 'webcodecs',
  });
  const opened = logs.newClients(mark);
  const sends = fixed ?? logs.byClient.get(opened[0] ?? -1);
  const row = {
    engine,
    condition,
    path: path.id,
    label: path.label,
    player: path.player,
    via: path.via,
    transport: path.transport,
    renderer,
    url,
    pageErrors: page.pageErrors,
  };
  const note = [];
  if (!fixed && opened.length !== 1) note.push(`${opened.length} connections during the run`);
  if (!page.shown) {
    logs.forget(opened);
    return {
      ...row,
      status: 'failed',
      note: [
        `no frame within ${FIRST_FRAME_TIMEOUT_MS / 1000} s (<video>: ${JSON.stringify(page.video)})`,
        ...page.errors.map((e) => e.message ?? JSON.stringify(e)),
        ...page.pageErrors,
      ].join('; '),
    };
  }
  // Ours with WebCodecs paints a canvas (in the page) or writes a track the <video> plays (from the
  // worker, Chromium); either way its own figures say it is the WebCodecs renderer.
  if (renderer?.startsWith('webcodecs') && page.stats?.renderer?.kind !== 'webcodecs') {
    logs.forget(opened);
    return { ...row, status: 'n/a', note: 'renderer not available' };
  }
  // Only the renderer that showed the first frame (a page may also have an idle <video>).
  const frames = page.bench.frames.filter((f) => f.from === page.bench.firstFrameFrom);
  const figures = analyse(frames, sends, {
    fps: FPS,
    windowMs: SECONDS * 1000,
    lateMs: FRAME_MS,
    calibration: page.calibration,
    loopFrames: rig.clipFrames,
  });
  const first = frames[0]?.presented ?? 0;
  const jitter = sortNumbers(sends ? sends.jitter(first - 2000, first + SECONDS * 1000) : []);
  logs.forget(opened);
  if (args.trace) {
    console.log(`  first seen (frame@ms): ${figures.firstSeen.join(' ')}`);
    console.log(`  never seen: ${figures.unseenFrames.slice(0, 100).join(' ')}`);
  }
  if (args.trace)
    console.log(
      `${path.label} ${renderer ?? ''} ${condition}: ${figures.latencies
        .slice(0, 400)
        .map((x) => x.toFixed(0))
        .join(' ')}`,
    );
  const minutes = SECONDS / 60;
  const own = page.stats?.renderer;
  const webcodecs = own?.kind === 'webcodecs';
  // Frames painted over a frame interval late, and stalls (runs of them: one per freeze, as MSE's
  // `waiting`): the probe sees each paint's due time on the canvas; the worker's track gives the
  // <video> no due time, so its renderer's own counts are taken.
  const onCanvas = page.bench.firstFrameFrom === 'canvas';
  const workerCanvas = onCanvas && frames.some((f) => f.painter === 'worker');
  const latePaints = onCanvas ? figures.latePaints : (own?.late ?? NaN);
  const lateStalls = onCanvas ? figures.lateRuns : (own?.stalls ?? NaN);
  const visibility = page.bench.visibility;
  if (visibility.length) note.push(`visibility changed: ${visibility.map((v) => v.state)}`);
  if (figures.misread) note.push(`${figures.misread} snapshots off the paint-to-frame offset`);
  const { latencies: _all, named: _named, ...kept } = figures;
  return {
    ...row,
    status: 'ok',
    ...kept,
    // The browser's count (MSE); the WebCodecs renderer's own skipped frames when it reports them.
    decoded: webcodecs ? undefined : page.decoded,
    browserDropped: webcodecs ? own?.skipped : page.dropped,
    unseenPct: (100 * figures.unseen) / Math.max(1, figures.span),
    browserDroppedPct: webcodecs
      ? own?.skipped === undefined
        ? undefined
        : (100 * own.skipped) / Math.max(1, figures.span)
      : (100 * page.dropped) / Math.max(1, page.decoded),
    // `waiting` while playing (MSE); runs of frames painted over a frame interval late (WebCodecs).
    stalls: webcodecs ? lateStalls : page.bench.waiting,
    stallsPerMin: (webcodecs ? lateStalls : page.bench.waiting) / minutes,
    latePaints: webcodecs ? latePaints : undefined,
    output: webcodecs
      ? onCanvas
        ? workerCanvas
          ? 'worker canvas'
          : 'canvas'
        : 'worker track'
      : 'video',
    rendererStats: own,
    firstFrame: page.bench.firstFrameMs,
    jitterP99: percentile(jitter, 99),
    timeline: page.stats?.timeline,
    early: page.stats?.early,
    underflows: page.stats?.player?.underflows,
    errors: page.errors,
    note: note.join('; '),
  };
}

const fmt = (n, digits = 0, width = 6) =>
  (Number.isFinite(n) ? n.toFixed(digits) : n === undefined ? '-' : 'n/a').padStart(width);

function rowName(r) {
  if (!r.renderer) return r.label;
  if (r.renderer === 'mse') return `${r.label}, MSE`;
  const where = {
    'worker track': ' (worker)',
    'worker canvas': ' (worker canvas)',
    canvas: ' (canvas)',
  };
  return `${r.label}, WebCodecs${where[r.output] ?? ''}`;
}

function progressLine(r) {
  const head = `${r.engine} ${CONDITIONS[r.condition].label.padEnd(12)} ${rowName(r).padEnd(38)}`;
  if (r.status !== 'ok') return `${head} ${r.status}${r.note ? ` (${r.note})` : ''}`;
  const starts = r.firstFrames
    ? ` (median of ${r.firstFrames.map((x) => fmt(x, 0, 0)).join(' ')})`
    : '';
  return `${head} p50 ${fmt(r.p50)} p95 ${fmt(r.p95)} ms, first frame ${fmt(r.firstFrame)} ms${starts}`;
}

const HEADER =
  'path / renderer                          condition     frames  p50 ms  p95 ms  max ms  drift  dropped (browser)     unseen  stalls/min  first ms  src p99 ms';

function tableLine(r, showName) {
  const name = (showName ? rowName(r) : '').padEnd(41);
  const cond = CONDITIONS[r.condition].label.padEnd(13);
  if (r.status !== 'ok') return `${name}${cond}${r.status}${r.note ? ` (${r.note})` : ''}`;
  const dropped =
    r.browserDropped === undefined
      ? '-'
      : `${r.browserDropped}${r.decoded !== undefined ? `/${r.decoded}` : ''} ${fmt(r.browserDroppedPct, 1, 0)}%`;
  return (
    `${name}${cond}${String(r.frames).padStart(6)}  ${fmt(r.p50)}  ${fmt(r.p95)}  ${fmt(r.max)}  ${fmt(r.driftMs, 0, 5)}` +
    `  ${dropped.padStart(17)}  ${`${r.unseen}${r.probeMissed ? ` (${r.probeMissed})` : ''}`.padStart(9)}  ${fmt(r.stallsPerMin, 1, 10)}  ${fmt(r.firstFrame, 0, 8)}  ${fmt(r.jitterP99, 1, 10)}` +
    (r.rendererStats ? `  renderer: ${JSON.stringify(r.rendererStats)}` : '') +
    (r.note ? `  (${r.note})` : '') +
    (r.pageErrors.length ? `  page errors: ${r.pageErrors.join('; ')}` : '')
  );
}

/** The jmuxer row `r` is held against: same engine and condition, same kind of transport. */
function jmuxerPeer(results, r) {
  const peer = r.transport === 'http' ? 'jmuxer-http' : 'jmuxer-ws';
  return results.find(
    (x) =>
      x.path === peer && x.engine === r.engine && x.condition === r.condition && x.status === 'ok',
  );
}

/** Each target of issue 12 that applies to our row `r`: [name, pass, figures]. */
function checks(results, r) {
  const out = [];
  const dropped = Math.max(r.unseenPct, r.browserDroppedPct ?? 0);
  out.push([
    `dropped <= ${TARGETS.droppedPct}%`,
    dropped <= TARGETS.droppedPct,
    `${dropped.toFixed(2)}%`,
  ]);
  out.push([
    `stalls <= ${TARGETS.stallsPerMin}/min`,
    r.stallsPerMin <= TARGETS.stallsPerMin,
    `${r.stallsPerMin.toFixed(1)}/min`,
  ]);
  out.push([
    `first frame <= ${TARGETS.firstFrameMs} ms`,
    r.firstFrame <= TARGETS.firstFrameMs,
    `${r.firstFrame.toFixed(0)} ms${r.firstFrames ? `, median of ${r.firstFrames.length}` : ''}`,
  ]);
  if (r.condition === 'idle') {
    const framed = r.via === 'relay' || r.transport === 'ws';
    const limit = framed ? TARGETS.framedMs : FRAME_MS + TARGETS.httpOverFrameMs;
    out.push([`p95 <= ${limit.toFixed(0)} ms`, r.p95 <= limit, `${r.p95.toFixed(1)} ms`]);
  }
  if (r.condition === 'jitter') {
    const limit = r.jitterP99 + FRAME_MS + TARGETS.jitterOverMs;
    out.push([
      `p95 <= jitter p99 + frame + ${TARGETS.jitterOverMs} = ${limit.toFixed(0)} ms`,
      r.p95 <= limit,
      `${r.p95.toFixed(1)} ms`,
    ]);
  }
  const peer = jmuxerPeer(results, r);
  if (peer) {
    const worse = [];
    const cmp = (name, ours, theirs, unit) => {
      if (Number.isFinite(theirs) && !(ours <= theirs))
        worse.push(`${name} ${ours.toFixed(1)}${unit} > ${theirs.toFixed(1)}${unit}`);
    };
    cmp('p50', r.p50, peer.p50, ' ms');
    cmp('p95', r.p95, peer.p95, ' ms');
    cmp('dropped', dropped, Math.max(peer.unseenPct, peer.browserDroppedPct ?? 0), '%');
    cmp('stalls', r.stallsPerMin, peer.stallsPerMin, '/min');
    cmp('first frame', r.firstFrame, peer.firstFrame, ' ms');
    out.push([`beats ${peer.label}`, worse.length === 0, worse.join(', ') || 'on every figure']);
  }
  return out;
}

function report(results, skipped, versions, throttleMeasured) {
  console.log(
    `\nsent -> presented over ${SECONDS} s per run, 640x480 Baseline ${FPS} fps (a frame every ${FRAME_MS.toFixed(1)} ms), headless`,
  );
  console.log(
    "dropped (browser): getVideoPlaybackQuality().droppedVideoFrames/totalVideoFrames (MSE) or the WebCodecs renderer's skipped count;\n" +
      "unseen: frames never seen presented (gaps in the barcode sequence; in brackets those of them rVFC's presentedFrames counts as\n" +
      'submitted for composition between two callbacks); stalls: `waiting` while playing (MSE) or runs of paints more\n' +
      "than a frame late, one per freeze (WebCodecs: seen by the probe on the canvas, counted by the renderer for the worker's\n" +
      "track; the late frames themselves in the renderer's figures); first: first presented frame since navigation start" +
      (STARTS > 1 ? `, the median of ${STARTS} cold page loads` : '') +
      "; src p99: p99 of the source's send delay behind its frame clock",
  );
  for (const engine of engines) {
    const rows = results.filter((r) => r.engine === engine);
    if (rows.length === 0) continue;
    const notes = [];
    if (throttleMeasured[engine] !== undefined)
      notes.push(`CPU 4x throttling measured as ${throttleMeasured[engine].toFixed(1)}x`);
    for (const s of skipped.filter((x) => x.engine === engine))
      notes.push(`${CONDITIONS[s.condition].label}: not run (${s.why})`);
    console.log(
      `\n${ENGINES[engine].label} ${versions[engine] ?? ''}${notes.length ? `; ${notes.join('; ')}` : ''}`,
    );
    console.log(HEADER);
    let previous = '';
    for (const r of rows.sort(
      (a, b) =>
        paths.findIndex((p) => p.id === a.path) - paths.findIndex((p) => p.id === b.path) ||
        (a.renderer ?? '').localeCompare(b.renderer ?? '') ||
        conditions.indexOf(a.condition) - conditions.indexOf(b.condition),
    )) {
      const name = rowName(r);
      console.log(tableLine(r, name !== previous));
      previous = name;
    }
  }
  if (args.timeline) {
    console.log(
      "\nstartup of our page (ms since navigation start; the milestones are the page's bundle's, which an early\n" +
        'renderer (vite.config.ts: fed by the worker before the bundle runs) may precede)',
    );
    const ms = (v) => (v === undefined || v === null ? '-' : v.toFixed(0));
    for (const r of results.filter((x) => x.timeline)) {
      const t = r.timeline;
      console.log(
        `  ${r.engine} ${r.condition} ${rowName(r)}: created ${ms(t.created)}, connected ${ms(t.connected)}, source open ${ms(t.sourceOpen)}, worker ready ${ms(t.workerReady)}, first bytes ${ms(t.firstBytes)}, first init ${ms(t.firstInit)}, first media ${ms(t.firstMedia)}, first frame ${ms(r.firstFrame)}; early start ${r.early ?? '-'}; stalls at the edge ${r.underflows ?? '-'}`,
      );
    }
  }
  console.log(
    `\ntargets (ours): dropped <= ${TARGETS.droppedPct}% (browser's and unseen) and stalls <= ${TARGETS.stallsPerMin}/min in every condition; first frame <= ${TARGETS.firstFrameMs} ms;` +
      `\n  idle p95 <= ${(FRAME_MS + TARGETS.httpOverFrameMs).toFixed(0)} ms over plain HTTP (one frame + ${TARGETS.httpOverFrameMs}), <= ${TARGETS.framedMs} ms over AU-framed WebSocket and from the relay (WebSocket and HTTP);` +
      `\n  jitter p95 <= the source's jitter p99 + one frame + ${TARGETS.jitterOverMs} ms; jmuxer beaten on p50, p95, dropped, stalls and first frame`,
  );
  let ok = true;
  for (const r of results.filter((x) => x.player === 'ours')) {
    const head = `${r.engine} ${CONDITIONS[r.condition].label} ${rowName(r)}`;
    if (r.status === 'n/a') {
      console.log(`  n/a   ${head}: ${r.note}`);
      continue;
    }
    if (r.status !== 'ok') {
      ok = false;
      console.log(`  FAIL  ${head}: ${r.note}`);
      continue;
    }
    const list = checks(results, r);
    const pass = list.every(([, p]) => p);
    ok &&= pass;
    r.targets = Object.fromEntries(list.map(([name, p, figure]) => [name, { pass: p, figure }]));
    console.log(
      `  ${pass ? 'PASS' : 'FAIL'}  ${head}: ${list.map(([name, p, figure]) => `${p ? 'ok' : 'FAIL'} ${name} (${figure})`).join('; ')}`,
    );
  }
  if (args.json)
    writeFileSync(
      args.json,
      JSON.stringify(
        {
          seconds: SECONDS,
          fps: FPS,
          targets: TARGETS,
          versions,
          throttleMeasured,
          skipped,
          results,
        },
        null,
        2,
      ),
    );
  if (!ok) process.exitCode = 1;
}

if (args.soak !== undefined) {
  const minutes = Number(args.soak);
  if (!(minutes > 0)) throw new Error(`--soak wants minutes, got "${args.soak}"`);
  await soak({
    minutes,
    engine: engines[0],
    path: args.path === undefined ? undefined : paths[0],
    renderer: args.renderer === undefined ? undefined : renderers[0],
    json: args.json,
  });
} else {
  await matrix();
}
