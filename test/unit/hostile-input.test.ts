// Input a broken or hostile source can send: a NAL unit that never ends, an access unit that never ends,
// units in front of no picture. Memory stays bounded (measured through `retainedFrom`), every complete frame
// before the damage is kept and the stream after it is muxed.
import { describe, expect, it } from 'vitest';
import {
  AccessUnitReader,
  Transmuxer,
  type TransmuxerOptions,
  type TransmuxerOutput,
} from '../../src/core/index.js';
import { concatBytes } from '../../src/core/bytes/concat.js';
import { AnnexBSplitter } from '../../src/core/h264/annexb.js';
import { maxNalBytes, MAX_PREFIX_UNITS } from '../../src/core/h264/limits.js';
import { nalBytes, NalType, type NalUnit } from '../../src/core/h264/nal.js';
import { parseSps } from '../../src/core/h264/sps.js';
import { readFixture } from '../helpers/fixtures.js';
import { topLevelBoxes } from '../helpers/mp4.js';
import { nalUnit, progressiveStream, type CodedFrame } from '../helpers/synth.js';

const MiB = 1 << 20;

/** The NAL units of an Annex-B stream. */
function units(data: Uint8Array): NalUnit[] {
  const s = new AnnexBSplitter();
  return [...s.push(data), ...s.flush()];
}

/** Bytes without a single zero byte (so without a start code), from a fixed seed. */
export function noStartCodes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = (x >>> 16) | 1;
  }
  return out;
}

interface Run {
  readonly outputs: TransmuxerOutput[];
  /** The largest `pushed - retainedFrom` after a push from `watchFrom` (bytes pushed) on. */
  readonly maxRetained: number;
}

/** Pushes `chunks` in order, then flushes, tracking the input still referenced after each push. */
function pushAll(
  chunks: readonly Uint8Array[],
  watchFrom = 0,
  options: TransmuxerOptions = {},
): Run {
  const t = new Transmuxer(options);
  const outputs: TransmuxerOutput[] = [];
  let pushed = 0;
  let maxRetained = 0;
  for (const c of chunks) {
    outputs.push(...t.push(c));
    pushed += c.length;
    if (pushed >= watchFrom) maxRetained = Math.max(maxRetained, pushed - t.retainedFrom);
  }
  outputs.push(...t.flush());
  return { outputs, maxRetained };
}

function framesOf(outputs: readonly TransmuxerOutput[]): number {
  return outputs.reduce((n, o) => n + (o.type === 'media' ? o.frames : 0), 0);
}

function codesOf(outputs: readonly TransmuxerOutput[]): string[] {
  return outputs.flatMap((o) => (o.type === 'warning' ? [o.code] : []));
}

function expectWellFormed(outputs: readonly TransmuxerOutput[]): void {
  for (const o of outputs) {
    if (o.type === 'init')
      expect(topLevelBoxes(o.data).map((b) => b.type)).toEqual(['ftyp', 'moov']);
    if (o.type === 'media')
      expect(topLevelBoxes(o.data).map((b) => b.type)).toEqual(['moof', 'mdat']);
  }
}

describe('zero bytes after a stream (trailing_zero_8bits, Annex B.2)', () => {
  const p03 = readFixture('p03_main_bf3_pyramid_360p30.h264');
  const zeros = new Uint8Array(MiB);

  it('64 MB of them, in chunks, lose no frame and are not held: three zeros end a NAL unit (§7.4.1)', () => {
    // Before, the zeros counted as the last unit's bytes while it was in progress: past the stream's
    // NAL limit (read in chunks, as files and streams are) its frame was dropped as NAL_TOO_LARGE.
    const chunks = [p03, ...new Array<Uint8Array>(64).fill(zeros)];
    const { outputs } = pushAll(chunks);
    expect(codesOf(outputs)).toEqual([]);
    expect(framesOf(outputs)).toBe(120);
    expectWellFormed(outputs);
    // The relay's reader: every access unit, and the zeros' chunks let go as they come.
    const reader = new AccessUnitReader();
    let aus = 0;
    let maxHeld = 0;
    for (const c of chunks) {
      aus += reader.push(c).length;
      if (c === zeros) maxHeld = Math.max(maxHeld, reader.heldBytes);
    }
    aus += reader.flush().length;
    expect(aus).toBe(120);
    expect(maxHeld).toBeLessThanOrEqual(reader.pictureByteLimit + 2 * MiB);
  });

  it('the same for any chunking, and with the stream going on after them', () => {
    const input = concatBytes([p03, zeros, p03]);
    const whole = pushAll([input]).outputs;
    for (const size of [1, 2, 3, 4, 7, 4096, 65_536]) {
      const cut: Uint8Array[] = [];
      for (let at = p03.length - 10_000; at < p03.length + MiB + 10_000; at += size)
        cut.push(input.subarray(at, Math.min(at + size, p03.length + MiB + 10_000)));
      const chunks = [
        input.subarray(0, p03.length - 10_000),
        ...cut,
        input.subarray(p03.length + MiB + 10_000),
      ];
      const outputs = pushAll(chunks).outputs;
      expect(framesOf(outputs), `chunks of ${size}`).toBe(240);
      expect(codesOf(outputs)).toEqual(codesOf(whole));
    }
    expect(framesOf(whole)).toBe(240);
  });

  it('junk after the zeros (no start code) is not glued to the unit they ended', () => {
    const junk = noStartCodes(MiB, 5);
    const outputs = pushAll([p03, new Uint8Array(16), junk, junk, p03]).outputs;
    // p03's last frame is whole; the junk is dropped up to the next start code.
    expect(framesOf(outputs)).toBe(240);
    expect(codesOf(outputs)).toEqual([]);
  });
});

describe('a NAL unit that never ends', () => {
  const p03 = readFixture('p03_main_bf3_pyramid_360p30.h264');
  const sps = parseSps(nalBytes(units(p03).find((u) => u.type === NalType.Sps) as NalUnit));
  const cap = maxNalBytes(sps);
  const junk = noStartCodes(MiB, 3);

  it('64 MB without a start code after a valid stream are dropped as they arrive; the stream after them is muxed', () => {
    // The junk is glued to the stream's last NAL unit, so that unit and its frame are lost.
    const chunks = [p03, ...new Array<Uint8Array>(64).fill(junk), p03];
    const { outputs, maxRetained } = pushAll(chunks, p03.length + MiB);
    expect(maxRetained).toBeLessThanOrEqual(cap);
    expect(codesOf(outputs)).toEqual(['NAL_TOO_LARGE']);
    expect(framesOf(outputs)).toBe(120 - 1 + 120);
    expectWellFormed(outputs);
  });

  it('the same whatever the chunking: the unit is judged by its length alone', () => {
    const input = concatBytes([p03, junk, p03]);
    const whole = pushAll([input]).outputs;
    const cut: Uint8Array[] = [];
    for (let at = 0; at < input.length; at += 65_536) cut.push(input.subarray(at, at + 65_536));
    const chunked = pushAll(cut).outputs;
    expect(framesOf(chunked)).toBe(framesOf(whole));
    expect(codesOf(chunked)).toEqual(codesOf(whole));
    expect(framesOf(whole)).toBe(239);
  });

  it('a lost unit that begins a picture ends the one before it, as when its head arrived (fuzz seed 100 case 14624)', () => {
    const all = units(p03);
    const first = (type: NalType): NalUnit => all.find((u) => u.type === type) as NalUnit;
    const annexB = (u: NalUnit): Uint8Array =>
      concatBytes([new Uint8Array([0, 0, 0, 1]), nalBytes(u)]);
    // A P picture, then an IDR slice that never ends, then another P picture: nothing to start from.
    const input = concatBytes([
      annexB(first(NalType.Sps)),
      annexB(first(NalType.Pps)),
      annexB(first(NalType.SliceNonIdr)),
      annexB(first(NalType.SliceIdr)),
      junk,
      annexB(first(NalType.SliceNonIdr)),
      new Uint8Array([0, 0, 0, 1, 0x09, 0xf0]), // an AUD: the last picture is complete
    ]);
    const warnings = (cuts: number): string[] => {
      const t = new Transmuxer();
      const out: string[] = [];
      for (let at = 0; at < input.length; at += cuts)
        out.push(...codesOf(t.push(input.subarray(at, at + cuts))));
      return out;
    };
    const expected = ['WAITING_FOR_KEYFRAME', 'NAL_TOO_LARGE', 'WAITING_FOR_KEYFRAME'];
    expect(warnings(input.length)).toEqual(expected);
    expect(warnings(65_536)).toEqual(expected);
  });

  it('before any SPS, 16 MiB is the bound', () => {
    // p11 starts with P slices whose SPS and PPS come later: H.264, but nothing says how large a picture is.
    const headless = readFixture('p11_midgop_start.h264').subarray(0, 20_000);
    const chunks = [headless, ...new Array<Uint8Array>(20).fill(junk), p03];
    const { outputs, maxRetained } = pushAll(chunks);
    expect(maxRetained).toBeLessThanOrEqual(16 * MiB);
    expect(maxRetained).toBeGreaterThan(15 * MiB);
    expect(codesOf(outputs)).toContain('NAL_TOO_LARGE');
    expect(framesOf(outputs)).toBe(120);
  });

  it('AccessUnitReader (the relay) drops it too', () => {
    const reader = new AccessUnitReader();
    let aus = 0;
    for (const c of [p03, ...new Array<Uint8Array>(8).fill(junk), p03])
      aus += reader.push(c).length;
    aus += reader.flush().length;
    expect(aus).toBe(120 - 1 + 120);
  });
});

describe('an access unit that never ends', () => {
  const frames: CodedFrame[] = [
    { type: 'I', idr: true, poc: 0 },
    { type: 'P', poc: 2, slices: 2 },
    { type: 'P', poc: 4 },
  ];
  // No reordering and a fragment per frame: complete frames leave at once, so what stays referenced is
  // the picture still open (in 'gop' mode a fragment holds its whole GOP until the next keyframe).
  const stream = progressiveStream({
    widthMbs: 4,
    heightMbs: 3,
    fps: 30,
    frames,
    maxNumReorderFrames: 0,
  });
  const options = { fragment: 'frame' } as const;
  const all = units(stream);
  // SPS, PPS 0, PPS 1, the IDR, then the two slices of the second picture and the third picture.
  const secondSlice = nalBytes(all[5] as NalUnit);
  const annexB = (u: Uint8Array): Uint8Array => concatBytes([new Uint8Array([0, 0, 0, 1]), u]);

  it('slices of one picture that keep coming are dropped past what a picture can hold', () => {
    // The second slice again and again: same frame_num, POC and PPS, first_mb_in_slice 6: the same picture.
    const repeat = annexB(secondSlice);
    const flood = new Array<Uint8Array>(20_000).fill(repeat);
    const { outputs, maxRetained } = pushAll([stream, ...flood, stream], stream.length, options);
    expect(codesOf(outputs)).toContain('ACCESS_UNIT_TOO_LARGE');
    // At most 3 * 12 macroblocks + 1024 units of one picture, whatever the flood's length.
    expect(maxRetained).toBeLessThanOrEqual((3 * 12 + MAX_PREFIX_UNITS + 1) * repeat.length);
    expectWellFormed(outputs);
    // The first stream (its last picture ends where the flood's first slice begins another), then the second.
    expect(framesOf(outputs)).toBe(3 + 3);
  });

  it('units in front of no picture are dropped past the prefix bound', () => {
    const sei = nalUnit(6, 0, new Uint8Array([5, 1, 0x80])); // an SEI, as a camera might repeat
    const flood = new Array<Uint8Array>(50_000).fill(sei);
    const { outputs, maxRetained } = pushAll([stream, ...flood, stream], stream.length, options);
    expect(codesOf(outputs)).toContain('ACCESS_UNIT_TOO_LARGE');
    expect(maxRetained).toBeLessThanOrEqual((MAX_PREFIX_UNITS + 1) * sei.length);
    expect(framesOf(outputs)).toBe(6);
  });
});
