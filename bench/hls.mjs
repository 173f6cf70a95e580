// LL-HLS behind nginx (npm run bench:hls): does one relay stay flat whatever the viewer count, and what
// latency does a viewer get?
//
// 1. Load. A relay child process (`serve --file clip --loop --hls`, a light 640x360 clip) behind nginx started with the documented
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
// Env: PHASES=10,100,1000 PHASE_SECONDS=15 RAMP_SECONDS=3 LATENCY_SECONDS=20 VIEWER_PROCS=2 LOAD_KBPS=300 (the viewers
// run in bench/hls-viewers.mjs child processes). Bounded in time; every child
// process is stopped at the end. The figures are meaningful on a quiet machine only.
import { fork, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureLibBuilt } from '../scripts/lib-build.mjs';
import { startNginx } from '../scripts/nginx.mjs';
import { startStreamServer } from '../test/e2e/support/stream-server.mjs';
import { analyse, makeStream, percentile, runPage, SendLogs, settle } from './latency-harness.mjs';
import { ENGINES } from './latency-rig.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PHASES = (process.env.PHASES ?? '10,100,1000').split(',').map(Number);
const PHASE_SECONDS = Number(process.env.PHASE_SECONDS ?? 15);
const RAMP_SECONDS = Number(process.env.RAMP_SECONDS ?? 3);
const LATENCY_SECONDS = Number(process.env.LATENCY_SECONDS ?? 20);
const VIEWER_PROCS = Number(process.env.VIEWER_PROCS ?? 2);

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
const clip = makeStream(work, { seconds: 30, fps: 30 });
// The load phase measures requests, not bandwidth: a light clip keeps 1000 viewers' bytes (here all
// through one machine's loopback and two cores) from being the limit. LOAD_KBPS sets its bitrate.
const LOAD_KBPS = Number(process.env.LOAD_KBPS ?? 300);
const loadClip = join(work, 'load.h264');
const gen = spawnSync(
  'ffmpeg',
  [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=640x360:rate=30',
    '-t',
    '10',
    '-c:v',
    'libx264',
    '-profile:v',
    'main',
    '-bf',
    '0',
    '-g',
    '30',
    '-b:v',
    `${LOAD_KBPS}k`,
    '-maxrate',
    `${LOAD_KBPS}k`,
    '-bufsize',
    `${LOAD_KBPS}k`,
    '-f',
    'h264',
    loadClip,
  ],
  { encoding: 'utf8' },
);
if (gen.status !== 0) throw new Error(`ffmpeg failed: ${gen.stderr}`);

// ---- helpers ----

async function json(url) {
  const res = await fetch(url);
  return res.json();
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
        loadClip,
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
const procs = Array.from({ length: VIEWER_PROCS }, () =>
  fork(join(ROOT, 'bench/hls-viewers.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
);
/** Sends `message` to every viewer process and collects one answer of `type` from each. */
function ask(message, type) {
  return Promise.all(
    procs.map(
      (p, i) =>
        new Promise((resolveAnswer) => {
          const on = (m) => {
            if (m.type !== type) return;
            p.off('message', on);
            resolveAnswer(m);
          };
          p.on('message', on);
          p.send(typeof message === 'function' ? message(i) : message);
        }),
    ),
  );
}
const results = [];
let total = {
  parts: 0,
  bytes: 0,
  behind: 0,
  viewersBehind: 0,
  viewersWithErrors: 0,
  firstErrors: [],
};
try {
  // Wait for a few segments in the window.
  for (;;) {
    const r = await fetch(`${relayBase}/hls/live.m3u8`);
    if (r.status === 200 && (await r.text()).split('#EXTINF').length > 3) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  let count = 0;
  for (const target of PHASES) {
    const add = target - count;
    await ask(
      (i) => ({
        type: 'add',
        base: nginx.base,
        count: Math.floor(add / VIEWER_PROCS) + (i < add % VIEWER_PROCS ? 1 : 0),
        rampMs: RAMP_SECONDS * 1000,
      }),
      'added',
    );
    count = target;
    await new Promise((res) => setTimeout(res, 2000)); // settle after the ramp
    // Start the phase's delay samples afresh; counters are totals, taken as differences.
    const before = await ask({ type: 'report' }, 'report');
    const s0 = await json(`${relayBase}/status`);
    const n0 = cpuSeconds(nginx.pid, true);
    const t0 = performance.now();
    let peakRss = s0.process.rss;
    while (performance.now() < t0 + PHASE_SECONDS * 1000) {
      await new Promise((res) => setTimeout(res, 1000));
      peakRss = Math.max(peakRss, (await json(`${relayBase}/status`)).process.rss);
    }
    const s1 = await json(`${relayBase}/status`);
    const n1 = cpuSeconds(nginx.pid, true);
    const reports = await ask({ type: 'report' }, 'report');
    const seconds = (performance.now() - t0) / 1000;
    const req = (k) => (s1.hls.requests[k] - s0.hls.requests[k]) / seconds;
    const relayCpu =
      (s1.process.cpu.user + s1.process.cpu.system - s0.process.cpu.user - s0.process.cpu.system) /
      1e6 /
      seconds;
    // How long after the first viewer each (sampled) viewer had a part: the cache's fan-out delay.
    const first = new Map();
    for (const r of reports)
      for (const [n, t] of r.firstSeen) if (!first.has(n) || first.get(n) > t) first.set(n, t);
    const delays = reports
      .flatMap((r) => r.sampled)
      .filter(([n]) => first.has(n))
      .map(([n, t]) => t - first.get(n))
      .sort((a, b) => a - b);
    const sum = (k) => reports.reduce((n, r) => n + r[k], 0);
    const phaseParts = sum('parts') - before.reduce((n, r) => n + r.parts, 0);
    total = {
      parts: sum('parts'),
      bytes: sum('bytes'),
      behind: sum('behind'),
      viewersBehind: sum('viewersBehind'),
      viewersWithErrors: sum('viewersWithErrors'),
      firstErrors: reports.flatMap((r) => r.firstErrors).slice(0, 3),
    };
    const r = {
      viewers: count,
      relay: req('blockingPlaylist') + req('playlist') + req('part') + req('segment') + req('init'),
      blocking: req('blockingPlaylist'),
      bare: req('playlist'),
      parts: req('part'),
      published: (s1.hls.nextPart - s0.hls.nextPart) / seconds,
      viewerParts: phaseParts / seconds,
      relayCpu: relayCpu * 100,
      relayRssMB: peakRss / 1e6,
      nginxCpu: ((n1 - n0) / seconds) * 100,
      delayP50: percentile(delays, 50),
      delayP95: percentile(delays, 95),
    };
    results.push(r);
    console.log(
      `${String(r.viewers).padStart(5)} viewers: relay ${r.relay.toFixed(1)} req/s (${r.blocking.toFixed(1)} blocking playlist, ${r.bare.toFixed(1)} bare, ${r.parts.toFixed(1)} parts) for ${r.published.toFixed(1)} parts published/s; viewers got ${r.viewerParts.toFixed(0)} parts/s (${((r.viewerParts / r.viewers / r.published) * 100).toFixed(0)}% of all), a part ${r.delayP50.toFixed(0)}/${r.delayP95.toFixed(0)} ms (p50/p95) after its first viewer; relay CPU ${r.relayCpu.toFixed(1)}% RSS ${r.relayRssMB.toFixed(0)} MB; nginx CPU ${r.nginxCpu.toFixed(1)}%; viewers behind ${total.viewersBehind}, with errors ${total.viewersWithErrors}`,
    );
  }
} finally {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise((res) => {
          const timer = setTimeout(() => p.kill('SIGKILL'), 15_000);
          p.once('exit', () => {
            clearTimeout(timer);
            res(undefined);
          });
          p.send({ type: 'stop' });
        }),
    ),
  );
  await nginx.stop();
  relay.child.kill('SIGTERM');
}
console.log(
  `parts received ${total.parts} (${(total.bytes / 1e6).toFixed(0)} MB); parts skipped by viewers that fell behind the window: ${total.behind}; viewers with errors: ${total.viewersWithErrors}${total.firstErrors.length > 0 ? ` (${total.firstErrors.join('; ')})` : ''}`,
);

// ---- 2. latency: frame sent to the relay -> presented ----

const FPS = 30;
const logs = new SendLogs();
const stream = await startStreamServer({
  file: clip,
  fps: FPS,
  clock: 'shared',
  loop: true,
  onFrameSent: logs.onFrameSent,
});
const { startServe } = await import(pathToFileURL(serveJs).href);
const before = logs.mark();
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
// Every path reads the relay's one upstream connection: latency = presented - sent to the relay.
let upstream;
for (let i = 0; i < 100 && !upstream; i++) {
  upstream = logs.newClients(before)[0];
  if (upstream === undefined) await settle(100);
}
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
const browser = await ENGINES.chromium.launch();
try {
  await settle(5000); // a few segments in the window
  for (const run of latencyRuns) {
    await settle();
    const page = await runPage(browser, run.url, {
      seconds: LATENCY_SECONDS,
      firstFrameTimeout: 30_000,
    });
    if (!page.shown) {
      latency.push({ name: run.name, frames: 0, p50: NaN, p95: NaN, errors: page.errors.length });
      continue;
    }
    const frames = page.bench.frames.filter((f) => f.from === page.bench.firstFrameFrom);
    const figures = analyse(frames, logs.byClient.get(upstream), {
      fps: FPS,
      windowMs: LATENCY_SECONDS * 1000,
      lateMs: 1000 / FPS,
    });
    latency.push({
      name: run.name,
      frames: figures.frames,
      p50: figures.p50,
      p95: figures.p95,
      errors: page.errors.length,
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
  `\nlatency (frame sent to the relay -> presented), ${LATENCY_SECONDS} s per path, headless Chromium`,
);
console.log('path                                 frames   p50 ms  p95 ms  errors');
for (const r of latency)
  console.log(
    `${r.name.padEnd(36)}${String(r.frames).padStart(6)}  ${f(r.p50)}  ${f(r.p95)}  ${r.errors}`,
  );
console.log('\n(figures from this machine as it is; take final ones on a quiet machine)');
