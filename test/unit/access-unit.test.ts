import { describe, expect, it } from 'vitest';
import { AccessUnitReader, type RawAccessUnit } from '../../src/core/access-unit-reader.js';
import { PocDecoder } from '../../src/core/h264/poc.js';
import { SliceType, type SliceHeader } from '../../src/core/h264/slice.js';
import type { Sps } from '../../src/core/h264/sps.js';
import { fixtures, readFixture } from '../helpers/fixtures.js';
import { paffStream } from '../helpers/synth.js';

/** A start code (3 or 4 bytes) at `i`. */
function startCodeAt(bytes: Uint8Array, i: number): boolean {
  return (
    bytes[i] === 0 &&
    bytes[i + 1] === 0 &&
    (bytes[i + 2] === 1 || (bytes[i + 2] === 0 && bytes[i + 3] === 1))
  );
}

/** NAL unit types in Annex-B bytes, in order. */
function nalTypes(bytes: Uint8Array): number[] {
  const types: number[] = [];
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 0 && bytes[i + 1] === 0 && bytes[i + 2] === 1) {
      types.push((bytes[i + 3] as number) & 0x1f);
      i += 2;
    }
  }
  return types;
}

/** Deterministic chunk sizes (mulberry32): many 1-4 byte pieces among larger ones. */
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

interface Read {
  readonly aus: RawAccessUnit[];
  /** `settledTo` after each push, with the number of access units returned up to then. */
  readonly settled: { readonly at: number; readonly returned: number }[];
}

function read(data: Uint8Array, sizes: readonly number[] | undefined): Read {
  const reader = new AccessUnitReader();
  const aus: RawAccessUnit[] = [];
  const settled: { at: number; returned: number }[] = [];
  let o = 0;
  for (const size of sizes ?? [data.length]) {
    aus.push(...reader.push(data.subarray(o, o + size)));
    o += size;
    settled.push({ at: reader.settledTo, returned: aus.length });
  }
  aus.push(...reader.flush());
  return { aus, settled };
}

/**
 * What a relay relies on: each access unit is the input's bytes from its start code on, in order and
 * without overlap, and no access unit returned after a push ends before that push's `settledTo` (bar
 * zero bytes, which may trail any NAL unit).
 */
function expectExactSpans(data: Uint8Array, r: Read): void {
  let previousEnd = 0;
  for (const au of r.aus) {
    expect(au.offset).toBeGreaterThanOrEqual(previousEnd);
    expect(
      Buffer.from(au.data).equals(Buffer.from(data.subarray(au.offset, au.offset + au.size))),
    ).toBe(true);
    expect(au.parts.reduce((n, p) => n + p.length, 0)).toBe(au.size);
    expect(startCodeAt(au.data, 0)).toBe(true);
    previousEnd = au.offset + au.size;
  }
  for (const { at, returned } of r.settled) {
    const later = r.aus[returned];
    if (!later) continue;
    const end = later.offset + later.size;
    if (end < at) expect(data.subarray(end, at).every((b) => b === 0)).toBe(true);
  }
}

describe('access units (§7.4.1.2.3-7.4.1.2.4) on every fixture', () => {
  for (const f of fixtures) {
    it(f.name, () => {
      const data = readFixture(f.name);
      const { aus } = read(data, undefined);
      // p11 starts without SPS/PPS: the access units before the first parameter sets cannot be parsed.
      // A stream cut inside its last frame (p12) loses that frame, as in the Transmuxer.
      const missing = f.oracleArgs.allowMissing ?? 0;
      const expected = (f.name.startsWith('p11') ? f.frames : f.accessUnits) - missing;
      expect(aus.length).toBe(expected);
      expect(aus.filter((a) => a.idr).length).toBe(f.idr);
      expect(aus.filter((a) => a.keyframe && !a.idr).length).toBe(f.recoverySei);
      expect(aus.some((a) => a.pictureType === 'B')).toBe(f.hasBFrames);
      // The first keyframe carries everything a joiner needs.
      const first = aus.find((a) => a.keyframe);
      expect((first?.parameterSets[4] ?? 0) & 0x1f).toBe(7); // SPS first
      // Byte-exact spans, whatever the chunking (down to single bytes at start codes).
      const whole = read(data, undefined);
      expectExactSpans(data, whole);
      const chunked = read(data, chunkSizes(f.bytes, data.length));
      expectExactSpans(data, chunked);
      expect(chunked.aus.map((a) => [a.offset, a.size])).toEqual(
        whole.aus.map((a) => [a.offset, a.size]),
      );
      // Between access units there is nothing but zero bytes (and garbage or undecodable units before
      // the first one).
      for (let i = 1; i < aus.length; i++) {
        const gap = data.subarray(aus[i - 1]!.offset + aus[i - 1]!.size, aus[i]!.offset);
        expect(gap.every((b) => b === 0)).toBe(true);
      }
      // A leading access unit delimiter is measured.
      for (const au of aus) {
        const types = nalTypes(au.data);
        expect(au.delimiterSize > 0).toBe(types[0] === 9);
        if (au.delimiterSize > 0)
          expect(nalTypes(au.data.subarray(au.delimiterSize))[0]).toBe(types[1]);
        expect(au.carriesParameterSets).toBe(types.includes(7) && types.includes(8));
      }
    });
  }

  it('keeps the 4 slices of a picture in one access unit', () => {
    const reader = new AccessUnitReader();
    const aus = [...reader.push(readFixture('p05_high_slices4_720p30.h264')), ...reader.flush()];
    const slicesPerAu = aus.map((au) => nalTypes(au.data).filter((t) => t === 1 || t === 5).length);
    expect(new Set(slicesPerAu)).toEqual(new Set([4]));
  });

  it('a field pair is one picture; its bytes stay unsettled until the pair is known', () => {
    const data = paffStream({
      widthMbs: 2,
      fieldHeightMbs: 1,
      pictures: ['fields', 'frame', 'bff', 'nonref', 'fields'],
      fps: 25,
    });
    const whole = read(data, undefined);
    expect(whole.aus.length).toBe(5);
    expectExactSpans(data, whole);
    for (let size = 1; size <= 7; size++) {
      expectExactSpans(
        data,
        read(
          data,
          Array.from({ length: Math.ceil(data.length / size) }, () => size),
        ),
      );
    }
  });

  it('flags the leading pictures of a recovery point (p14: open GOPs)', () => {
    const { aus } = read(readFixture('p14_opengop_bf3_recovery_sei.h264'), undefined);
    const keyframes = aus.flatMap((a, i) => (a.keyframe ? [i] : []));
    expect(keyframes).toEqual([0, 49, 99]);
    // One B picture after each recovery point shows before it; none follow the IDR.
    expect(aus.flatMap((a, i) => (a.leading ? [i] : []))).toEqual([50, 100]);
  });

  it('closes an access unit as soon as the next one starts, and on a transport-proven boundary', () => {
    const data = readFixture('p01_pi_baseline_vga30_inline.h264');
    const whole = new AccessUnitReader();
    const all = [...whole.push(data), ...whole.flush()];
    const first = all[0]?.size ?? 0;
    const second = all[1]?.size ?? 0;
    const reader = new AccessUnitReader();
    expect(reader.push(data.subarray(0, first)).length).toBe(0);
    // The start code alone does not tell: the bytes before it are not settled yet.
    expect(reader.push(data.subarray(first, first + 4)).length).toBe(0);
    expect(reader.settledTo).toBeLessThanOrEqual(first);
    // A few bytes of the next access unit prove the first one complete.
    expect(reader.push(data.subarray(first + 4, first + 8)).length).toBe(1);
    expect(reader.settledTo).toBe(first + 8);
    const framed = new AccessUnitReader();
    expect(framed.push(data.subarray(0, first), true).length).toBe(1);
    expect(framed.settledTo).toBe(first);
    expect(framed.push(data.subarray(first, first + second), true).length).toBe(1);
  });

  it('drops a last frame the stream ends inside, and says so', () => {
    const data = readFixture('p01_pi_baseline_vga30_inline.h264');
    const all = read(data, undefined).aus;
    const last = all.at(-1)!;
    const reader = new AccessUnitReader();
    const cut = [
      ...reader.push(data.subarray(0, last.offset + last.size - 100)),
      ...reader.flush(),
    ];
    expect(cut.length).toBe(all.length - 1);
    expect(reader.truncatedFrames).toBe(1);
  });
});

function sps(partial: Partial<Sps>): Sps {
  return {
    profileIdc: 66,
    constraintFlags: 0,
    levelIdc: 30,
    id: 0,
    chromaFormatIdc: 1,
    separateColourPlane: false,
    bitDepthLuma: 8,
    bitDepthChroma: 8,
    log2MaxFrameNum: 4,
    picOrderCntType: 2,
    log2MaxPocLsb: 0,
    deltaPicOrderAlwaysZero: false,
    offsetForNonRefPic: 0,
    offsetForTopToBottomField: 0,
    offsetForRefFrame: [],
    maxNumRefFrames: 1,
    picWidthInMbs: 20,
    picHeightInMapUnits: 15,
    frameMbsOnly: true,
    mbAdaptiveFrameField: false,
    direct8x8Inference: true,
    codedWidth: 320,
    codedHeight: 240,
    cropLeft: 0,
    cropRight: 0,
    cropTop: 0,
    cropBottom: 0,
    width: 320,
    height: 240,
    vui: undefined,
    vuiAt: 0,
    ...partial,
  };
}

function slice(partial: Partial<SliceHeader>): SliceHeader {
  return {
    nalType: 1,
    nalRefIdc: 1,
    idr: false,
    firstMbInSlice: 0,
    sliceType: SliceType.P,
    ppsId: 0,
    spsId: 0,
    frameNum: 0,
    fieldPic: false,
    bottomField: false,
    idrPicId: 0,
    picOrderCntLsb: 0,
    deltaPicOrderCntBottom: 0,
    deltaPicOrderCnt0: 0,
    deltaPicOrderCnt1: 0,
    redundantPicCnt: 0,
    mmco5: false,
    ...partial,
  };
}

describe('picture order count (§8.2.1)', () => {
  it('type 0: wraps pic_order_cnt_lsb into a growing count', () => {
    const s = sps({ picOrderCntType: 0, log2MaxPocLsb: 4 });
    const poc = new PocDecoder();
    const lsbs = [0, 4, 8, 12, 0, 4, 8];
    const out = lsbs.map((lsb, i) =>
      poc.decode(slice({ idr: i === 0, nalType: i === 0 ? 5 : 1, picOrderCntLsb: lsb }), s),
    );
    expect(out).toEqual([0, 4, 8, 12, 16, 20, 24]);
  });

  it('type 0: a bottom reference field passes its own lsb on (no false wrap after it)', () => {
    // Field pairs with lsb 2n / 2n + 1 and MaxPicOrderCntLsb 16: after the bottom field of lsb 9
    // comes lsb 10, which is no wrap (a bottom field counts as lsb 0 only after an MMCO 5).
    const s = sps({ picOrderCntType: 0, log2MaxPocLsb: 4, frameMbsOnly: false });
    const poc = new PocDecoder();
    const out: number[] = [];
    for (let n = 0; n < 12; n++) {
      const lsb = (2 * n) % 16;
      const top = { fieldPic: true, idr: n === 0, nalType: n === 0 ? 5 : 1, frameNum: n };
      out.push(poc.decode(slice({ ...top, picOrderCntLsb: lsb }), s));
      out.push(
        poc.decode(
          slice({ fieldPic: true, bottomField: true, frameNum: n, picOrderCntLsb: lsb + 1 }),
          s,
        ),
      );
    }
    expect(out).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });

  it('type 0: an IDR and MMCO 5 start counting again', () => {
    const s = sps({ picOrderCntType: 0, log2MaxPocLsb: 8 });
    const poc = new PocDecoder();
    expect(poc.decode(slice({ idr: true, nalType: 5, picOrderCntLsb: 0 }), s)).toBe(0);
    expect(poc.decode(slice({ picOrderCntLsb: 6 }), s)).toBe(6);
    expect(poc.decode(slice({ picOrderCntLsb: 10, mmco5: true }), s)).toBe(0);
    expect(poc.decode(slice({ picOrderCntLsb: 2 }), s)).toBe(2);
    expect(poc.decode(slice({ idr: true, nalType: 5, picOrderCntLsb: 0 }), s)).toBe(0);
  });

  it('type 2: output order follows decoding order, non-reference pictures one less', () => {
    const s = sps({ picOrderCntType: 2, log2MaxFrameNum: 4 });
    const poc = new PocDecoder();
    const pics = [
      slice({ idr: true, nalType: 5, frameNum: 0 }),
      slice({ frameNum: 1 }),
      slice({ frameNum: 2, nalRefIdc: 0 }),
      slice({ frameNum: 2 }),
    ];
    expect(pics.map((p) => poc.decode(p, s))).toEqual([0, 2, 3, 4]);
  });

  it('type 2: frame_num wrap adds MaxFrameNum', () => {
    const s = sps({ picOrderCntType: 2, log2MaxFrameNum: 4 });
    const poc = new PocDecoder();
    const out: number[] = [poc.decode(slice({ idr: true, nalType: 5, frameNum: 0 }), s)];
    for (let i = 1; i < 20; i++) out.push(poc.decode(slice({ frameNum: i % 16 }), s));
    expect(out).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i));
  });

  it('type 1: expected counts from the reference-frame offset cycle', () => {
    // Every reference frame advances by 2; a non-reference picture sits at expectedDeltaPerPicOrderCntCycle-based
    // count of the previous reference frame plus offset_for_non_ref_pic (8-6..8-10 worked by hand: 2 - 1 = 1).
    const s = sps({
      picOrderCntType: 1,
      offsetForRefFrame: [2],
      offsetForNonRefPic: -1,
      log2MaxFrameNum: 8,
    });
    const poc = new PocDecoder();
    const out = [
      poc.decode(slice({ idr: true, nalType: 5, frameNum: 0 }), s),
      poc.decode(slice({ frameNum: 1 }), s),
      poc.decode(slice({ frameNum: 2, nalRefIdc: 0 }), s),
      poc.decode(slice({ frameNum: 2 }), s),
    ];
    expect(out).toEqual([0, 2, 1, 4]);
  });
});
