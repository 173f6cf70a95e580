import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnnexBSplitter } from '../../src/core/h264/annexb.js';
import type { NalUnit } from '../../src/core/h264/nal.js';

function bytesOf(nal: NalUnit): number[] {
  return nal.parts.flatMap((p) => [...p]);
}

function splitAll(chunks: readonly Uint8Array[]): number[][] {
  const s = new AnnexBSplitter();
  const out: NalUnit[] = [];
  for (const c of chunks) out.push(...s.push(c));
  out.push(...s.flush());
  return out.map(bytesOf);
}

const STREAM = new Uint8Array([
  // leading garbage, 4-byte start code, SPS-like unit, trailing zero, 3-byte start code, slice, 4-byte start code, slice, trailing zeros
  0xaa,
  0xbb, 0, 0, 0, 1, 0x67, 1, 2, 0, 0, 3, 1, 0, 0, 0, 1, 0x68, 5, 0, 0, 1, 0x65, 9, 9, 0, 0, 0, 0, 1,
  0x41, 7, 0, 0,
]);
const EXPECTED = [
  [0x67, 1, 2, 0, 0, 3, 1],
  [0x68, 5],
  [0x65, 9, 9],
  [0x41, 7],
];

describe('AnnexBSplitter', () => {
  it('splits 3- and 4-byte start codes, drops trailing zeros and leading garbage', () => {
    const s = new AnnexBSplitter();
    const units = [...s.push(STREAM), ...s.flush()];
    expect(units.map(bytesOf)).toEqual(EXPECTED);
    expect(units.map((u) => u.type)).toEqual([7, 8, 5, 1]);
    expect(units.map((u) => u.refIdc)).toEqual([3, 3, 3, 2]);
    expect(s.garbageBytes).toBe(2);
  });

  it('gives the same units for every split point and every pair of split points', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      expect(splitAll([STREAM.subarray(0, i), STREAM.subarray(i)])).toEqual(EXPECTED);
      for (let j = i; j <= STREAM.length; j++) {
        expect(
          splitAll([STREAM.subarray(0, i), STREAM.subarray(i, j), STREAM.subarray(j)]),
        ).toEqual(EXPECTED);
      }
    }
  });

  it('hands out views into the pushed chunk, not copies', () => {
    const s = new AnnexBSplitter();
    const units = [...s.push(STREAM), ...s.flush()];
    for (const u of units) for (const p of u.parts) expect(p.buffer).toBe(STREAM.buffer);
  });

  it('agrees with a naive reference splitter on random streams and chunkings', () => {
    const unit = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((u) => {
      // A valid NAL unit payload: no 00 00 0x (x ≤ 3) inside, first byte non-zero, last byte non-zero.
      const out: number[] = [];
      for (const b of u) {
        const n = out.length;
        if (n >= 2 && out[n - 1] === 0 && out[n - 2] === 0 && b <= 3) out.push(3);
        out.push(b);
      }
      out[0] = (out[0] ?? 0) | 1;
      if (out[out.length - 1] === 0) out.push(0x80);
      return out;
    });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(unit, fc.integer({ min: 2, max: 4 }), fc.integer({ min: 0, max: 2 })), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 20 }),
        (units, cuts) => {
          const bytes: number[] = [];
          for (const [payload, zeros, trailing] of units)
            bytes.push(
              ...new Array<number>(zeros).fill(0),
              1,
              ...payload,
              ...new Array<number>(trailing).fill(0),
            );
          const stream = new Uint8Array(bytes);
          const chunks: Uint8Array[] = [];
          let o = 0;
          for (const c of cuts) {
            chunks.push(stream.subarray(o, Math.min(stream.length, o + c)));
            o = Math.min(stream.length, o + c);
          }
          chunks.push(stream.subarray(o));
          expect(splitAll(chunks)).toEqual(units.map(([payload]) => payload));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('exposes the head of the unit still arriving, without trailing zeros', () => {
    const s = new AnnexBSplitter();
    s.push(new Uint8Array([0, 0, 1, 0x67, 1, 0, 0, 1, 0x65, 0x88, 0]));
    expect([...(s.peekHead() ?? [])]).toEqual([0x65, 0x88]);
    s.reset();
    expect(s.peekHead()).toBeUndefined();
  });
});
