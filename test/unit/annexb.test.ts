import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnnexBSplitter } from '../../src/core/h264/annexb.js';
import type { NalUnit } from '../../src/core/h264/nal.js';

function bytesOf(nal: NalUnit): number[] {
  return nal.parts.flatMap((p) => [...p]);
}

function splitAll(chunks: readonly Uint8Array[]): number[][] {
  return split(chunks).units;
}

function split(chunks: readonly Uint8Array[]): { units: number[][]; garbage: number } {
  const s = new AnnexBSplitter();
  const out: NalUnit[] = [];
  for (const c of chunks) out.push(...s.push(c));
  out.push(...s.flush());
  return { units: out.map(bytesOf), garbage: s.garbageBytes };
}

/** `data` cut into chunks of one byte. */
function bytewise(data: Uint8Array): Uint8Array[] {
  return Array.from({ length: data.length }, (_, i) => data.subarray(i, i + 1));
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

  it('gives the same units and garbage count for every split point and every pair of them', () => {
    const expected = { units: EXPECTED, garbage: 2 };
    for (let i = 0; i <= STREAM.length; i++) {
      expect(split([STREAM.subarray(0, i), STREAM.subarray(i)])).toEqual(expected);
      for (let j = i; j <= STREAM.length; j++) {
        expect(split([STREAM.subarray(0, i), STREAM.subarray(i, j), STREAM.subarray(j)])).toEqual(
          expected,
        );
      }
    }
    expect(split(bytewise(STREAM))).toEqual(expected);
  });

  it('counts no garbage for a start code, or leading zeros, that arrive a byte at a time', () => {
    for (const start of [
      [0, 0, 1],
      [0, 0, 0, 1],
      [0, 0, 0, 0, 0, 0, 1],
    ]) {
      const stream = new Uint8Array([...start, 0x67, 1, 2, 0, 0, 1, 0x68, 5]);
      expect(split(bytewise(stream))).toEqual({
        units: [
          [0x67, 1, 2],
          [0x68, 5],
        ],
        garbage: 0,
      });
    }
    // Zeros that are not followed by a 01 are garbage like any other byte.
    const stream = new Uint8Array([7, 0, 0, 9, 0, 0, 0, 1, 0x67, 1]);
    expect(split(bytewise(stream))).toEqual({ units: [[0x67, 1]], garbage: 4 });
  });

  it('skips a unit up to the next start code and holds none of its bytes meanwhile', () => {
    const s = new AnnexBSplitter();
    const units: number[][] = [];
    const push = (bytes: number[]): void => {
      units.push(...s.push(new Uint8Array(bytes)).map(bytesOf));
    };
    push([0, 0, 1, 0x67, 1, 0, 0, 1, 0x65, 7, 7]);
    expect(s.unitBytes).toBe(3);
    expect(s.heldFrom).toBe(8);
    s.skipUnit();
    expect(s.unitBytes).toBe(0);
    expect(s.heldFrom).toBe(11);
    push([7, 7, 7, 0]);
    expect(s.unitBytes).toBe(0);
    expect(s.peekHead()).toBeUndefined();
    expect(s.heldFrom).toBe(15);
    push([0, 1, 0x41, 9]);
    expect(s.heldFrom).toBe(17);
    units.push(...s.flush().map(bytesOf));
    expect(units).toEqual([
      [0x67, 1],
      [0x41, 9],
    ]);
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
