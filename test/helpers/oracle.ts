// The ffmpeg oracle: decode our fMP4 and the raw Annex-B stream with ffmpeg and collect what the
// oracle tests compare (frame hashes, presentation times, decoder complaints, box structure).
//
// A stream whose parameter sets change mid-stream yields a second init segment. ffmpeg's mov demuxer
// skips a second `moov` in one file ("found duplicated MOOV atom"), so each init-delimited part is
// written as its own file and decoded on its own — exactly what an MSE player does when it appends a
// new init segment. The raw stream is decoded once as a whole (with -autoscale 0 so every picture
// keeps its own size), and the parts' hashes, concatenated, must equal it.
import { join } from 'node:path';
import {
  decodeErrors,
  framemd5,
  probeFrames,
  probeStream,
  withTempDir,
  writeParts,
} from './ffmpeg.js';
import type { FrameHash, ProbedFrames, ProbedStream } from './ffmpeg.js';
import type { Fixture } from './fixtures.js';
import { referenceDecodeErrors, referenceFramemd5, referenceStream } from './reference-memo.js';
import { fixturePath } from './fixtures.js';
import { parseFragment, parseInit } from './mp4.js';
import type { MuxedPart, ParsedFragment, ParsedInit } from './mp4.js';

export interface OraclePart {
  readonly init: ParsedInit;
  readonly fragments: ParsedFragment[];
  readonly hashes: FrameHash[];
  readonly probed: ProbedFrames;
  readonly stream: ProbedStream;
  readonly decode: { code: number | null; stderr: string };
}

export interface OracleResult {
  readonly raw: FrameHash[];
  /** ffprobe's view of the raw stream (its first SPS). */
  readonly rawStream: ProbedStream;
  /** ffmpeg's complaints when it decodes the raw stream itself (a truncated input has some). */
  readonly rawDecode: { code: number | null; stderr: string };
  readonly parts: OraclePart[];
}

/** Decodes our `parts` and the raw stream (`rawPath`, the fixture's file unless given). */
export async function runOracle(
  f: Fixture,
  parts: readonly MuxedPart[],
  rawPath: string = fixturePath(f.name),
): Promise<OracleResult> {
  const rawOptions = f.oracleArgs.fps === undefined ? {} : { rate: f.oracleArgs.fps };
  const [raw, rawStream, rawDecode] = await Promise.all([
    referenceFramemd5(rawPath, rawOptions),
    referenceStream(rawPath),
    referenceDecodeErrors(rawPath),
  ]);
  return withTempDir(async (dir) => {
    const out: OraclePart[] = [];
    for (const [k, part] of parts.entries()) {
      const file = join(dir, `part${k}.mp4`);
      await writeParts(file, [part.init, ...part.media]);
      const init = parseInit(part.init);
      const [hashes, probed, stream, decode] = await Promise.all([
        framemd5(file),
        probeFrames(file),
        probeStream(file),
        decodeErrors(file),
      ]);
      out.push({
        init,
        fragments: part.media.map((m) => parseFragment(m, init)),
        hashes,
        probed,
        stream,
        decode,
      });
    }
    return { raw, rawStream, rawDecode, parts: out };
  });
}

/** Index of the first difference between two hash lists (or -1), for readable failures. */
export function firstMismatch(a: readonly FrameHash[], b: readonly FrameHash[]): number {
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) if (a[i]?.md5 !== b[i]?.md5) return i;
  return a.length === b.length ? -1 : len;
}

/**
 * The shift ffmpeg's mov demuxer adds to the presentation times of a fragmented file with negative composition
 * offsets (`trun` version 1): it reports pts = dts + cts + dts_shift, dts_shift being the largest -cts of the
 * file's samples (mov.c `mov_update_dts_shift`), where a progressive file's `ctts` shifts the decode times
 * instead. The offsets are read by mux.js, not by us.
 */
export function ffmpegFragmentShift(part: OraclePart): number {
  let shift = 0;
  for (const frag of part.fragments)
    for (const s of frag.samples) shift = Math.max(shift, -s.compositionTimeOffset);
  return shift;
}

/**
 * Presentation times of every decoded frame, all parts in order (ffprobe honours tfdt), with ffmpeg's shift of
 * each part (`ffmpegFragmentShift`) taken off: the times the file declares.
 */
export function allPts(result: OracleResult): number[] {
  return result.parts.flatMap((p) => {
    const shift = ffmpegFragmentShift(p);
    return p.probed.frames.map((fr) => (fr.pts ?? Number.NaN) - shift);
  });
}

/**
 * Checks the frame grid: pts[i] - pts[0] == i * frameDuration within `tolerance` ticks.
 * Returns a description of the first violation, or undefined.
 */
export function gridViolation(
  pts: readonly number[],
  frameDuration: number,
  tolerance = 1,
): string | undefined {
  const p0 = pts[0];
  if (p0 === undefined) return 'no frames';
  for (let i = 0; i < pts.length; i++) {
    const p = pts[i] ?? Number.NaN;
    if (!Number.isFinite(p)) return `frame ${i} has no pts`;
    if (i > 0 && !(p > (pts[i - 1] ?? Infinity)))
      return `pts not increasing at frame ${i}: ${pts[i - 1]} then ${p}`;
    const want = i * frameDuration;
    if (Math.abs(p - p0 - want) > tolerance) {
      return `frame ${i}: pts-pts0 = ${p - p0}, expected ${want} (frame duration ${frameDuration} ticks)`;
    }
  }
  return undefined;
}

/** What ffmpeg makes of our one-file MP4 beside the raw stream it came from. */
export interface FileComparison {
  /** Frame MD5s in presentation order: ours, then the raw stream's. */
  readonly ours: string[];
  readonly theirs: string[];
  /** `ffmpeg -v error` on our file. */
  readonly errors: { code: number | null; stderr: string };
  /** Our file's frame PTS as ffprobe reports them, in ticks of its time base. */
  readonly pts: number[];
  /** The first frame-grid violation of our file's PTS at `fps` (exact ticks), or undefined. */
  readonly grid: string | undefined;
}

/** Decodes `ours` (a single-init MP4) and `raw` with ffmpeg and checks our PTS against the `fps` grid. */
export async function compareWithRaw(
  ours: string,
  raw: string,
  fps: number,
): Promise<FileComparison> {
  const [a, b, errors, probed] = await Promise.all([
    framemd5(ours),
    framemd5(raw),
    decodeErrors(ours),
    probeFrames(ours),
  ]);
  const [num, den] = probed.timeBase;
  const pts = probed.frames.map((f) => f.pts ?? Number.NaN);
  return {
    ours: a.map((h) => h.md5),
    theirs: b.map((h) => h.md5),
    errors,
    pts,
    grid: gridViolation(pts, den / (fps * num), 0),
  };
}
