// Checks of the ffmpeg oracle, shared by oracle-gop.test.ts and oracle-frame.test.ts.
// The ffmpeg oracle on every fixture: our fMP4 must decode (ffmpeg) to exactly the pictures of the
// raw Annex-B stream, on the exact frame grid, without decoder complaints, and its boxes must read
// right through an independent parser (mux.js's mp4-inspector). See DEVELOPERS.md.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import type { ExpectStatic } from 'vitest';
import { allFixtures, expectedFps, fixturePath } from '../helpers/fixtures.js';
import type { Fixture } from '../helpers/fixtures.js';
import { allPts, firstMismatch, gridViolation, runOracle } from '../helpers/oracle.js';
import type { OracleResult } from '../helpers/oracle.js';
import { optionsFor, transmux } from '../helpers/transmux.js';
import {
  progressiveHeader,
  SampleTable,
  segmentPayload,
  Transmuxer,
  type FragmentMode,
  type InitSegment,
  type TransmuxerOptions,
} from '../../src/core/index.js';
import { fragmentLimits } from '../../src/core/transmuxer.js';
import { decodeErrors, framemd5, probeFrames, withTempDir, writeParts } from '../helpers/ffmpeg.js';
import { referenceDecodeErrors, referenceFramemd5 } from '../helpers/reference-memo.js';
import { topLevelBoxes } from '../helpers/mp4.js';
import type { Transmuxed } from '../helpers/transmux.js';

function checkFrames(expect: ExpectStatic, f: Fixture, r: OracleResult): void {
  const ours = r.parts.flatMap((p) => p.hashes);
  const allowMissing = f.oracleArgs.allowMissing ?? 0;
  expect(r.raw.length, 'ffmpeg decodes the raw fixture to the manifest frame count').toBe(f.frames);
  expect(ours.length, 'frame count of our MP4').toBeGreaterThanOrEqual(r.raw.length - allowMissing);
  expect(ours.length, 'frame count of our MP4').toBeLessThanOrEqual(r.raw.length);
  // A stream cut inside its last frame: every complete frame is kept, the damaged one is dropped.
  if (allowMissing > 0) expect(ours.length, 'damaged last frame dropped').toBe(r.raw.length - 1);
  const at = firstMismatch(ours, r.raw.slice(0, ours.length));
  expect(at, `first frame whose hash differs from the raw decode (of ${ours.length})`).toBe(-1);
}

function checkTiming(expect: ExpectStatic, f: Fixture, tx: Transmuxed, r: OracleResult): void {
  const fps = expectedFps(f);
  for (const [k, part] of r.parts.entries()) {
    const timescale = part.init.timescale;
    expect(part.probed.timeBase, `part ${k}: ffprobe time base is 1/mdhd timescale`).toEqual([
      1,
      timescale,
    ]);
    const info = tx.parts[k]?.initSegment.info;
    expect(info?.timescale, `part ${k}: info.timescale`).toBe(timescale);
    const frameDuration = info?.frameDuration ?? 0;
    expect(Number.isInteger(frameDuration), `part ${k}: integer frame duration`).toBe(true);
    expect(
      Math.abs(frameDuration - timescale / fps),
      `part ${k}: info.frameDuration ${frameDuration} = timescale ${timescale} / fps ${fps}`,
    ).toBeLessThan(1e-6);
    expect(
      Math.abs((info?.fps ?? 0) - fps),
      `part ${k}: info.fps ${info?.fps} vs ${fps}`,
    ).toBeLessThan(1e-6);
    expect(info?.fpsSource).toBe(f.oracleArgs.fps === undefined ? 'vui' : 'option');
  }
  const timescale = r.parts[0]?.init.timescale ?? 0;
  // Across parts too: ffprobe takes each part's times from its tfdt, and the timeline continues. It starts at 0
  // whatever the reordering (negative composition offsets keep the decode times at or above 0, for WebKit).
  const pts = allPts(r);
  expect(pts[0], 'the first frame is presented at 0').toBe(0);
  expect(
    gridViolation(pts, timescale / fps, 1),
    'presentation times on the frame grid',
  ).toBeUndefined();
}

/** ffprobe's stream facts of each part agree with the raw stream's (same SPS) and the manifest. */
function checkStream(expect: ExpectStatic, f: Fixture, tx: Transmuxed, r: OracleResult): void {
  const fps = expectedFps(f);
  for (const [k, part] of r.parts.entries()) {
    const s = part.stream;
    expect(s.codecName, `part ${k}: codec`).toBe('h264');
    // ffmpeg takes the decoder's reorder delay from the SPS in our avcC: the bound we declare (the stream's own,
    // or the one written into an SPS that had none).
    expect(s.hasBFrames, `part ${k}: has_b_frames = info.reorderDepth`).toBe(
      tx.parts[k]?.initSegment.info.reorderDepth,
    );
    expect(`${s.width}x${s.height}`, `part ${k}: ffprobe size`).toBe(f.sizes[k]);
    const [num, den] = s.rFrameRate;
    // Without VUI timing ffprobe guesses the rate from the timestamps, which takes 3 frames or more.
    if (part.probed.frames.length >= 3 || f.fps !== null) {
      expect(
        Math.abs(num / den - fps),
        `part ${k}: r_frame_rate ${num}/${den} vs ${fps}`,
      ).toBeLessThan(1e-6);
    }
    // ffprobe describes a raw stream by one SPS, and with several (p10) not reliably the first one
    // (it reported p10's 720p level for its 360p start): compare only single-SPS streams with it.
    if (k > 0 || f.sizes.length > 1) continue;
    const raw = r.rawStream;
    const pick = (x: typeof s) => ({
      profile: x.profile,
      level: x.level,
      codedWidth: x.codedWidth,
      codedHeight: x.codedHeight,
      sampleAspectRatio: x.sampleAspectRatio,
      fieldOrder: x.fieldOrder,
      pixFmt: x.pixFmt,
    });
    const ours = pick(s);
    const theirs = pick(raw);
    const differ = Object.entries(ours)
      .filter(
        ([key, v]) => JSON.stringify(v) !== JSON.stringify(theirs[key as keyof typeof theirs]),
      )
      .map(
        ([key, v]) =>
          `${key}: ours ${JSON.stringify(v)}, raw ${JSON.stringify(theirs[key as keyof typeof theirs])}`,
      );
    expect(
      differ.join('; '),
      'ffprobe stream facts of our MP4 that differ from the raw stream',
    ).toBe('');
  }
}

/** ffmpeg's messages without the per-run context address: `[h264 @ 0x55…] x` → `[h264] x`. */
function complaints(stderr: string): string[] {
  return stderr
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.replace(/ @ 0x[0-9a-f]+\]/, ']'));
}

/**
 * `ffmpeg -v error` on our MP4 prints nothing — unless the raw stream itself is damaged (a stream cut
 * mid-NAL, whose last frame Node cannot verify without a decoder): then ours may only repeat ffmpeg's own
 * complaints about the raw stream, never add one.
 */
function checkDecode(expect: ExpectStatic, r: OracleResult): void {
  const fromSource = new Set(complaints(r.rawDecode.stderr));
  for (const [k, part] of r.parts.entries()) {
    const added = complaints(part.decode.stderr).filter((line) => !fromSource.has(line));
    const printed = added.slice(0, 4).join(' | ');
    expect(printed === '', `part ${k}: \`ffmpeg -v error\` printed: ${printed}`).toBe(true);
    expect(part.decode.code, `part ${k}: ffmpeg exit code`).toBe(0);
  }
}

function checkBoxes(
  expect: ExpectStatic,
  f: Fixture,
  tx: Transmuxed,
  r: OracleResult,
  options: TransmuxerOptions,
): void {
  const mode = options.fragment ?? 'gop';
  expect(tx.orphanMedia, 'media segments before any init segment').toBe(0);
  expect(r.parts.length, 'init segments (one per parameter-set change)').toBe(f.sizes.length);
  expect(r.parts[0]?.init.codec, 'codec string of the first avcC').toBe(f.codec);
  let decodeTime = 0;
  let sequence: number | undefined;
  let syncSamples = 0;
  for (const [k, part] of r.parts.entries()) {
    const ours = tx.parts[k];
    if (ours === undefined) throw new Error('part mismatch');
    const init = part.init;
    expect(init.topTypes, `part ${k}: init boxes`).toEqual(['ftyp', 'moov']);
    expect(init.sampleEntry).toBe('avc1');
    expect(init.codec, `part ${k}: InitSegment.codec equals the avcC's`).toBe(
      ours.initSegment.codec,
    );
    expect(ours.initSegment.mimeType).toContain(init.codec);
    expect(`${init.width}x${init.height}`, `part ${k}: avc1 size`).toBe(f.sizes[k]);
    expect(`${ours.initSegment.info.width}x${ours.initSegment.info.height}`).toBe(f.sizes[k]);
    expect(init.spsCount).toBeGreaterThanOrEqual(1);
    expect(init.ppsCount).toBeGreaterThanOrEqual(1);
    expect(init.lengthSizeMinusOne, 'avcC NAL length size 4').toBe(3);
    expect(part.fragments.length, `part ${k}: media segments`).toBeGreaterThan(0);
    const frameDuration = ours.initSegment.info.frameDuration;
    const limits = fragmentLimits(options, ours.initSegment.info.fps);

    for (const [i, frag] of part.fragments.entries()) {
      const seg = ours.mediaSegments[i];
      if (seg === undefined) throw new Error('segment mismatch');
      const where = `part ${k} segment ${i}`;
      expect(frag.topTypes, `${where}: boxes`).toEqual(['moof', 'mdat']);
      expect(frag.trackId).toBe(init.trackId);
      if (sequence !== undefined)
        expect(frag.sequence, `${where}: mfhd sequence`).toBe(sequence + 1);
      sequence = frag.sequence;
      expect(seg.sequence).toBe(frag.sequence);
      expect(frag.defaultBaseIsMoof, `${where}: tfhd default-base-is-moof`).toBe(true);
      expect(frag.tfdtVersion, `${where}: tfdt version`).toBe(1);
      expect(frag.baseMediaDecodeTime, `${where}: tfdt = sum of prior sample durations`).toBe(
        decodeTime,
      );
      expect(seg.baseDecodeTime).toBe(frag.baseMediaDecodeTime);
      expect(seg.timescale).toBe(init.timescale);
      expect(frag.dataOffset, `${where}: trun data offset points just past the mdat header`).toBe(
        frag.moofSize + 8,
      );
      expect(frag.samples.length, `${where}: trun sample count`).toBe(seg.frames);
      expect(seg.samples.length).toBe(seg.frames);
      const sizes = frag.samples.map((s) => s.size);
      expect(
        sizes.reduce((a, b) => a + b, 0),
        `${where}: trun sizes sum to the mdat payload`,
      ).toBe(frag.mdatPayloadSize);
      expect(sizes).toEqual(seg.samples.map((s) => s.size));
      const durations = frag.samples.map((s) => s.duration);
      expect(durations, `${where}: every sample lasts one frame`).toEqual(
        durations.map(() => frameDuration),
      );
      expect(seg.duration).toBe(durations.reduce((a, b) => a + b, 0));
      decodeTime += seg.duration;

      // ISO/IEC 14496-12 §8.8.3.1: a sync sample has sample_is_non_sync_sample 0; sample_depends_on is 2
      // for an I/IDR picture, 1 for a recovery-point P picture (intra refresh), which does reference others.
      expect(seg.keyframe, `${where}: MediaSegment.keyframe`).toBe(seg.samples[0]?.keyframe);
      if (i === 0)
        expect(seg.keyframe, `${where}: an init segment's media starts at a keyframe`).toBe(true);
      if (mode === 'gop') {
        // A keyframe begins a fragment; a fragment without one follows a fragment that reached the limits.
        expect(seg.frames, `${where}: at most maxFragmentFrames`).toBeLessThanOrEqual(
          limits.frames,
        );
        const previous = part.fragments[i - 1];
        if (!seg.keyframe && previous !== undefined) {
          const full =
            previous.samples.length >= limits.frames || previous.mdatPayloadSize >= limits.bytes;
          expect(full, `${where}: no keyframe first, after a fragment below the limits`).toBe(true);
        }
      }
      for (const [j, s] of frag.samples.entries()) {
        const info = seg.samples[j];
        const at = `${where} sample ${j}`;
        const key = info?.keyframe === true;
        if (mode === 'gop' && j > 0) expect(key, `${at}: a keyframe inside a fragment`).toBe(false);
        expect(s.flags.isNonSyncSample, `${at}: sample_is_non_sync_sample`).toBe(key ? 0 : 1);
        if (key) syncSamples += 1;
        // An intra picture depends on no other, sync sample or not (a non-IDR I picture without a recovery
        // point is not a place to start, but it references nothing either).
        const type = info?.pictureType;
        expect(s.flags.dependsOn, `${at}: ${type} sample_depends_on`).toBe(
          type === 'IDR' || type === 'I' || type === 'SI' ? 2 : 1,
        );
        expect(s.compositionTimeOffset, `${at}: cts = pts - dts`).toBe(
          (info?.pts ?? 0) - (info?.dts ?? 0),
        );
        if (!f.hasBFrames) expect(s.compositionTimeOffset, `${at}: no reordering`).toBe(0);
        // The mdat holds each sample's NAL units as 4-byte length + payload (ISO/IEC 14496-15 §5.3.3).
        const nalBytes = (info?.nalSizes ?? []).reduce((acc, n) => acc + 4 + n, 0);
        expect(nalBytes, `${at}: NAL sizes + length fields = sample size`).toBe(s.size);
      }
      const nalCount = seg.samples.reduce((acc, x) => acc + x.nalSizes.length, 0);
      expect(frag.mdatNalCount, `${where}: NAL units mux.js walks in the mdat`).toBe(nalCount);
    }
  }
  // Every IDR and every recovery point is a sync sample (manifest counts); a truncated stream may lose one.
  const missing = f.oracleArgs.allowMissing ?? 0;
  expect(syncSamples, 'sync samples = IDRs + recovery points').toBeGreaterThanOrEqual(
    f.idr + f.recoverySei - (missing > 0 ? 1 : 0),
  );
  expect(syncSamples).toBeLessThanOrEqual(f.idr + f.recoverySei);
}

/** How `oracleFailures` runs a stream; every field optional. */
export interface OracleRun {
  /** Chunks of this many bytes (default: the whole input in one push). */
  readonly chunkSize?: number;
  /** The raw stream (default: the fixture's file). */
  readonly raw?: string;
  /**
   * The raw stream ffmpeg's decode of ours is compared with: `raw` itself unless given (a stream whose SPS lost its
   * reorder bound is compared with the same pictures coded with it).
   */
  readonly reference?: string;
  /** Transmuxer options beyond the fixture's and `mode` (e.g. fragment limits). */
  readonly options?: TransmuxerOptions;
}

/**
 * Runs every layer of the oracle on one stream transmuxed with `mode` (see `OracleRun`). Returns every failure,
 * each naming its layer.
 */
export async function oracleFailures(
  expect: ExpectStatic,
  f: Fixture,
  mode: FragmentMode,
  run: OracleRun = {},
): Promise<string[]> {
  const raw = run.raw ?? fixturePath(f.name);
  const reference = run.reference ?? raw;
  const options: TransmuxerOptions = {
    ...optionsFor(f.oracleArgs),
    ...run.options,
    fragment: mode,
  };
  const tx = transmux(new Uint8Array(await readFile(raw)), options, run.chunkSize);
  const r = await runOracle(f, tx.parts, reference);
  // Run every layer and report all failures at once, each with its own message.
  const checks: [string, () => void][] = [
    ['frames', () => checkFrames(expect, f, r)],
    ['timing', () => checkTiming(expect, f, tx, r)],
    ['decode', () => checkDecode(expect, r)],
    ['stream', () => checkStream(expect, f, tx, r)],
    ['boxes', () => checkBoxes(expect, f, tx, r, options)],
  ];
  if (mode === 'frame') {
    checks.push([
      'one frame per segment',
      () =>
        expect(tx.parts.flatMap((p) => p.mediaSegments.map((m) => m.frames))).toEqual(
          tx.parts.flatMap((p) => p.mediaSegments.map(() => 1)),
        ),
    ]);
  }
  const failures: string[] = [];
  for (const [name, check] of checks) {
    try {
      check();
    } catch (e) {
      failures.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return failures;
}

/**
 * Registers the oracle suite for one fragmentation mode, the whole input in one push or in chunks of
 * `chunkSize` bytes (how the CLI and the web app feed it). One test file per variant: they run in parallel.
 */
export function defineOracleSuite(mode: FragmentMode, chunkSize?: number): void {
  const chunking = chunkSize === undefined ? 'one push' : `${chunkSize}-byte chunks`;
  describe(`ffmpeg oracle, fragment: '${mode}', ${chunking}`, () => {
    for (const f of allFixtures) {
      it.concurrent(f.name, async ({ expect }) => {
        const run = chunkSize === undefined ? {} : { chunkSize };
        expect(await oracleFailures(expect, f, mode, run), f.what).toEqual([]);
      });
    }
  });
}

/**
 * The faststart (classic, moov-before-mdat) layout of one stream (`raw`, the fixture's file unless given), through
 * the same ffmpeg checks as the fragmented one: the same pictures as `reference` (see `oracleFailures`), silent,
 * PTS on the grid from 0.
 */
export async function checkFaststart(
  expect: ExpectStatic,
  f: Fixture,
  raw: string = fixturePath(f.name),
  reference: string = raw,
): Promise<void> {
  const t = new Transmuxer({
    ...(f.oracleArgs.fps !== undefined ? { fps: f.oracleArgs.fps } : {}),
    parameterSetChanges: 'in-band',
  });
  const outs = [...t.push(new Uint8Array(await readFile(raw))), ...t.flush()];
  const inits = outs.filter((o): o is InitSegment => o.type === 'init');
  expect(inits.length).toBe(1);
  const table = new SampleTable();
  const payloads: Uint8Array[] = [];
  for (const o of outs) {
    if (o.type !== 'media') continue;
    table.add(o);
    payloads.push(segmentPayload(o));
  }
  await withTempDir(async (dir) => {
    const file = join(dir, 'faststart.mp4');
    await writeParts(file, [progressiveHeader(inits[0] as InitSegment, table), ...payloads]);
    const bytes = new Uint8Array(await readFile(file));
    expect(topLevelBoxes(bytes).map((b) => b.type)).toEqual(['ftyp', 'moov', 'mdat']);
    const theirs = await referenceFramemd5(
      reference,
      f.oracleArgs.fps ? { rate: f.oracleArgs.fps } : {},
    );
    const ours = await framemd5(file);
    const missing = f.oracleArgs.allowMissing ?? 0;
    expect(ours.length).toBeGreaterThanOrEqual(theirs.length - missing);
    expect(ours.map((h) => h.md5)).toEqual(theirs.slice(0, ours.length).map((h) => h.md5));
    // Silent, or (a stream cut mid-NAL, whose damaged last frame Node cannot verify without a decoder)
    // only ffmpeg's own complaints about the raw stream.
    const fromSource = new Set(complaints((await referenceDecodeErrors(reference)).stderr));
    expect(complaints((await decodeErrors(file)).stderr).filter((l) => !fromSource.has(l))).toEqual(
      [],
    );
    const probed = await probeFrames(file);
    const [num, den] = probed.timeBase;
    const step = den / num / expectedFps(f);
    const pts = probed.frames.map((fr) => fr.pts ?? Number.NaN);
    pts.forEach((p, i) => expect(Math.abs(p - (pts[0] ?? 0) - i * step)).toBeLessThanOrEqual(1));
    expect(pts[0]).toBe(0); // the timeline starts at 0 (negative ctts offsets, no edit list)
  });
}
