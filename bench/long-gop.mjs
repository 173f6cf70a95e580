// Memory of `h264mux convert` on a stream that is one endless GOP (a single IDR, then only P frames), the case
// the 'gop' fragment limits (maxFragmentFrames / maxFragmentBytes) are there for. Prints peak RSS for a quarter
// of the input and for all of it, per output layout: it must not grow with the input.
//   npm run bench:long-gop
//   LONG_GOP_SECONDS=60 npm run bench:long-gop      (720p30 at 24 Mbit/s: about 2.3 MB per second)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureLibBuilt, LIB_CLI } from '../scripts/lib-build.mjs';

const SECONDS = Number(process.env.LONG_GOP_SECONDS ?? 30);
const MiB = 1 << 20;
const PEAK_RSS_HOOK = pathToFileURL(
  join(dirname(fileURLToPath(import.meta.url)), 'peak-rss-hook.mjs'),
).href;

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 * MiB });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r;
}

/** Peak RSS in MiB of `node <args>`. */
function peakRss(args) {
  const r = run(process.execPath, ['--import', PEAK_RSS_HOOK, ...args]);
  const match = /peak-rss (\d+)\s*$/.exec(r.stderr);
  if (!match) throw new Error(`no peak RSS reported: ${r.stderr}`);
  return Number(match[1]) / 1024;
}

ensureLibBuilt({ log: console.log });
const dir = mkdtempSync(join(tmpdir(), 'h264mux-long-gop-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const full = join(dir, 'one-gop.h264');
const t0 = performance.now();
// -g 100000 and no scene-cut keyframes: one IDR for the whole stream.
run('ffmpeg', [
  ...['-hide_banner', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30'],
  ...['-t', String(SECONDS), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
  ...['-g', '100000', '-sc_threshold', '0', '-b:v', '24M', '-maxrate', '24M', '-bufsize', '24M'],
  ...['-f', 'h264', full],
]);
const keyframes = run('ffprobe', [
  ...[
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'frame=key_frame',
    '-of',
    'csv=p=0',
  ],
  full,
])
  .stdout.split('\n')
  .filter((l) => l.split(',')[0] === '1').length;
const size = statSync(full).size;
// A prefix of a raw stream is a stream (its last frame possibly cut, which the transmuxer drops).
const quarter = join(dir, 'quarter.h264');
writeFileSync(quarter, readFileSync(full).subarray(0, Math.floor(size / 4)));
console.log(
  `input: ${(size / 1e6).toFixed(0)} MB, ${SECONDS} s of 720p30 with ${keyframes} keyframe(s), generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);

const out = join(dir, 'out.mp4');
const layouts = {
  "fragmented, 'gop' (the default)": [],
  "fragmented, 'frame'": ['--fragment', 'frame'],
  faststart: ['--faststart'],
};
const floor = peakRss(['-e', '0']);
console.log(`node -e 0: ${floor.toFixed(0)} MiB peak RSS`);
for (const [name, flags] of Object.entries(layouts)) {
  const rss = [quarter, full].map((input) =>
    peakRss([LIB_CLI, 'convert', input, '-o', out, '-y', '-q', ...flags]),
  );
  console.log(
    `${name.padEnd(32)} peak RSS ${rss[0].toFixed(0)} MiB for ${(size / 4e6).toFixed(0)} MB in, ${rss[1].toFixed(0)} MiB for ${(size / 1e6).toFixed(0)} MB in`,
  );
}
console.log('(figures are only meaningful on a quiet machine)');
