// Load benchmark for `h264mux serve` (npm run bench:serve).
//
// One relay child process plays a 1080p30 ~4 Mbit/s clip (--file --loop); 200 viewers on 127.0.0.1
// (half chunked HTTP, half WebSocket with access-unit framing) join during the first seconds and
// stay for the run. Every viewer's bytes go through the core's AccessUnitReader: the stream must start
// at a keyframe (SPS/PPS first), every AU must parse, and each WebSocket message must be exactly one AU.
// Reported: relay CPU and RSS (from its /status), time to first keyframe per viewer (p50/p95/max),
// skips, then the same with the GOP cache disabled (--no-gop-cache) for comparison.
//
// Options (env): VIEWERS=200 SECONDS=30 NOCACHE_SECONDS=12 JOIN_SPREAD_MS=3000 JSON=path
// Bounded: fixed viewer count and durations, loopback only, the child is killed at the end.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const VIEWERS = Number(process.env.VIEWERS ?? 200);
const SECONDS = Number(process.env.SECONDS ?? 30);
const NOCACHE_SECONDS = Number(process.env.NOCACHE_SECONDS ?? 12);
const JOIN_SPREAD_MS = Number(process.env.JOIN_SPREAD_MS ?? 3000);

const serveJs = join(root, 'dist-lib/cli/serve/index.js');
const coreJs = join(root, 'dist-lib/core/index.js');
if (!existsSync(serveJs) || !existsSync(coreJs)) {
  console.log('building dist-lib (npm run build:lib)...');
  const r = spawnSync('npm', ['run', 'build:lib'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
}
const { AccessUnitReader } = await import(pathToFileURL(coreJs).href);

const work = mkdtempSync(join(tmpdir(), 'h264mux-bench-serve-'));
const clip = join(work, 'clip1080p30.h264');
console.log('generating a 10 s 1920x1080 30 fps ~4 Mbit/s clip (ffmpeg testsrc2, keyint 30)...');
const gen = spawnSync('ffmpeg', [
  '-hide_banner',
  '-loglevel',
  'error',
  '-y',
  '-f',
  'lavfi',
  '-i',
  'testsrc2=size=1920x1080:rate=30:duration=10',
  '-c:v',
  'libx264',
  '-profile:v',
  'main',
  '-preset',
  'ultrafast',
  '-pix_fmt',
  'yuv420p',
  '-x264-params',
  'keyint=30:min-keyint=30:scenecut=0:bframes=0:repeat-headers=1',
  '-b:v',
  '4M',
  '-maxrate',
  '4M',
  '-bufsize',
  '2M',
  '-f',
  'h264',
  clip,
]);
if (gen.status !== 0) {
  console.error(gen.stderr.toString());
  process.exit(1);
}
console.log(
  `clip: ${(statSync(clip).size / 1e6).toFixed(2)} MB (${((statSync(clip).size * 8) / 10 / 1e6).toFixed(2)} Mbit/s)`,
);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

function startRelay(extra) {
  return new Promise((resolve, reject) => {
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
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        ...extra,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (b) => {
      out += b.toString();
      const m = /open http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.stderr.on('data', (b) => process.stderr.write(`[relay] ${b}`));
    child.on('exit', (c) => reject(new Error(`relay exited with ${c}`)));
  });
}

async function status(port) {
  const res = await fetch(`http://127.0.0.1:${port}/status`);
  return res.json();
}

/** One viewer: collects and checks its stream with the core as it arrives. */
function viewer(kind, port, startedAt) {
  const v = {
    kind,
    t0: performance.now(),
    ttfk: NaN,
    bytes: 0,
    aus: 0,
    keyframes: 0,
    startsAtKeyframe: undefined,
    paramSetsFirst: undefined,
    badMessages: 0,
    error: undefined,
    close: () => undefined,
  };
  const reader = new AccessUnitReader();
  const onAus = (aus) => {
    for (const au of aus) {
      if (v.aus === 0) {
        v.startsAtKeyframe = au.keyframe;
        v.ttfk = performance.now() - v.t0;
      }
      v.aus++;
      if (au.keyframe) v.keyframes++;
    }
  };
  const firstBytes = (b) => {
    if (v.paramSetsFirst !== undefined) return;
    // First NAL: SPS (7) after a 3- or 4-byte start code.
    const i = b[2] === 1 ? 3 : 4;
    v.paramSetsFirst = (b[i] & 0x1f) === 7;
  };
  try {
    if (kind === 'http') {
      const req = get(`http://127.0.0.1:${port}/stream.h264`, (res) => {
        res.on('data', (b) => {
          firstBytes(b);
          v.bytes += b.length;
          onAus(reader.push(b));
        });
        res.on('error', () => undefined);
      });
      req.on('error', (e) => (v.error ??= e.message));
      v.close = () => req.destroy();
    } else {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/stream`, { perMessageDeflate: false });
      ws.on('message', (b, isBinary) => {
        if (!isBinary) return;
        firstBytes(b);
        v.bytes += b.length;
        // Exactly one AU per message: the reader, told the message ends an AU, returns one.
        const aus = reader.push(b, true);
        if (aus.length !== 1) v.badMessages++;
        onAus(aus);
      });
      ws.on('error', (e) => (v.error ??= e.message));
      v.close = () => ws.terminate();
    }
  } catch (e) {
    v.error = String(e);
  }
  void startedAt;
  return v;
}

async function run(label, extra, seconds) {
  const { child, port } = await startRelay(extra);
  // Let the source reach steady state (and, for the cache run, fill the GOP cache).
  await sleep(1200);
  const s0 = await status(port);
  const wall0 = performance.now();
  let peakRss = s0.process.rss;
  const viewers = [];
  const joinTimer = (async () => {
    for (let i = 0; i < VIEWERS; i++) {
      viewers.push(viewer(i % 2 === 0 ? 'http' : 'ws', port, wall0));
      await sleep(JOIN_SPREAD_MS / VIEWERS);
    }
  })();
  const end = wall0 + seconds * 1000;
  while (performance.now() < end) {
    await sleep(1000);
    const s = await status(port);
    peakRss = Math.max(peakRss, s.process.rss);
  }
  await joinTimer;
  const s1 = await status(port);
  const wall1 = performance.now();
  for (const v of viewers) v.close();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));

  const cpuMs =
    (s1.process.cpu.user + s1.process.cpu.system - s0.process.cpu.user - s0.process.cpu.system) /
    1000;
  const ttfk = viewers.map((v) => v.ttfk).filter((x) => Number.isFinite(x));
  const invalid = viewers.filter(
    (v) =>
      v.error ||
      v.badMessages > 0 ||
      v.startsAtKeyframe !== true ||
      v.paramSetsFirst !== true ||
      v.aus === 0,
  );
  const expectedAus = (seconds - JOIN_SPREAD_MS / 1000) * 30;
  const r = {
    label,
    viewers: viewers.length,
    seconds,
    relayCpuPercent: Math.round((cpuMs / (wall1 - wall0)) * 1000) / 10,
    relayRssMB: Math.round(s1.process.rss / 1e5) / 10,
    relayPeakRssMB: Math.round(peakRss / 1e5) / 10,
    relayBytesOutMB: Math.round((s1.bytesOut - s0.bytesOut) / 1e5) / 10,
    relayFps: s1.fps,
    skips: s1.skips,
    ttfkMs: {
      p50: Math.round(pct(ttfk, 50)),
      p95: Math.round(pct(ttfk, 95)),
      max: Math.round(Math.max(...ttfk)),
      http_p95: Math.round(
        pct(
          viewers.filter((v) => v.kind === 'http').map((v) => v.ttfk),
          95,
        ),
      ),
      ws_p95: Math.round(
        pct(
          viewers.filter((v) => v.kind === 'ws').map((v) => v.ttfk),
          95,
        ),
      ),
    },
    validViewers: viewers.length - invalid.length,
    invalid: invalid.slice(0, 5).map((v) => ({
      kind: v.kind,
      error: v.error,
      badMessages: v.badMessages,
      startsAtKeyframe: v.startsAtKeyframe,
      paramSetsFirst: v.paramSetsFirst,
      aus: v.aus,
    })),
    ausPerViewer: {
      min: Math.min(...viewers.map((v) => v.aus)),
      median: pct(
        viewers.map((v) => v.aus),
        50,
      ),
      expectedAtLeast: Math.round(expectedAus * 0.9),
    },
  };
  return r;
}

try {
  const withCache = await run('GOP cache', [], SECONDS);
  console.log(JSON.stringify(withCache, null, 2));
  const withoutCache = await run('no GOP cache', ['--no-gop-cache'], NOCACHE_SECONDS);
  console.log(JSON.stringify(withoutCache, null, 2));
  console.log(
    '\n| run | viewers | s | relay CPU % | RSS MB (peak) | out MB | skips | TTFK p50 / p95 / max ms | valid |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of [withCache, withoutCache]) {
    console.log(
      `| ${r.label} | ${r.viewers} | ${r.seconds} | ${r.relayCpuPercent} | ${r.relayRssMB} (${r.relayPeakRssMB}) | ${r.relayBytesOutMB} | ${r.skips} | ${r.ttfkMs.p50} / ${r.ttfkMs.p95} / ${r.ttfkMs.max} | ${r.validViewers}/${r.viewers} |`,
    );
  }
  if (process.env.JSON)
    writeFileSync(process.env.JSON, JSON.stringify({ withCache, withoutCache }, null, 2));
  const ok =
    withCache.validViewers === withCache.viewers &&
    withoutCache.validViewers === withoutCache.viewers &&
    withCache.ttfkMs.p95 < 100 &&
    withCache.ausPerViewer.min >= withCache.ausPerViewer.expectedAtLeast;
  console.log(
    ok ? '\nPASS: every viewer valid, TTFK p95 < 100 ms with the GOP cache' : '\nFAIL (see above)',
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
