// Throughput benchmark: raw H.264 Annex-B -> fragmented MP4 on a ~80 MB 1080p30 input, ours side by side
// with jmuxer, mux.js (harnessed), `ffmpeg -c copy` and a start-code-scan+copy limit, all in ONE run.
// Medians over >= 5 iterations; memory of ours measured in a child process that streams from disk.
//   npm run bench          (node --expose-gc bench/throughput.mjs)
//   BENCH_MB=40 BENCH_ITER=7 npm run bench
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureLibBuilt, LIB_CLI, LIB_CORE } from '../scripts/lib-build.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(ROOT, 'package.json'));
const MiB = 1 << 20;
const TARGET_BYTES = Number(process.env.BENCH_MB ?? 80) * 1e6;
const ITER = Math.max(5, Number(process.env.BENCH_ITER ?? 7));
// The library, and the CLI as `npx h264mux` runs it: the bundled bin (package.json "bin").
const CORE = LIB_CORE;
const CLI = LIB_CLI;

const gc = typeof globalThis.gc === 'function' ? globalThis.gc : () => {};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ---- child mode: stream a file through our transmuxer from disk and report peak memory ----
if (process.argv[2] === '--rss-child') {
  const [file, limitArg] = process.argv.slice(3);
  const limit = Number(limitArg);
  const { Transmuxer } = await import(pathToFileURL(CORE).href);
  const t = new Transmuxer();
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(MiB);
  let read = 0;
  let out = 0;
  let peakRss = 0;
  let retained = 0;
  let sinceGc = 0;
  // Peak RSS includes garbage V8 has not collected yet; `retained` (JS heap + ArrayBuffers right after
  // a forced GC, every 16 MiB of input) is what the transmuxer actually keeps.
  const sample = (force = false) => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    if (force || (sinceGc += MiB) >= 16 * MiB) {
      sinceGc = 0;
      gc();
      const m = process.memoryUsage();
      retained = Math.max(retained, m.heapUsed + m.arrayBuffers);
    }
  };
  for (;;) {
    const n = readSync(fd, buf, 0, Math.min(MiB, limit - read), null);
    if (n <= 0) break;
    read += n;
    for (const o of t.push(buf.subarray(0, n)))
      if (o.type === 'init' || o.type === 'media') out += o.data.byteLength;
    sample();
  }
  for (const o of t.flush()) if (o.type === 'init' || o.type === 'media') out += o.data.byteLength;
  sample(true);
  closeSync(fd);
  process.stdout.write(JSON.stringify({ read, out, peakRss, retained }) + '\n');
  process.exit(0);
}

function run(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * MiB, ...opts });
}

function hasLibx264() {
  const r = run('ffmpeg', ['-hide_banner', '-encoders']);
  return r.status === 0 && /\blibx264\b/.test(r.stdout);
}

const haveFfmpeg = run('ffmpeg', ['-version']).status === 0;

// ---- input ----
const dir = mkdtempSync(join(tmpdir(), 'h264mux-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const inputPath = join(dir, 'input.h264');
let unit;
let unitNote;
if (haveFfmpeg && hasLibx264()) {
  const seg = join(dir, 'unit.h264');
  const t0 = performance.now();
  const r = run('ffmpeg', [
    '-hide_banner',
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=1920x1080:rate=30',
    '-t',
    '4',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-profile:v',
    'high',
    '-pix_fmt',
    'yuv420p',
    '-g',
    '30',
    '-b:v',
    '30M',
    '-maxrate',
    '30M',
    '-bufsize',
    '30M',
    '-f',
    'h264',
    seg,
  ]);
  if (r.status !== 0) throw new Error(`ffmpeg could not generate the input: ${r.stderr}`);
  unit = readFileSync(seg);
  unitNote = `libx264 1080p30 High (B-frames), 4 s at 30 Mbit/s, generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
} else {
  unit = readFileSync(join(ROOT, 'test/fixtures/p04_high_bf3_1080p30.h264'));
  unitNote = 'fixture p04 (1080p30 High, B-frames): libx264 not available';
}
// Repeating a raw stream is still a valid stream: each copy starts with SPS/PPS and an IDR, which
// restarts frame_num and POC.
const copies = Math.max(1, Math.ceil(TARGET_BYTES / unit.byteLength));
const input = Buffer.allocUnsafe(unit.byteLength * copies);
for (let i = 0; i < copies; i++) unit.copy(input, i * unit.byteLength);
writeFileSync(inputPath, input);
const MB = input.byteLength / 1e6;
console.log(
  `input: ${MB.toFixed(1)} MB = ${copies} x ${(unit.byteLength / 1e6).toFixed(2)} MB (${unitNote})`,
);
console.log(`node ${process.version}, ${ITER} iterations each, medians\n`);

/** @type {{ name: string, mbps?: number, ms?: number, note?: string, group: 'in-process' | 'process' }[]} */
const rows = [];

/** Unmeasured runs before the measured ones, for every in-process contender alike: V8 settles its
 * optimised code and heap sizes over the first few runs of an 80 MB input. */
const WARMUP_RUNS = 5;

async function timeIt(fn, { warmup = true } = {}) {
  // One forced GC per contender, not per run: a forced full GC discards optimised code that embedded
  // objects of the previous run ("weak objects" deopts), so every run would measure re-optimisation.
  gc();
  if (warmup) for (let i = 0; i < WARMUP_RUNS; i++) await fn();
  const times = [];
  for (let i = 0; i < ITER; i++) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
  }
  return MB / median(times);
}

async function bench(name, group, fn, opts) {
  try {
    const mbps = await timeIt(fn, opts);
    rows.push({ name, group, mbps });
    console.log(`  ${name}: ${mbps.toFixed(0)} MB/s`);
  } catch (e) {
    rows.push({
      name,
      group,
      note: `failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
    });
    console.log(`  ${name}: failed (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
}

function skip(name, group, note) {
  rows.push({ name, group, note });
  console.log(`  ${name}: skipped (${note})`);
}

// ---- ours ----
ensureLibBuilt({ log: (line) => console.log(line) });
let Transmuxer;
if (existsSync(CORE)) ({ Transmuxer } = await import(pathToFileURL(CORE).href));

/** Output bytes of one output: its parts (segmentParts: views, no copy) or its data. */
const sizeOf = (o) =>
  o.type === 'media' && o.parts
    ? o.parts.reduce((n, p) => n + p.byteLength, 0)
    : o.type === 'media' || o.type === 'init'
      ? o.data.byteLength
      : 0;

function oursOnce(chunk, options = {}) {
  const t = new Transmuxer(options);
  let out = 0;
  for (let i = 0; i < input.byteLength; i += chunk) {
    for (const o of t.push(input.subarray(i, i + chunk))) out += sizeOf(o);
  }
  for (const o of t.flush()) out += sizeOf(o);
  if (out < input.byteLength * 0.9) throw new Error(`ours produced only ${out} bytes`);
}

console.log('in-process:');
if (Transmuxer) {
  await bench('ours (1 MiB chunks)', 'in-process', () => oursOnce(MiB));
  await bench('ours (64 KiB chunks)', 'in-process', () => oursOnce(64 * 1024));
  // What the CLI uses: segments as views for writev, no copy of the payload.
  await bench('ours (1 MiB chunks, segmentParts)', 'in-process', () =>
    oursOnce(MiB, { segmentParts: true }),
  );
} else {
  skip('ours (1 MiB chunks)', 'in-process', 'dist-lib/core/index.js not built');
}

// ---- jmuxer (Node API) ----
// jmuxer 2.1.1 ships a UMD bundle in a "type": "module" package: in Node the UMD wrapper sees no
// CommonJS `module`, so it installs globalThis.JMuxer and reads the `stream` module from globalThis.
globalThis.stream = require('node:stream');
require('jmuxer');
const JMuxer = globalThis.JMuxer;
function jmuxerOnce(chunk) {
  let out = 0;
  const j = new JMuxer({
    mode: 'video',
    fps: 30,
    flushingTime: 0,
    onData: (d) => (out += d.byteLength),
  });
  for (let i = 0; i < input.byteLength; i += chunk) j.feed({ video: input.subarray(i, i + chunk) });
  j.destroy(); // flushes the pending frames and stops its interval timer
  if (out < input.byteLength * 0.9) throw new Error(`jmuxer produced only ${out} bytes`);
}
await bench('jmuxer 2.1.1 (1 MiB chunks)', 'in-process', () => jmuxerOnce(MiB));
await bench('jmuxer 2.1.1 (64 KiB chunks)', 'in-process', () => jmuxerOnce(64 * 1024));

// ---- mux.js (harness) ----
// mux.js cannot split raw Annex-B into frames itself: its VideoSegmentStream groups NAL units into
// frames only at access unit delimiters. The harness finds access-unit starts with a Buffer.indexOf
// start-code scan, feeds an AUD and then the AU's bytes (as PES-like packets, 90 kHz, pts = dts: the
// harness knows no POC) into H264Stream -> VideoSegmentStream, and flushes one fragment per GOP.
const muxjsH264 = require('mux.js/lib/codecs/h264.js');
const muxjsMp4 = require('mux.js/lib/mp4/transmuxer.js');
const muxjsGen = require('mux.js/lib/mp4/mp4-generator.js');
const AUD = Uint8Array.of(0, 0, 0, 1, 9, 0xf0);
const START = Buffer.from([0, 0, 1]);

/** Calls onAu(start, end, isIdr) for each access unit (start codes included). */
function splitAccessUnits(buf, onAu) {
  let auStart = -1;
  let auIdr = false;
  let sawVcl = false;
  let i = buf.indexOf(START, 0);
  while (i !== -1) {
    const ncStart = i > 0 && buf[i - 1] === 0 ? i - 1 : i; // 4-byte start code
    const type = buf[i + 3] & 0x1f;
    const vcl = type === 1 || type === 5;
    // §7.4.1.2.3: AUD/SPS/PPS/SEI after a VCL NAL, or a slice with first_mb_in_slice == 0, opens an AU.
    const firstSlice = vcl && (buf[i + 4] & 0x80) !== 0;
    if (auStart < 0) auStart = ncStart;
    else if (sawVcl && ((type >= 6 && type <= 9) || firstSlice)) {
      onAu(auStart, ncStart, auIdr);
      auStart = ncStart;
      auIdr = false;
      sawVcl = false;
    }
    if (vcl) sawVcl = true;
    if (type === 5) auIdr = true;
    i = buf.indexOf(START, i + 3);
  }
  if (auStart >= 0) onAu(auStart, buf.byteLength, auIdr);
}

function muxjsOnce() {
  const track = {
    id: 1,
    type: 'video',
    codec: 'avc',
    timelineStartInfo: { baseMediaDecodeTime: 0 },
  };
  const h264 = new muxjsH264.H264Stream();
  const seg = new muxjsMp4.VideoSegmentStream(track, { keepOriginalTimestamps: true });
  h264.pipe(seg);
  let out = 0;
  let init = false;
  seg.on('data', (e) => {
    if (!init) {
      out += muxjsGen.initSegment([track]).byteLength;
      init = true;
    }
    out += e.boxes.byteLength;
  });
  let frame = 0;
  splitAccessUnits(input, (s, e, idr) => {
    if (idr && frame > 0) h264.flush();
    const t = frame++ * 3000;
    h264.push({ type: 'video', trackId: 1, pts: t, dts: t, data: AUD });
    h264.push({ type: 'video', trackId: 1, pts: t, dts: t, data: input.subarray(s, e) });
  });
  h264.flush();
  if (out < input.byteLength * 0.9) throw new Error(`mux.js produced only ${out} bytes`);
}
await bench('mux.js 7 (+ AU-splitting harness)', 'in-process', muxjsOnce);

// ---- the limit: find every start code with Buffer.indexOf and copy each byte once ----
const sink = Buffer.allocUnsafe(input.byteLength);
await bench('limit: indexOf start-code scan + one copy', 'in-process', () => {
  let at = 0;
  let prev = input.indexOf(START, 0);
  while (prev !== -1) {
    const next = input.indexOf(START, prev + 3);
    const end = next === -1 ? input.byteLength : next;
    at += input.copy(sink, at, prev + 3, end);
    prev = next;
  }
  if (at < input.byteLength * 0.9) throw new Error('scan lost bytes');
});

// ---- whole processes ----
function timeProcess(cmd, args) {
  return () =>
    new Promise((resolveP, reject) => {
      const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0 ? resolveP() : reject(new Error(`${cmd} exit ${code}: ${err.trim()}`)),
      );
    });
}
console.log('whole process (start-up and file I/O included), run in turn so load hits all alike:');
/** @type {{ name: string, cmd: string, args: string[], out: string }[]} */
const processes = [];
if (haveFfmpeg) {
  const out = join(dir, 'ffmpeg.mp4');
  processes.push({
    name: 'ffmpeg -c copy -> fMP4',
    cmd: 'ffmpeg',
    args: [
      '-v',
      'error',
      '-y',
      '-i',
      inputPath,
      '-c',
      'copy',
      '-movflags',
      'frag_keyframe+empty_moov+default_base_moof',
      out,
    ],
    out,
  });
} else skip('ffmpeg -c copy -> fMP4', 'process', 'ffmpeg not installed');
if (existsSync(CLI)) {
  const out = join(dir, 'ours.mp4');
  processes.push({
    name: 'h264mux convert (CLI)',
    cmd: process.execPath,
    args: [CLI, 'convert', inputPath, '-o', out, '-y'],
    out,
  });
} else skip('h264mux convert (CLI)', 'process', 'dist-lib/bin/main.js not built yet');
// What no Node CLI can beat on this machine: Node's start-up, and start-up plus copying the file.
processes.push({
  name: 'floor: node, copy the file, no muxing',
  cmd: process.execPath,
  args: [join(ROOT, 'bench/copy-floor.mjs'), inputPath, join(dir, 'copy.bin')],
  out: join(dir, 'copy.bin'),
});
processes.push({ name: 'floor: node start-up alone', cmd: process.execPath, args: ['-e', '0'] });
{
  const times = processes.map(() => []);
  const failed = processes.map(() => undefined);
  for (let i = 0; i < ITER; i++) {
    for (const [j, p] of processes.entries()) {
      if (failed[j]) continue;
      const t0 = performance.now();
      try {
        await timeProcess(p.cmd, p.args)();
        times[j].push(performance.now() - t0);
      } catch (e) {
        failed[j] = e instanceof Error ? e.message.split('\n')[0] : String(e);
      }
    }
  }
  for (const [j, p] of processes.entries()) {
    if (failed[j]) {
      rows.push({ name: p.name, group: 'process', note: `failed: ${failed[j]}` });
      console.log(`  ${p.name}: failed (${failed[j]})`);
      continue;
    }
    const ms = median(times[j]);
    rows.push({ name: p.name, group: 'process', mbps: MB / (ms / 1000), ms });
    console.log(`  ${p.name}: ${ms.toFixed(0)} ms (${(MB / (ms / 1000)).toFixed(0)} MB/s)`);
  }
  for (const p of processes) if (p.out) rmSync(p.out, { force: true });
}

// ---- memory: stream from disk, full input vs a quarter of it ----
let memory = 'not measured (core not built)';
if (Transmuxer) {
  const child = (limit) => {
    const r = run(process.execPath, [
      '--expose-gc',
      fileURLToPath(import.meta.url),
      '--rss-child',
      inputPath,
      String(limit),
    ]);
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout);
  };
  const quarter = child(Math.floor(input.byteLength / 4));
  const full = child(input.byteLength);
  const mb = (b) => (b / MiB).toFixed(0);
  memory =
    `peak RSS ${mb(quarter.peakRss)} MiB for ${(quarter.read / 1e6).toFixed(0)} MB in, ` +
    `${mb(full.peakRss)} MiB for ${(full.read / 1e6).toFixed(0)} MB in ` +
    `(retained after GC, JS heap + ArrayBuffers: ${mb(quarter.retained)} / ${mb(full.retained)} MiB), 1 MiB reads from disk`;
}

// ---- table ----
const ours = rows.find((r) => r.name === 'ours (1 MiB chunks)')?.mbps;
const cli = rows.find((r) => r.name === 'h264mux convert (CLI)')?.mbps;
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
console.log(`\n${pad('name', 44)}${lpad('MB/s', 8)}${lpad('ms', 7)}   ${pad('ours/peer', 26)}`);
console.log('-'.repeat(89));
for (const r of rows) {
  let ratio = '';
  const floor = r.name.startsWith('floor');
  if (
    r.mbps !== undefined &&
    !r.name.startsWith('ours') &&
    r.name !== 'h264mux convert (CLI)' &&
    !floor
  ) {
    const parts = [];
    if (ours !== undefined) parts.push(`${(ours / r.mbps).toFixed(2)}x in-process`);
    if (r.group === 'process' && cli !== undefined) parts.push(`${(cli / r.mbps).toFixed(2)}x CLI`);
    ratio = parts.join(', ');
  }
  const val =
    r.mbps !== undefined && r.name !== 'floor: node start-up alone' ? r.mbps.toFixed(0) : '-';
  const ms = r.ms !== undefined ? r.ms.toFixed(0) : '';
  console.log(`${pad(r.name, 44)}${lpad(val, 8)}${lpad(ms, 7)}   ${ratio}${r.note ? r.note : ''}`);
}
const ffmpegRow = rows.find((r) => r.name === 'ffmpeg -c copy -> fMP4');
const copyRow = rows.find((r) => r.name === 'floor: node, copy the file, no muxing');
if (ffmpegRow?.ms !== undefined && copyRow?.ms !== undefined) {
  console.log(
    `\nceiling for a Node CLI here: copying the file without muxing is ${(ffmpegRow.ms / copyRow.ms).toFixed(2)}x ffmpeg` +
      (cli !== undefined ? `; our CLI is ${(cli / ffmpegRow.mbps).toFixed(2)}x` : ''),
  );
}
console.log(`\nmemory of ours: ${memory}`);
