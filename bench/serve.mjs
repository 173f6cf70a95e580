// Load benchmark for `h264mux serve` (npm run bench:serve).
//
// One relay child process plays a 1080p30 ~4 Mbit/s clip (--file --loop); 200 viewers on 127.0.0.1
// (half chunked HTTP, half WebSocket with access-unit framing) join during the first seconds and
// stay for the run. Every viewer's bytes go through the core's AccessUnitReader: the stream must start
// at a keyframe (SPS/PPS first), every byte must belong to a whole AU, and each WebSocket message must
// be exactly one AU (bench/relay-harness.mjs).
// Reported: relay CPU and RSS (from its /status), time to first keyframe per viewer (p50/p95/max),
// skips, then the same with the GOP cache disabled (--no-gop-cache) for comparison.
//
// Options (env): VIEWERS=200 SECONDS=30 NOCACHE_SECONDS=12 JOIN_SPREAD_MS=3000 JSON=path
// Bounded: fixed viewer count and durations, loopback only, the child is killed at the end.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  makeClip,
  percentile as pct,
  relayStatus as status,
  sleep,
  startRelay,
  stopRelay,
  viewer,
} from './relay-harness.mjs';

const VIEWERS = Number(process.env.VIEWERS ?? 200);
const SECONDS = Number(process.env.SECONDS ?? 30);
const NOCACHE_SECONDS = Number(process.env.NOCACHE_SECONDS ?? 12);
const JOIN_SPREAD_MS = Number(process.env.JOIN_SPREAD_MS ?? 3000);

const work = mkdtempSync(join(tmpdir(), 'h264mux-bench-serve-'));
const clip = makeClip(work, { seconds: 10 });

async function run(label, extra, seconds) {
  const { child, port } = await startRelay(['--file', clip, '--loop', ...extra]);
  // Let the source reach steady state (and, for the cache run, fill the GOP cache).
  await sleep(1200);
  const s0 = await status(port);
  const wall0 = performance.now();
  let peakRss = s0.process.rss;
  const viewers = [];
  const joinTimer = (async () => {
    for (let i = 0; i < VIEWERS; i++) {
      viewers.push(viewer(i % 2 === 0 ? 'http' : 'ws', port));
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
  await stopRelay(child);

  const cpuMs =
    (s1.process.cpu.user + s1.process.cpu.system - s0.process.cpu.user - s0.process.cpu.system) /
    1000;
  const ttfk = viewers.map((v) => v.ttfk).filter((x) => Number.isFinite(x));
  const invalid = viewers.filter((v) => !v.valid());
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
      strayBytes: v.strayBytes,
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
