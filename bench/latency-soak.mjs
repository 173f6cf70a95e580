// Long runs and hidden tabs (issue 12 item 6): `npm run bench:latency -- --soak 30`.
//
// One page plays the 60 fps barcode stream (ours over AU-framed WebSocket unless --path/--renderer say
// otherwise) for MINUTES; every SAMPLE_S seconds it samples, after a forced GC (what is retained, not
// the garbage of the moment): the page's JS heap (CDP Runtime.getHeapUsage), the heap of each of its
// workers (CDP, on the worker targets Puppeteer attaches to), the SourceBuffer's buffered span
// (window.__h264mux.stats.player bufferedEnd - bufferedStart), and the latency and unseen frames of
// the last interval; and the memory of the browser's whole process tree (the proportional set size of
// each process, Linux /proc: decoders, canvases and media buffers included, which no JS heap shows).
// It prints whether each stays flat (the trend after the first minute). Firefox has no CDP: the JS
// heaps are "n/a" there, and the process tree is what shows its memory.
//
// Then the hidden-tab check: another tab is brought to the front over the page for
// BENCH_HIDDEN_SECONDS (30 by default; document.visibilityState becomes 'hidden', with the browser's
// background throttling on), then the page comes back. Reported: the time from 'visible' to the first
// frame presented, and to the first frame presented at the live edge (latency within the soak's p95
// plus one frame interval); the target is one second.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { nowMs } from '../test/e2e/support/stream-server.mjs';
import {
  analyse,
  firstFrame,
  percentile,
  PROBE_ARGS,
  probeScript,
  settle,
  sortNumbers,
  workerCalibration,
} from './latency-harness.mjs';
import { appDir, ENGINES, PATHS, startRig } from './latency-rig.mjs';

const FPS = 60;
const FRAME_MS = 1000 / FPS;
const SAMPLE_S = 10;
const HIDDEN_S = Number(process.env.BENCH_HIDDEN_SECONDS ?? 30);
const RESUME_TARGET_MS = 1000;
/** A figure is flat when its trend over the run stays within this share of its median, or the floor. */
const FLAT = {
  heapMB: { label: 'page JS heap, MB', share: 0.1, floor: 2 },
  workerHeapMB: { label: "workers' JS heap, MB", share: 0.1, floor: 2 },
  bufferedS: { label: 'SourceBuffer buffered span, s', share: 0.1, floor: 0.5 },
  browserMB: { label: "browser's processes (PSS), MB", share: 0.1, floor: 20 },
  p95: { label: 'latency p95, ms', share: 0.2, floor: 10 },
};

export async function soak({ minutes, engine = 'chromium', path, renderer, json }) {
  path ??= PATHS.find((p) => p.id === 'ws');
  const name = `${path.label}${renderer ? `, ${renderer}` : ''}`;
  console.log(
    `soak: ${name} in ${ENGINES[engine].label}, ${minutes} min at ${FPS} fps, a sample every ${SAMPLE_S} s, then the tab hidden for ${HIDDEN_S} s` +
      ` (about ${Math.ceil(minutes + (HIDDEN_S + 30) / 60)} min)`,
  );
  const rig = await startRig({ fps: FPS, dist: appDir() });
  const browser = await ENGINES[engine].launch();
  try {
    if (path.via === 'relay') await rig.startRelays(['plain']);
    const { url, logs, fixed } = await rig.target(path, renderer, 'plain');
    // A tab of the browser's window (not a context of its own), so that another tab can cover it.
    const page = await browser.newPage();
    await page.evaluateOnNewDocument(probeScript, PROBE_ARGS);
    const cdp = ENGINES[engine].cdp ? await page.createCDPSession() : undefined;
    const mark = logs.mark();
    const shown = firstFrame(page);
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    if (!(await shown)) throw new Error(`no frame within 15 s from ${url}`);
    const sends = fixed ?? logs.byClient.get(logs.newClients(mark)[0] ?? -1);
    const timeOrigin = await page.evaluate(() => performance.timeOrigin);

    const heapMB = async (session) => {
      if (!session) return undefined;
      await session.send('HeapProfiler.collectGarbage');
      const { usedSize } = await session.send('Runtime.getHeapUsage');
      return usedSize / 2 ** 20;
    };
    // A canvas the worker paints (Firefox, WebKit) is named by its media time: calibrated once
    // against the barcodes of the page's snapshots, as in the short runs.
    let calibration;
    const sample = async (t) => {
      const frames = await page.evaluate(() => window.__benchTake());
      if (!calibration && frames.some((f) => f.painter === 'worker')) {
        calibration = await workerCalibration(page);
      }
      const figures = analyse(frames, sends, {
        fps: FPS,
        windowMs: Infinity,
        lateMs: FRAME_MS,
        calibration,
        loopFrames: rig.clipFrames,
      });
      const workers = cdp ? page.workers() : [];
      let workerHeapMB;
      if (cdp && workers.length > 0) {
        workerHeapMB = 0;
        for (const w of workers) workerHeapMB += (await heapMB(w.client)) ?? 0;
      }
      const player = await page.evaluate(() => {
        const p = window.__h264mux?.stats?.player;
        const q = document.querySelector('video')?.getVideoPlaybackQuality?.();
        return {
          bufferedS: p ? p.bufferedEnd - p.bufferedStart : undefined,
          decoded: q?.totalVideoFrames,
          dropped: q?.droppedVideoFrames,
          waiting: window.__bench.waiting,
          visibility: document.visibilityState,
        };
      });
      return {
        t,
        heapMB: await heapMB(cdp),
        browserMB: processTreeMB(browser.process?.()?.pid),
        workers: workers.map((w) => w.url()),
        workerHeapMB,
        ...player,
        frames: figures.frames,
        unseen: figures.unseen,
        p50: figures.p50,
        p95: figures.p95,
        // Named (worker paints by their media time) for the hidden-tab check.
        presented: figures.named,
      };
    };

    console.log(
      '   min  heap MB  worker heap MB  browser MB  buffered s  frames  unseen  p50 ms  p95 ms  dropped/decoded  stalls',
    );
    const line = (s) =>
      console.log(
        `${(s.t / 60000).toFixed(1).padStart(6)}  ${f(s.heapMB, 1, 7)}  ${f(s.workerHeapMB, 1, 14)}  ${f(s.browserMB, 0, 10)}  ${f(s.bufferedS, 1, 10)}  ${String(s.frames).padStart(6)}  ${String(s.unseen).padStart(6)}  ${f(s.p50, 0, 6)}  ${f(s.p95, 0, 6)}  ${`${s.dropped ?? '-'}/${s.decoded ?? '-'}`.padStart(15)}  ${String(s.waiting).padStart(6)}  ${s.visibility === 'visible' ? '' : s.visibility}`,
      );
    const samples = [];
    const t0 = nowMs();
    for (let i = 1; i * SAMPLE_S <= minutes * 60; i++) {
      await settle(Math.max(0, t0 + i * SAMPLE_S * 1000 - nowMs()));
      const s = await sample(nowMs() - t0);
      line(s);
      samples.push(s);
    }

    // Hidden tab.
    const soakP95 = percentile(sortNumbers(samples.map((s) => s.p95).filter(Number.isFinite)), 50);
    const edgeMs = soakP95 + FRAME_MS;
    await sample(nowMs() - t0); // drain
    const cover = await browser.newPage();
    await cover.bringToFront();
    await settle(HIDDEN_S * 1000);
    const whileHidden = await sample(nowMs() - t0);
    line(whileHidden);
    await page.bringToFront();
    await settle(3000);
    const back = await sample(nowMs() - t0);
    line(back);
    await cover.close();
    const visibility = await page.evaluate(() => window.__bench.visibility);
    const hidden = hiddenCheck({ visibility, timeOrigin, back, whileHidden, sends, edgeMs });

    const trends = Object.fromEntries(
      Object.keys(FLAT).map((key) => [key, trend(samples, key, FLAT[key])]),
    );
    console.log(
      `\nflat over ${minutes} min (trend after the first minute; heaps after a forced GC):`,
    );
    for (const [key, t] of Object.entries(trends)) {
      console.log(
        t
          ? `  ${t.flat ? 'ok   ' : 'GROWS'} ${FLAT[key].label}: ${t.first.toFixed(1)} -> ${t.last.toFixed(1)} (median ${t.median.toFixed(1)}), trend ${t.growth >= 0 ? '+' : ''}${t.growth.toFixed(2)} over the run (limit ${t.limit.toFixed(2)})`
          : `  n/a   ${FLAT[key].label}: not measurable here`,
      );
    }
    console.log(`\nhidden tab (${HIDDEN_S} s behind another tab):`);
    if (!hidden.hid) {
      console.log(`  the page never became hidden in ${ENGINES[engine].label}: no check`);
    } else {
      console.log(
        `  frames presented while hidden: ${whileHidden.frames}; buffered while hidden: ${f(whileHidden.bufferedS, 1, 0)} s` +
          `\n  back at 'visible': first frame after ${f(hidden.firstMs, 0, 0)} ms (latency ${f(hidden.firstLatency, 0, 0)} ms), at the live edge (<= ${edgeMs.toFixed(0)} ms) after ${f(hidden.edgeMs, 0, 0)} ms` +
          `\n  ${hidden.edgeMs <= RESUME_TARGET_MS ? 'PASS' : 'FAIL'}  resumes at the live edge within ${RESUME_TARGET_MS} ms`,
      );
      if (!(hidden.edgeMs <= RESUME_TARGET_MS)) process.exitCode = 1;
    }
    if (Object.values(trends).some((t) => t && !t.flat)) process.exitCode = 1;
    if (json)
      writeFileSync(
        json,
        JSON.stringify(
          {
            minutes,
            fps: FPS,
            engine,
            version: await browser.version(),
            path: path.id,
            renderer,
            samples: samples.map(({ presented: _p, ...s }) => s),
            trends,
            hidden: { seconds: HIDDEN_S, edgeMs, ...hidden },
          },
          null,
          2,
        ),
      );
  } finally {
    await browser.close();
    await rig.close();
  }
}

function f(n, digits, width) {
  return (Number.isFinite(n) ? n.toFixed(digits) : n === undefined ? '-' : 'n/a').padStart(width);
}

/** When the page became visible again, and when it presented a frame, and one at the live edge. */
function hiddenCheck({ visibility, timeOrigin, back, sends, edgeMs }) {
  const hid = visibility.some((v) => v.state === 'hidden');
  const shownAgain = visibility.findLast((v) => v.state === 'visible');
  if (!hid || !shownAgain) return { hid: false };
  const at = timeOrigin + shownAgain.at;
  const after = back.presented.filter((x) => x.presented >= at);
  const latency = (x) => {
    const k = sends.lastSendBefore(x.n, x.presented);
    return k < 0 ? NaN : x.presented - sends.time[k];
  };
  const first = after[0];
  const edge = after.find((x) => latency(x) <= edgeMs);
  return {
    hid,
    firstMs: first ? first.presented - at : NaN,
    firstLatency: first ? latency(first) : NaN,
    edgeMs: edge ? edge.presented - at : NaN,
  };
}

/** Least-squares trend of `key` over the samples after the first minute. */
function trend(samples, key, { share, floor }) {
  const points = samples
    .filter((s) => s.t >= 60000 || samples.length < 8)
    .filter((s) => Number.isFinite(s[key]))
    .map((s) => [s.t / 60000, s[key]]);
  if (points.length < 2) return undefined;
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const slope = sxx > 0 ? sxy / sxx : 0;
  const growth = slope * (points[n - 1][0] - points[0][0]);
  const median = percentile(sortNumbers(points.map(([, y]) => y)), 50);
  const limit = Math.max(share * Math.abs(median), floor);
  return {
    first: points[0][1],
    last: points[n - 1][1],
    median,
    growth,
    limit,
    flat: growth <= limit,
  };
}

/**
 * The proportional set size (MB) of process `root` and all its descendants (Linux /proc; undefined
 * elsewhere, or without a pid): shared pages counted once across the tree.
 */
function processTreeMB(root) {
  if (root === undefined) return undefined;
  const children = new Map();
  let pids;
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    try {
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(pid)]);
    } catch {
      // gone since the listing
    }
  }
  let kB = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop();
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      kB += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
    } catch {
      // gone, or not ours to read
    }
    stack.push(...(children.get(pid) ?? []));
  }
  return kB / 1024;
}
