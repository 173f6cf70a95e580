// Latency benchmark: sent -> presented for every frame, ours vs jmuxer, same stream, same browser,
// same run.
//
//   npm run bench:latency            (BENCH_SECONDS=30 by default; --json out.json to save)
//   --ours-only: skip the jmuxer runs (quick experiments); --all: add h264mux over unframed
//   WebSocket; --trace: per-frame latencies; BENCH_OURS_QUERY='&latency=0.02': page options;
//   BENCH_DIST=/path/to/dist: serve that build of the app instead of building dist/ (A/B runs
//   against another checkout).
//
// 1. ffmpeg makes a 640x480 Baseline 30 fps stream (testsrc2, -tune zerolatency -g 30) with the
//    frame number drawn as an 11-bit barcode in the top 24 rows (white/black 40 px boxes).
// 2. test/e2e/support/stream-server.mjs sends it in real time, every client from frame 0 when it
//    connects, and records when each frame's last byte was handed to the socket.
// 3. Each player runs in a fresh page of one headless Chromium: the page reads the barcode of each
//    presented frame in requestVideoFrameCallback (metadata.presentationTime) and records it.
// 4. Latency of frame n = presented(n) - sent(n) (same machine, both on the wall clock:
//    performance.timeOrigin + now()). Time to first frame = first presentation - navigation start.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { chromiumLaunchOptions } from '../scripts/browser.mjs';
import { startStaticServer } from '../test/e2e/support/static-server.mjs';
import { startStreamServer } from '../test/e2e/support/stream-server.mjs';
import {
  BITS,
  BOX,
  firstFrame,
  makeStream,
  measureScript,
  percentile,
  settle,
  warmUp,
} from './latency-harness.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const FPS = 30;
const jsonOut = process.argv.includes('--json')
  ? process.argv[process.argv.indexOf('--json') + 1]
  : undefined;

const TARGETS = { http: 60, framed: 40, firstFrame: 250 };

const JMUXER_PAGE = `<!doctype html><meta charset="utf-8"><title>jmuxer</title>
<video id="v" muted autoplay playsinline></video>
<script src="./jmuxer.min.js"></script>
<script>
const q = new URLSearchParams(location.search);
const framed = q.get('framed') === '1';
// jmuxer's live settings from its README: flush at once (flushingTime 0), fixed fps.
const jm = new JMuxer({ node: 'v', mode: 'video', flushingTime: 0, fps: 30, clearBuffer: true, debug: false });
const src = q.get('src');
if (src.startsWith('ws')) {
  const ws = new WebSocket(src);
  ws.binaryType = 'arraybuffer';
  ws.onmessage = (e) => {
    if (typeof e.data === 'string') return;
    jm.feed({ video: new Uint8Array(e.data), isLastVideoFrameComplete: framed });
  };
} else {
  fetch(src).then(async (r) => {
    const reader = r.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      jm.feed({ video: value });
    }
  });
}
</script>`;

async function main() {
  const dist = process.env.BENCH_DIST ? resolve(process.env.BENCH_DIST) : join(ROOT, 'dist');
  if (!process.env.BENCH_DIST) {
    const vite = spawnSync(join(ROOT, 'node_modules/.bin/vite'), ['build', '--logLevel', 'error'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    if (vite.status !== 0) throw new Error('vite build failed');
  }
  const dir = mkdtempSync(join(tmpdir(), 'h264mux-latency-'));
  const file = makeStream(dir, SECONDS + 8);
  /** @type {Map<number, Map<number, number>>} client -> frame -> time its last byte was sent */
  const sentByClient = new Map();
  /** @type {Map<number, number>} frame -> time, for the client of the current run */
  let sent = new Map();
  const stream = await startStreamServer({
    file,
    fps: FPS,
    clock: 'per-client',
    loop: false,
    onFrameSent: (client, frame, time) => {
      let frames = sentByClient.get(client);
      if (!frames) sentByClient.set(client, (frames = new Map()));
      if (!frames.has(frame)) frames.set(frame, time);
    },
  });
  const app = await startStaticServer(dist, {
    prefix: '/',
    routes: {
      '/jmuxer.html': { type: 'text/html; charset=utf-8', body: JMUXER_PAGE },
      '/jmuxer.min.js': {
        type: 'text/javascript; charset=utf-8',
        body: readFileSync(join(ROOT, 'node_modules/jmuxer/dist/jmuxer.min.js')),
      },
    },
  });
  const enc = encodeURIComponent;
  // Extra page options for our player (e.g. BENCH_OURS_QUERY='&latency=0.02').
  const ours = process.env.BENCH_OURS_QUERY ?? '';
  const runs = [
    { name: 'h264mux, HTTP', kind: 'http', url: `${app.url}?src=${enc(stream.httpUrl)}${ours}` },
    {
      name: 'h264mux, WebSocket AU-framed',
      kind: 'framed',
      url: `${app.url}?src=${enc(stream.wsFramedUrl)}${ours}`,
    },
    {
      name: 'jmuxer, fetch',
      kind: 'http',
      url: `${app.origin}/jmuxer.html?src=${enc(stream.httpUrl)}`,
    },
    {
      name: 'jmuxer, WebSocket frame/msg',
      kind: 'framed',
      url: `${app.origin}/jmuxer.html?framed=1&src=${enc(stream.wsFramedUrl)}`,
    },
  ];
  if (process.argv.includes('--ours-only')) {
    for (let i = runs.length - 1; i >= 0; i--)
      if (!runs[i].name.startsWith('h264mux')) runs.splice(i, 1);
  }
  if (process.argv.includes('--all')) {
    runs.splice(2, 0, {
      name: 'h264mux, WebSocket unframed',
      kind: 'http',
      url: `${app.url}?src=${enc(stream.wsUrl)}${ours}`,
    });
  }
  const browser = await chromium.launch(await chromiumLaunchOptions());
  const results = [];
  try {
    await warmUp(browser, runs);
    for (const run of runs) {
      await settle();
      // Only the connection this page opens counts (warm-up pages may still be draining).
      const known = new Set(sentByClient.keys());
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      await page.addInitScript(measureScript, { bits: BITS, box: BOX });
      const pageErrors = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      const shown = firstFrame(page);
      await page.goto(run.url);
      await shown;
      await page.waitForTimeout(SECONDS * 1000);
      const data = await page.evaluate(() => window.__bench);
      const quality = await page.evaluate(() => {
        const q = document.querySelector('video')?.getVideoPlaybackQuality();
        return { decoded: q?.totalVideoFrames ?? 0, dropped: q?.droppedVideoFrames ?? 0 };
      });
      const timeline = await page.evaluate(() => window.__h264mux?.stats?.timeline);
      const player = await page.evaluate(() => window.__h264mux?.stats?.player);
      await context.close();
      const mine = [...sentByClient.entries()].filter(([id]) => !known.has(id));
      if (mine.length !== 1) console.warn(`${run.name}: ${mine.length} connections during the run`);
      sent = mine[0]?.[1] ?? new Map();
      if (process.argv.includes('--trace')) {
        console.log(
          data.frames
            .slice(0, 400)
            .map((f) => `${f.n}:${(f.presented - (sent.get(f.n) ?? NaN)).toFixed(0)}`)
            .join(' '),
        );
      }
      const first = data.frames[0]?.presented ?? 0;
      const inWindow = data.frames.filter((f) => f.presented - first <= SECONDS * 1000);
      const latencies = [];
      const byTime = [];
      let unknown = 0;
      // A barcode misread (e.g. a frame blended by scaling) must not count as a late frame: accept
      // only frame numbers within 1 s of the run's own n-versus-time line (median offset).
      const offsets = inWindow
        .map((x) => x.n - ((x.presented - first) * FPS) / 1000)
        .sort((a, b) => a - b);
      const offset = offsets[offsets.length >> 1] ?? 0;
      for (const f of inWindow) {
        const t = sent.get(f.n);
        const plausible = Math.abs(f.n - ((f.presented - first) * FPS) / 1000 - offset) < FPS;
        if (t === undefined || f.presented < t || !plausible) {
          unknown++;
          continue;
        }
        latencies.push(f.presented - t);
        byTime.push({ at: f.presented - first, latency: f.presented - t });
      }
      const sorted = [...latencies].sort((a, b) => a - b);
      const median = (xs) =>
        percentile(
          [...xs].sort((a, b) => a - b),
          50,
        );
      const early = byTime.filter((x) => x.at < 5000).map((x) => x.latency);
      const late = byTime.filter((x) => x.at > SECONDS * 1000 - 5000).map((x) => x.latency);
      results.push({
        name: run.name,
        kind: run.kind,
        frames: latencies.length,
        distinct: new Set(inWindow.map((x) => x.n)).size,
        decoded: quality.decoded,
        dropped: quality.dropped,
        unidentified: unknown,
        p50: percentile(sorted, 50),
        p95: percentile(sorted, 95),
        max: sorted[sorted.length - 1] ?? NaN,
        firstFrame: data.firstFrameMs ?? NaN,
        timeline,
        underflows: player?.underflows,
        guardMs: player?.guardMs,
        driftMs: median(late) - median(early),
        pageErrors,
      });
    }
  } finally {
    await browser.close();
    await stream.close();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const f = (n) => (Number.isFinite(n) ? n.toFixed(1).padStart(7) : '    n/a');
  console.log(
    `\nsent -> presented over ${SECONDS} s, 640x480 Baseline 30 fps, headless Chromium (${(await chromiumLaunchOptions()).executablePath})`,
  );
  console.log(
    'player                          frames    p50 ms   p95 ms   max ms  first-frame ms  drift ms  decoded/dropped',
  );
  for (const r of results) {
    console.log(
      `${r.name.padEnd(32)}${String(r.frames).padStart(6)}  ${f(r.p50)}  ${f(r.p95)}  ${f(r.max)}  ${f(r.firstFrame).padStart(14)}  ${f(r.driftMs)}  ${r.decoded}/${r.dropped} (${((100 * r.dropped) / Math.max(1, r.decoded)).toFixed(0)}%)` +
        (r.pageErrors.length ? `  page errors: ${r.pageErrors.join('; ')}` : ''),
    );
  }
  console.log('\nstartup of h264mux (ms since navigation start; the page: session created, ...)');
  for (const r of results.filter((x) => x.timeline)) {
    const t = r.timeline;
    const ms = (v) => (v === undefined || v === null ? '-' : v.toFixed(0));
    console.log(
      `  ${r.name.padEnd(30)} stalls at the edge ${r.underflows ?? '-'}, guard ${ms(r.guardMs)} ms; created ${ms(t.created)}, connected ${ms(t.connected)}, source open ${ms(t.sourceOpen)}, worker ready ${ms(t.workerReady)}, first bytes ${ms(t.firstBytes)}, first init ${ms(t.firstInit)}, first media ${ms(t.firstMedia)}, first frame ${ms(r.firstFrame)}`,
    );
  }
  console.log(
    `\ntargets (h264mux): HTTP p95 <= ${TARGETS.http} ms, framed WebSocket p95 <= ${TARGETS.framed} ms, first frame <= ${TARGETS.firstFrame} ms, no drift`,
  );
  let ok = true;
  for (const r of results.filter((x) => x.name.startsWith('h264mux'))) {
    const limit = r.kind === 'framed' ? TARGETS.framed : TARGETS.http;
    const pass = r.p95 <= limit && r.firstFrame <= TARGETS.firstFrame && Math.abs(r.driftMs) < 20;
    ok &&= pass;
    console.log(
      `  ${pass ? 'PASS' : 'FAIL'}  ${r.name}: p95 ${r.p95.toFixed(1)} ms (<= ${limit}), first frame ${r.firstFrame.toFixed(0)} ms (<= ${TARGETS.firstFrame}), drift ${r.driftMs.toFixed(1)} ms`,
    );
  }
  if (jsonOut)
    writeFileSync(
      jsonOut,
      JSON.stringify({ seconds: SECONDS, targets: TARGETS, results }, null, 2),
    );
  if (!ok) process.exitCode = 1;
}

if (!existsSync(join(ROOT, 'node_modules/jmuxer/dist/jmuxer.min.js'))) {
  console.error('node_modules/jmuxer is missing: run npm ci');
  process.exit(1);
}
await main();
