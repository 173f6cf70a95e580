// Thin, shell-free wrappers around ffmpeg/ffprobe: the independent reader the oracle tests compare against.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Spawns `cmd` with `args` (no shell), collects stdout/stderr; never rejects on a non-zero exit. */
export function run(cmd: string, args: readonly string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** Like `run` but throws with the command line and stderr when the exit code is not 0. */
export async function runOk(cmd: string, args: readonly string[]): Promise<RunResult> {
  const r = await run(cmd, args);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${String(r.code)}:\n${r.stderr}`);
  }
  return r;
}

/** Runs `fn` with a fresh directory under os.tmpdir(), removed afterwards whatever happens. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'h264mux-test-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes `parts` one after the other into `path`. */
export async function writeParts(path: string, parts: readonly Uint8Array[]): Promise<void> {
  await writeFile(
    path,
    Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))),
  );
}

export interface FrameHash {
  readonly md5: string;
  /** Size of the decoded picture in bytes (changes with the resolution). */
  readonly size: number;
}

export interface Framemd5Options {
  /** Input frame rate for raw streams without timing (`-r N` before `-i`). Does not change the hashes. */
  readonly rate?: number;
  /** Force the input format (e.g. 'h264' for raw files without a .h264 name). */
  readonly format?: string;
}

/**
 * Decodes the first video stream and hashes every decoded picture, in output (presentation) order:
 * `ffmpeg -v error [-r N] -i X -map 0:v:0 -fps_mode passthrough -autoscale 0 -f framemd5 -`.
 * `passthrough` keeps ffmpeg from dropping or duplicating frames to fit a frame rate.
 */
export async function framemd5(file: string, options: Framemd5Options = {}): Promise<FrameHash[]> {
  const args = ['-hide_banner', '-nostdin', '-v', 'error'];
  if (options.format !== undefined) args.push('-f', options.format);
  if (options.rate !== undefined) args.push('-r', String(options.rate));
  // -autoscale 0: a mid-stream resolution change is hashed at its own size, not rescaled to the first.
  args.push(
    '-i',
    file,
    '-map',
    '0:v:0',
    '-fps_mode',
    'passthrough',
    '-autoscale',
    '0',
    '-f',
    'framemd5',
    '-',
  );
  const r = await runOk('ffmpeg', args);
  const hashes: FrameHash[] = [];
  for (const line of r.stdout.toString('utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    // stream_index, dts, pts, duration, size, hash
    const fields = line.split(',').map((f) => f.trim());
    const md5 = fields[5];
    const size = Number(fields[4]);
    if (md5 === undefined || !/^[0-9a-f]{32}$/.test(md5))
      throw new Error(`bad framemd5 line: ${line}`);
    hashes.push({ md5, size });
  }
  return hashes;
}

export interface ProbedFrame {
  /** Presentation time in stream time-base ticks (null when ffprobe reports none). */
  readonly pts: number | null;
  readonly ptsTime: number | null;
  readonly pktDts: number | null;
  readonly keyFrame: boolean;
  readonly pictType: string;
  readonly width: number;
  readonly height: number;
}

export interface ProbedFrames {
  /** Stream time base as [num, den]. */
  readonly timeBase: readonly [number, number];
  readonly frames: ProbedFrame[];
}

function num(v: unknown): number | null {
  if (v === undefined || v === null || v === 'N/A') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

function ratio(v: unknown): [number, number] {
  const m = /^(-?\d+)[/:](\d+)$/.exec(String(v));
  return m ? [Number(m[1]), Number(m[2])] : [0, 1];
}

/** Decoded frames of the first video stream, in output order, via `ffprobe -show_frames -of json`. */
export async function probeFrames(file: string): Promise<ProbedFrames> {
  const r = await runOk('ffprobe', [
    '-hide_banner',
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=time_base:frame=pts,pts_time,pkt_dts,key_frame,pict_type,width,height',
    '-of',
    'json',
    file,
  ]);
  const json = JSON.parse(r.stdout.toString('utf8')) as {
    streams?: { time_base?: string }[];
    frames?: Record<string, unknown>[];
  };
  const timeBase = ratio(json.streams?.[0]?.time_base);
  const frames = (json.frames ?? []).map((f) => ({
    pts: num(f.pts),
    ptsTime: num(f.pts_time),
    pktDts: num(f.pkt_dts),
    keyFrame: Number(f.key_frame) === 1,
    pictType: typeof f.pict_type === 'string' ? f.pict_type : '?',
    width: Number(f.width),
    height: Number(f.height),
  }));
  return { timeBase, frames };
}

/** Everything `ffmpeg -v error -i X -f null -` prints (empty for a clean decode), plus the exit code. */
export async function decodeErrors(file: string): Promise<{ code: number | null; stderr: string }> {
  const r = await run('ffmpeg', [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    '-i',
    file,
    '-f',
    'null',
    '-',
  ]);
  return { code: r.code, stderr: r.stderr };
}

export interface ProbedStream {
  readonly codecName: string;
  readonly profile: string;
  readonly level: number;
  readonly width: number;
  readonly height: number;
  readonly codedWidth: number;
  readonly codedHeight: number;
  readonly rFrameRate: readonly [number, number];
  readonly avgFrameRate: readonly [number, number];
  readonly sampleAspectRatio: readonly [number, number];
  readonly hasBFrames: number;
  readonly fieldOrder: string;
  readonly pixFmt: string;
  readonly timeBase: readonly [number, number];
}

/** Stream-level facts of the first video stream (`ffprobe -show_streams -of json`). */
export async function probeStream(file: string): Promise<ProbedStream> {
  const r = await runOk('ffprobe', [
    '-hide_banner',
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_streams',
    '-of',
    'json',
    file,
  ]);
  const json = JSON.parse(r.stdout.toString('utf8')) as { streams?: Record<string, unknown>[] };
  const s = json.streams?.[0];
  if (s === undefined) throw new Error(`ffprobe found no video stream in ${file}`);
  return {
    codecName: String(s.codec_name),
    profile: String(s.profile),
    level: Number(s.level),
    width: Number(s.width),
    height: Number(s.height),
    codedWidth: Number(s.coded_width),
    codedHeight: Number(s.coded_height),
    rFrameRate: ratio(s.r_frame_rate),
    avgFrameRate: ratio(s.avg_frame_rate),
    sampleAspectRatio: ratio(s.sample_aspect_ratio ?? '1:1'),
    hasBFrames: Number(s.has_b_frames),
    fieldOrder: typeof s.field_order === 'string' ? s.field_order : 'unknown',
    pixFmt: String(s.pix_fmt),
    timeBase: ratio(s.time_base),
  };
}
