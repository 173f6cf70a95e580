// App latency through the relay against a direct stream (npm run bench:serve-latency).
//
// Same harness as bench/latency.mjs: ffmpeg draws the frame number as a barcode, the test stream
// server (test/e2e/support/stream-server.mjs) sends the clip in real time and records when each
// frame's last byte left it, the page reads the barcode of each presented frame in
// requestVideoFrameCallback. Runs, one after the other in one headless Chromium:
//   direct HTTP, direct WebSocket AU-framed   (page -> stream server)
//   relay HTTP, relay WebSocket AU-framed     (page -> h264mux serve --url <stream server> -> stream server)
// The relay runs in this process (dist-lib build), serving the built app (dist/).
// BENCH_SECONDS=20 by default; loopback only; bounded.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);

if (
  !existsSync(join(ROOT, 'dist/index.html')) ||
  !existsSync(join(ROOT, 'dist-lib/cli/serve/index.js'))
) {
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
}
const { startServe } = await import(pathToFileURL(join(ROOT, 'dist-lib/cli/serve/index.js')).href);

const dir = mkdtempSync(join(tmpdir(), 'h264mux-serve-latency-'));
const file = makeStream(dir, 60);
let sent = new Map();
const stream = await startStreamServer({
  file,
  fps: 30,
  clock: 'shared',
  loop: true,
  // Every send time per frame index (the clip loops; the relay and a direct page are both clients).
  onFrameSent: (_client, frame, time) => {
    const list = sent.get(frame);
    if (list) list.push(time);
    else sent.set(frame, [time]);
  },
});
const app = await startStaticServer(join(ROOT, 'dist'), { prefix: '/' });
const relay = await startServe(
  {
    source: { kind: 'url', url: stream.httpUrl },
    host: '127.0.0.1',
    port: 0,
    staticDir: join(ROOT, 'dist'),
    gopCache: true,
    maxViewerBuffer: undefined,
  },
  { log: (m) => console.log(`[relay] ${m}`) },
);
const relayBase = `http://127.0.0.1:${relay.port}`;
const enc = encodeURIComponent;
const runs = [
  { name: 'direct, HTTP', url: `${app.url}?src=${enc(stream.httpUrl)}` },
  { name: 'direct, WebSocket AU-framed', url: `${app.url}?src=${enc(stream.wsFramedUrl)}` },
  { name: 'relay, HTTP', url: `${relayBase}/?src=${enc(`${relayBase}/stream.h264`)}` },
  { name: 'relay, WebSocket AU-framed (/)', url: `${relayBase}/` },
];
const browser = await chromium.launch(await chromiumLaunchOptions());
const results = [];
try {
  await warmUp(browser, runs);
  for (const run of runs) {
    await settle();
    sent = new Map();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.addInitScript(measureScript, { bits: BITS, box: BOX });
    const shown = firstFrame(page);
    await page.goto(run.url);
    await shown;
    await page.waitForTimeout(SECONDS * 1000);
    const data = await page.evaluate(() => window.__bench);
    const errors = await page.evaluate(() => window.__h264mux?.errors ?? []);
    await context.close();
    const lat = [];
    const steady = [];
    const firstAt = data.frames[0]?.presented ?? 0;
    for (const f of data.frames) {
      // The latest send of this frame before it was presented.
      const t = (sent.get(f.n) ?? []).filter((x) => x <= f.presented).at(-1);
      if (t === undefined) continue;
      lat.push(f.presented - t);
      if (f.presented - firstAt > (SECONDS * 1000) / 2) steady.push(f.presented - t);
    }
    lat.sort((a, b) => a - b);
    steady.sort((a, b) => a - b);
    results.push({
      name: run.name,
      frames: lat.length,
      p50: percentile(lat, 50),
      p95: percentile(lat, 95),
      max: lat.at(-1) ?? NaN,
      steadyP50: percentile(steady, 50),
      steadyP95: percentile(steady, 95),
      firstFrame: data.firstFrameMs ?? NaN,
      errors: errors.length,
    });
  }
} finally {
  await browser.close();
  await relay.close();
  await stream.close();
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}
const f = (n) => (Number.isFinite(n) ? n.toFixed(1).padStart(7) : '    n/a');
console.log(`\nsent -> presented over ${SECONDS} s, 640x480 Baseline 30 fps, headless Chromium`);
console.log(
  'path                              frames    p50 ms   p95 ms   max ms  first-frame ms  errors',
);
for (const r of results) {
  console.log(
    `${r.name.padEnd(34)}${String(r.frames).padStart(6)}  ${f(r.p50)}  ${f(r.p95)}  ${f(r.max)}  ${f(r.firstFrame).padStart(14)}  ${f(r.steadyP50)} /${f(r.steadyP95)}  ${r.errors}`,
  );
}
