// The file source's keyframe index against the core Transmuxer: same keyframes at the same frame
// numbers, whatever the chunking, and a restart at an indexed offset gives the same frames.
import { describe, expect, it } from 'vitest';
import { Transmuxer } from '../../src/core/index.js';
import type { MediaSegment, SampleInfo, TransmuxerOptions } from '../../src/core/index.js';
import { KeyframeIndex } from '../../src/sources/keyframe-index.js';
import { fixtures, readFixture } from '../helpers/fixtures.js';

function samplesOf(data: Uint8Array, options: TransmuxerOptions): SampleInfo[] {
  const t = new Transmuxer(options);
  const outs = [...t.push(data), ...t.flush()];
  return outs
    .filter((o): o is MediaSegment => o.type === 'media')
    .flatMap((m) => m.samples)
    .sort((a, b) => a.index - b.index);
}

/** Deterministic chunk sizes (mulberry32). */
function chunkSizes(seed: number, total: number): number[] {
  let a = seed >>> 0;
  const random = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const sizes: number[] = [];
  for (let n = 0; n < total;) {
    const size = random() < 0.3 ? 1 + Math.floor(random() * 4) : 1 + Math.floor(random() * 9000);
    sizes.push(size);
    n += size;
  }
  return sizes;
}

function indexOf(data: Uint8Array, sizes: readonly number[] | undefined): KeyframeIndex {
  const index = new KeyframeIndex();
  if (!sizes) index.push(data);
  else {
    let o = 0;
    for (const size of sizes) {
      index.push(data.subarray(o, o + size));
      o += size;
    }
  }
  index.end();
  return index;
}

/** `got` is `expected` with exactly `removed` elements left out (order kept). */
/**
 * `got` is `expected` with `removed` entries taken out. Sizes match exactly, or within `slack` bytes for
 * reference pictures right after a recovery point, whose marking loses operations naming earlier pictures.
 */
function withoutSome(
  expected: readonly number[],
  got: readonly number[],
  removed: number,
  slack = 0,
): boolean {
  if (expected.length - got.length !== removed) return false;
  let i = 0;
  for (const x of expected) {
    const y = got[i];
    if (y !== undefined && y <= x && x - y <= slack) i++;
  }
  return i === got.length;
}

describe('KeyframeIndex', () => {
  for (const fixture of fixtures) {
    it(`${fixture.name}: keyframes and frame count as the transmuxer sees them`, () => {
      const data = readFixture(fixture.name);
      const options = fixture.oracleArgs.fps !== undefined ? { fps: fixture.oracleArgs.fps } : {};
      const samples = samplesOf(data, options);
      const index = indexOf(data, undefined);
      // The same count as the transmuxer's, also for a frame the file ends inside (dropped by both).
      expect(index.frames).toBe(samples.length);
      expect(index.keyframes.map((k) => k.frame)).toEqual(
        samples.filter((s) => s.keyframe).map((s) => s.index),
      );
      // Any chunking (down to single bytes at start codes) gives the same index.
      for (const seed of [1, 2]) {
        const chunked = indexOf(data, chunkSizes(seed, data.length));
        expect(chunked.keyframes).toEqual(index.keyframes);
        expect(chunked.frames).toBe(index.frames);
      }
    });

    it(`${fixture.name}: a restart at each indexed keyframe gives the same frames from there`, () => {
      const data = readFixture(fixture.name);
      const options = fixture.oracleArgs.fps !== undefined ? { fps: fixture.oracleArgs.fps } : {};
      const samples = samplesOf(data, options);
      const index = indexOf(data, undefined);
      for (const entry of index.keyframes) {
        const prefix = entry.parameterSets ?? new Uint8Array(0);
        const rest = data.subarray(entry.offset);
        const restart = new Uint8Array(prefix.length + rest.length);
        restart.set(prefix);
        restart.set(rest, prefix.length);
        const again = samplesOf(restart, options);
        expect(again[0]?.keyframe).toBe(true);
        // Frame sizes in decode order: the same pictures, frame numbers shifted by entry.frame.
        // (An open GOP restarted at a recovery point drops its leading pictures.)
        // (An open GOP restarted at a recovery point drops its leading pictures, as many as the
        // entry says: p14 gives 100 frames for the 101 from its first recovery point on.)
        const expected = samples.slice(entry.frame).map((s) => s.size);
        const got = again.map((s) => s.size);
        expect(got.length).toBe(index.frames - entry.frame - entry.leadingPictures);
        const slack = entry.leadingPictures > 0 || entry.frame > 0 ? 8 : 0;
        expect(withoutSome(expected, got, entry.leadingPictures, slack)).toBe(true);
        expect(got[0]).toBe(expected[0]);
      }
    });
  }

  it('p14 (open GOPs): one leading picture after each recovery point, none after the IDR', () => {
    const index = indexOf(readFixture('p14_opengop_bf3_recovery_sei.h264'), undefined);
    expect(index.keyframes.map((k) => [k.frame, k.leadingPictures])).toEqual([
      [0, 0],
      [49, 1],
      [99, 1],
    ]);
    expect(index.frames).toBe(150);
  });

  it('keeps the SPS/PPS for keyframes that do not repeat them', () => {
    // p01 with its SPS and PPS only in front of the first IDR (4-byte start codes throughout).
    const data = readFixture('p01_pi_baseline_vga30_inline.h264');
    const starts: number[] = [];
    for (let i = 0; i + 4 < data.length; i++) {
      if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 0 && data[i + 3] === 1) {
        starts.push(i);
        i += 3;
      }
    }
    const kept: Uint8Array[] = [];
    let seenSps = 0;
    starts.forEach((start, n) => {
      const nal = data.subarray(start, starts[n + 1] ?? data.length);
      const type = (nal[4] as number) & 0x1f;
      if (type === 7) seenSps++;
      if ((type === 7 || type === 8) && seenSps > 1) return;
      kept.push(nal);
    });
    const stripped = new Uint8Array(kept.reduce((n, k) => n + k.length, 0));
    let o = 0;
    for (const k of kept) {
      stripped.set(k, o);
      o += k.length;
    }
    const index = indexOf(stripped, chunkSizes(3, stripped.length));
    expect(index.keyframes.map((k) => k.frame)).toEqual([0, 30, 60, 90, 120]);
    expect(index.keyframes[0]?.parameterSets).toBeUndefined();
    const entry = index.keyframes[2];
    expect(entry?.parameterSets?.length).toBeGreaterThan(8);
    const prefix = entry?.parameterSets ?? new Uint8Array(0);
    const rest = stripped.subarray(entry?.offset ?? 0);
    const restart = new Uint8Array(prefix.length + rest.length);
    restart.set(prefix);
    restart.set(rest, prefix.length);
    const again = samplesOf(restart, {});
    const all = samplesOf(stripped, {});
    expect(again.map((s) => s.size)).toEqual(all.slice(60).map((s) => s.size));
    // Without them, nothing from there would decode.
    expect(() => samplesOf(rest, {})).toThrow(/No decodable frames/);
  });

  it('answers the keyframe before a frame, and says how far it knows', () => {
    const data = readFixture('p01_pi_baseline_vga30_inline.h264');
    const index = new KeyframeIndex();
    index.push(data.subarray(0, 200_000));
    expect(index.covers(10)).toBe(true);
    expect(index.covers(10_000)).toBe(false);
    expect(index.keyframeBefore(45)?.frame).toBe(30);
    expect(index.keyframeBefore(29)?.frame).toBe(0);
    expect(index.estimateFrames(data.length)).toBeGreaterThan(100);
    index.pushAt(0, data.subarray(0, 100)); // already indexed: ignored
    index.pushAt(200_000, data.subarray(200_000));
    index.end();
    expect(index.frames).toBe(150);
    expect(index.estimateFrames(data.length)).toBe(150);
    expect(index.keyframes.map((k) => k.frame)).toEqual([0, 30, 60, 90, 120]);
    // And the keyframe after one (past a frame that cannot be decoded), none after the last.
    expect(index.keyframeAfter(45)?.frame).toBe(60);
    expect(index.keyframeAfter(30)?.frame).toBe(60);
    expect(index.keyframeAfter(0)?.frame).toBe(30);
    expect(index.keyframeAfter(120)).toBeUndefined();
  });
});
