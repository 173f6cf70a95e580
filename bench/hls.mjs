// LL-HLS behind nginx (npm run bench:hls): does one relay stay flat whatever the viewer count, and what
// latency does a viewer get?
//
// 1. Load. A relay child process (`serve --file clip --loop --hls`) behind nginx started with the documented
//    docs/nginx-hls.conf (scripts/nginx.mjs), and simulated LL-HLS viewers in this process doing what hls.js
//    does in low-latency mode: a blocking playlist reload for the next part (`_HLS_msn`/`_HLS_part`) and,
//    at the same time, the part named by the preload hint; parts a reload lists that the viewer does not
//    have are fetched too. Keep-alive agents, loopback only. For 10, 100 and 1000 viewers (PHASES), after
//    a ramp: requests that reached the relay per second (its /status counters), nginx CPU (master and
//    workers, /proc), relay CPU and RSS, and per viewer: every part a sequence of moof+mdat whose mfhd
//    numbers continue the previous part's (parts valid and in order, none missing).
// 2. Latency. The barcode clip of bench/latency.mjs sent in real time by the test stream server to an
//    in-process relay (`--url`, `--hls`) behind nginx; headless Chromium opens the page with
//    ?src=<nginx>/hls/live.m3u8 (hls.js, low-latency mode) and reads the frame number of each presented
//    frame: presented minus sent. The relay's own WebSocket path runs in the same way for comparison.
//
// Env: PHASES=10,100,1000 PHASE_SECONDS=15 RAMP_SECONDS=3 LATENCY_SECONDS=20. Bounded in time; every child
// process is stopped at the end. The figures are meaningful on a quiet machine only.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { chromiumLaunchOptions } from '../scripts/browser.mjs';
import { ensureLibBuilt } from '../scripts/lib-build.mjs';
import { startNginx } from '../scripts/nginx.mjs';
import { startStreamServer } from '../test/e2e/support/stream-server.mjs';
import {
  BITS,
  BOX,
  firstFrame,
  makeStream,
  measureScript,
  percentile,
  settle,
} from './latency-harness.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PHASES = (process.env.PHASES ?? '10,100,1000').split(',').map(Number);
const PHASE_SECONDS = Number(process.env.PHASE_SECONDS ?? 15);
const RAMP_SECONDS = Number(process.env.RAMP_SECONDS ?? 3);
const LATENCY_SECONDS = Number(process.env.LATENCY_SECONDS ?? 20);

ensureLibBuilt({ log: (l) => console.log(l) });
if (
  !readdirSync(ROOT).includes('dist') ||
  !readdirSync(join(ROOT, 'dist')).includes('index.html')
) {
  const r = spawnSync('npx', ['vite', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
}
const serveJs = join(ROOT, 'dist-lib/cli/serve/index.js'); // built by build:lib with LIB_CLI
const work = mkdtempSync(join(tmpdir(), 'h264mux-bench-hls-'));
console.log('generating the 640x480 30 fps barcode clip (keyframe every second)...');
const clip = makeStream(work, 30);

// ---- helpers ----

const agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 4096 });

/** GET → { status, body: Buffer }. */
function fetchBuffer(url) {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${url}`)));
  });
}

async function json(url) {
  return JSON.parse((await fetchBuffer(url)).body.toString());
}

/** The playlist facts a viewer needs: the last part (msn, index, uri) and the hinted part's URI. */
function parsePlaylist(text) {
  let msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1] ?? NaN);
  let index = -1;
  const parts = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#EXT-X-PART:')) {
      index++;
      parts.push({ msn, index, uri: /URI="([^"]+)"/.exec(line)[1] });
    } else if (line !== '' && !line.startsWith('#')) {
      msn++;
      index = -1;
    }
  }
  const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(text)?.[1];
  return { parts, hint };
}

const partNumber = (uri) => Number(/\/p(\d+)\.m4s$/.exec(uri)?.[1] ?? NaN);

/** mfhd sequence numbers of a part that is a run of moof+mdat pairs; undefined when it is not. */
function fragmentSequences(buf) {
  const out = [];
  let o = 0;
  let i = 0;
  while (o < buf.length) {
    if (o + 8 > buf.length) return undefined;
    const size = buf.readUInt32BE(o);
    const type = buf.toString('latin1', o + 4, o + 8);
    if (size < 8 || o + size > buf.length || type !== (i % 2 === 0 ? 'moof' : 'mdat'))
      return undefined;
    if (type === 'moof') {
      // moof > mfhd: size, 'mfhd', version and flags, sequence_number
      if (buf.toString('latin1', o + 12, o + 16) !== 'mfhd') return undefined;
      out.push(buf.readUInt32BE(o + 20));
    }
    o += size;
    i++;
  }
  return i > 0 && i % 2 === 0 ? out : undefined;
}

/** One simulated LL-HLS viewer (hls.js in low-latency mode, as far as requests go). */
class Viewer {
  constructor(base) {
    this.base = base;
    this.parts = 0;
    this.bytes = 0;
    this.errors = [];
    this.lastPart = -1;
    this.lastSequence = -1;
    this.stopped = false;
  }

  async run() {
    const first = parsePlaylist((await fetchBuffer(`${this.base}/hls/live.m3u8`)).body.toString());
    // Start a few parts back from the edge (PART-HOLD-BACK is three parts), at an independent part in
    // hls.js; here the first part we take is simply three from the end.
    let have = first.parts.at(-4) ?? first.parts[0];
    if (!have) throw new Error('empty playlist');
    await this.take(have.uri);
    let known = first;
    while (!this.stopped) {
      // Missing listed parts first, in order.
      for (const p of known.parts) {
        if (partNumber(p.uri) > this.lastPart && !this.stopped) await this.take(p.uri);
      }
      const last = known.parts.at(-1);
      const nextMsn = last.msn;
      const nextIndex = last.index + 1;
      const hinted = known.hint;
      const [reload] = await Promise.all([
        fetchBuffer(`${this.base}/hls/live.m3u8?_HLS_msn=${nextMsn}&_HLS_part=${nextIndex}`),
        hinted && partNumber(hinted) === this.lastPart + 1 ? this.take(hinted) : undefined,
      ]);
      if (reload.status !== 200) {
        this.errors.push(`playlist ${reload.status}`);
        await new Promise((r) => setTimeout(r, 300));
        known = parsePlaylist((await fetchBuffer(`${this.base}/hls/live.m3u8`)).body.toString());
        continue;
      }
      known = parsePlaylist(reload.body.toString());
    }
  }

  async take(uri) {
    const n = partNumber(uri);
    const r = await fetchBuffer(`${this.base}/hls/${uri}`);
    if (r.status !== 200) {
      this.errors.push(`part ${n}: HTTP ${r.status}`);
      return;
    }
    const seq = fragmentSequences(r.body);
    if (!seq) this.errors.push(`part ${n}: not moof+mdat pairs`);
    else {
      if (this.lastPart >= 0 && n !== this.lastPart + 1)
        this.errors.push(`part ${n} after ${this.lastPart}`);
      if (this.lastSequence >= 0 && seq[0] !== this.lastSequence + 1)
        this.errors.push(`part ${n}: fragment ${seq[0]} after ${this.lastSequence}`);
      for (let i = 1; i < seq.length; i++)
        if (seq[i] !== seq[i - 1] + 1) this.errors.push(`part ${n}: fragments out of order`);
      this.lastSequence = seq.at(-1);
    }
    this.lastPart = n;
    this.parts++;
    this.bytes += r.body.length;
  }
}

/** user+system CPU seconds of a process and its direct children (nginx master + workers). */
function cpuSeconds(pid, withChildren) {
  const ticks = (p) => {
    const f = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(f[11]) + Number(f[12]);
  };
  let total = ticks(pid);
  if (withChildren) {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const f = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ');
        if (Number(f[1]) === pid) total += ticks(Number(d));
      } catch {
        // gone meanwhile
      }
    }
  }
  return total / 100; // USER_HZ
}

function startRelayProcess() {
  return new Promise((resolvePromise, reject) => {
    const code = `import { runServe } from ${JSON.stringify(pathToFileURL(serveJs).href)};
process.exitCode = await runServe(process.argv.slice(1));`;
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        code,
        '--',
        '--file',
        clip,
        '--loop',
        '--hls',
        '--host',
        '127.0.0.1',
        '--port',
        '0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (b) => {
      out += b.toString();
      const m = /open http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) resolvePromise({ child, port: Number(m[1]) });
    });
    child.stderr.on('data', (b) => process.stderr.write(`[relay] ${b}`));
    child.on('exit', (c) => reject(new Error(`relay exited with ${c}`)));
  });
}

// ---- 1. load ----

const relay = await startRelayProcess();
const relayBase = `http://127.0.0.1:${relay.port}`;
const nginx = await startNginx({ relayPort: relay.port });
const results = [];
const viewers = [];
const runs = [];
try {
  // Wait for a few segments in the window.
  for (;;) {
    const r = await fetchBuffer(`${relayBase}/hls/live.m3u8`);
    if (r.status === 200 && r.body.toString().split('#EXTINF').length > 3) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  for (const target of PHASES) {
    const add = target - viewers.length;
    for (let i = 0; i < add; i++) {
      const v = new Viewer(nginx.base);
      viewers.push(v);
      runs.push(v.run().catch((e) => v.errors.push(`stopped: ${e.message}`)));
      await new Promise((res) => setTimeout(res, (RAMP_SECONDS * 1000) / Math.max(1, add)));
    }
    await new Promise((res) => setTimeout(res, 1000)); // settle after the ramp
    const s0 = await json(`${relayBase}/status`);
    const n0 = cpuSeconds(nginx.pid, true);
    const parts0 = viewers.reduce((n, v) => n + v.parts, 0);
    const t0 = performance.now();
    let peakRss = s0.process.rss;
    const until = t0 + PHASE_SECONDS * 1000;
    while (performance.now() < until) {
      await new Promise((res) => setTimeout(res, 1000));
      peakRss = Math.max(peakRss, (await json(`${relayBase}/status`)).process.rss);
    }
    const s1 = await json(`${relayBase}/status`);
    const n1 = cpuSeconds(nginx.pid, true);
    const seconds = (performance.now() - t0) / 1000;
    const req = (k) => (s1.hls.requests[k] - s0.hls.requests[k]) / seconds;
    const relayCpu =
      (s1.process.cpu.user + s1.process.cpu.system - s0.process.cpu.user - s0.process.cpu.system) /
      1e6 /
      seconds;
    const partsPerSecond = (s1.hls.nextPart - s0.hls.nextPart) / seconds;
    results.push({
      viewers: viewers.length,
      relayRequestsPerSecond:
        req('blockingPlaylist') + req('playlist') + req('part') + req('segment') + req('init'),
      blockingPlaylist: req('blockingPlaylist'),
      bare: req('playlist'),
      parts: req('part'),
      partsPublished: partsPerSecond,
      viewerPartsPerSecond: (viewers.reduce((n, v) => n + v.parts, 0) - parts0) / seconds,
      relayCpu: relayCpu * 100,
      relayRssMB: peakRss / 1e6,
      nginxCpu: ((n1 - n0) / seconds) * 100,
      viewersWithErrors: viewers.filter((v) => v.errors.length > 0).length,
    });
    const r = results.at(-1);
    console.log(
      `${String(r.viewers).padStart(5)} viewers: relay ${r.relayRequestsPerSecond.toFixed(1)} req/s (${r.blockingPlaylist.toFixed(1)} blocking playlist, ${r.bare.toFixed(1)} bare, ${r.parts.toFixed(1)} parts; ${r.partsPublished.toFixed(1)} parts published/s), viewers got ${r.viewerPartsPerSecond.toFixed(0)} parts/s, relay CPU ${r.relayCpu.toFixed(1)}% RSS ${r.relayRssMB.toFixed(0)} MB, nginx CPU ${r.nginxCpu.toFixed(1)}%, viewers with errors ${r.viewersWithErrors}`,
    );
  }
} finally {
  for (const v of viewers) v.stopped = true;
  await Promise.race([Promise.all(runs), new Promise((res) => setTimeout(res, 12_000))]);
  agent.destroy();
  await nginx.stop();
  relay.child.kill('SIGTERM');
}
const bad = viewers.filter((v) => v.errors.length > 0);
console.log(
  `viewers: ${viewers.length}, parts received ${viewers.reduce((n, v) => n + v.parts, 0)}, ${(viewers.reduce((n, v) => n + v.bytes, 0) / 1e6).toFixed(0)} MB; with errors: ${bad.length}${bad.length > 0 ? ` (first: ${bad[0].errors.slice(0, 3).join('; ')})` : ''}`,
);

// ---- 2. glass-to-glass latency ----

let sent = new Map();
const stream = await startStreamServer({
  file: clip,
  fps: 30,
  clock: 'shared',
  loop: true,
  onFrameSent: (_client, frame, time) => {
    const list = sent.get(frame);
    if (list) list.push(time);
    else sent.set(frame, [time]);
  },
});
const { startServe } = await import(pathToFileURL(serveJs).href);
const relay2 = await startServe(
  {
    source: { kind: 'url', url: stream.httpUrl },
    host: '127.0.0.1',
    port: 0,
    staticDir: join(ROOT, 'dist'),
    gopCache: true,
    maxViewerBuffer: undefined,
    hls: true,
  },
  { log: () => undefined },
);
const nginx2 = await startNginx({ relayPort: relay2.port });
const base2 = `http://127.0.0.1:${relay2.port}`;
const latencyRuns = [
  {
    name: 'LL-HLS via nginx (hls.js)',
    url: `${nginx2.base}/?src=${encodeURIComponent(`${nginx2.base}/hls/live.m3u8`)}`,
  },
  {
    name: 'LL-HLS from the relay (hls.js)',
    url: `${base2}/?src=${encodeURIComponent(`${base2}/hls/live.m3u8`)}`,
  },
  { name: 'relay WebSocket (raw, AU-framed)', url: `${base2}/` },
];
const latency = [];
const browser = await chromium.launch(await chromiumLaunchOptions());
try {
  await new Promise((res) => setTimeout(res, 5000)); // a few segments in the window
  for (const run of latencyRuns) {
    await settle();
    sent = new Map();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.addInitScript(measureScript, { bits: BITS, box: BOX });
    const shown = firstFrame(page, 30_000);
    await page.goto(run.url);
    await shown;
    await page.waitForTimeout(LATENCY_SECONDS * 1000);
    const data = await page.evaluate(() => window.__bench);
    const errors = await page.evaluate(() => window.__h264mux?.errors ?? []);
    await context.close();
    const firstAt = data.frames[0]?.presented ?? 0;
    const steady = [];
    for (const f of data.frames) {
      const t = (sent.get(f.n) ?? []).filter((x) => x <= f.presented).at(-1);
      // The second half: after hls.js has settled on its live position.
      if (t !== undefined && f.presented - firstAt > (LATENCY_SECONDS * 1000) / 2)
        steady.push(f.presented - t);
    }
    steady.sort((a, b) => a - b);
    latency.push({
      name: run.name,
      frames: steady.length,
      p50: percentile(steady, 50),
      p95: percentile(steady, 95),
      errors: errors.length,
    });
  }
} finally {
  await browser.close();
  await nginx2.stop();
  await relay2.close();
  await stream.close();
  rmSync(work, { recursive: true, force: true });
}
const f = (n) => (Number.isFinite(n) ? n.toFixed(0).padStart(6) : '   n/a');
console.log(
  `\nglass-to-glass (sent -> presented), second half of ${LATENCY_SECONDS} s, headless Chromium`,
);
console.log('path                                 frames   p50 ms  p95 ms  errors');
for (const r of latency)
  console.log(
    `${r.name.padEnd(36)}${String(r.frames).padStart(6)}  ${f(r.p50)}  ${f(r.p95)}  ${r.errors}`,
  );
console.log('\n(figures from this machine as it is; take final ones on a quiet machine)');
