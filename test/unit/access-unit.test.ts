import { describe, expect, it } from 'vitest';
import { AccessUnitReader } from '../../src/core/access-unit-reader.js';
import { PocDecoder } from '../../src/core/h264/poc.js';
import { SliceType, type SliceHeader } from '../../src/core/h264/slice.js';
import type { Sps } from '../../src/core/h264/sps.js';
import { fixtures, readFixture } from '../helpers/fixtures.js';

describe('access units (§7.4.1.2.3-7.4.1.2.4) on every fixture', () => {
  for (const f of fixtures) {
    it(f.name, () => {
      const reader = new AccessUnitReader();
      const aus = [...reader.push(readFixture(f.name)), ...reader.flush()];
      // p11 starts without SPS/PPS: the access units before the first parameter sets cannot be parsed.
      const expected = f.name.startsWith('p11') ? f.frames : f.accessUnits;
      expect(aus.length).toBe(expected);
      expect(aus.filter((a) => a.idr).length).toBe(f.idr);
      expect(aus.filter((a) => a.keyframe && !a.idr).length).toBe(f.recoverySei);
      expect(aus.some((a) => a.pictureType === 'B')).toBe(f.hasBFrames);
      // Each access unit starts with a start code and the first keyframe carries everything a joiner needs.
      for (const au of aus) expect([...au.data.subarray(0, 4)]).toEqual([0, 0, 0, 1]);
      const first = aus.find((a) => a.keyframe);
      expect((first?.parameterSets[4] ?? 0) & 0x1f).toBe(7); // SPS first
    });
  }

  it('keeps the 4 slices of a picture in one access unit', () => {
    const reader = new AccessUnitReader();
    const aus = [...reader.push(readFixture('p05_high_slices4_720p30.h264')), ...reader.flush()];
    const slicesPerAu = aus.map((au) => {
      let n = 0;
      for (let i = 0; i + 4 < au.data.length; i++) {
        if (
          au.data[i] === 0 &&
          au.data[i + 1] === 0 &&
          au.data[i + 2] === 0 &&
          au.data[i + 3] === 1
        ) {
          const type = (au.data[i + 4] ?? 0) & 0x1f;
          if (type === 1 || type === 5) n++;
        }
      }
      return n;
    });
    expect(new Set(slicesPerAu)).toEqual(new Set([4]));
  });

  it('closes an access unit as soon as the next one starts, and on a transport-proven boundary', () => {
    const data = readFixture('p01_pi_baseline_vga30_inline.h264');
    const whole = new AccessUnitReader();
    const all = [...whole.push(data), ...whole.flush()];
    const first = all[0]?.data.length ?? 0;
    const second = all[1]?.data.length ?? 0;
    // Bytes as they appear in the file (4-byte start codes everywhere in p01).
    const reader = new AccessUnitReader();
    expect(reader.push(data.subarray(0, first)).length).toBe(0);
    // A few bytes of the next access unit prove the first one complete.
    expect(reader.push(data.subarray(first, first + 8)).length).toBe(1);
    const framed = new AccessUnitReader();
    expect(framed.push(data.subarray(0, first), true).length).toBe(1);
    expect(framed.push(data.subarray(first, first + second), true).length).toBe(1);
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
    codedWidth: 320,
    codedHeight: 240,
    cropLeft: 0,
    cropRight: 0,
    cropTop: 0,
    cropBottom: 0,
    width: 320,
    height: 240,
    vui: undefined,
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
