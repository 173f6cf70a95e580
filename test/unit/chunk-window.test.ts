import { describe, expect, it } from 'vitest';
import { ChunkWindow } from '../../src/core/bytes/chunk-window.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const joined = (parts: Uint8Array[]): number[] => parts.flatMap((p) => [...p]);

describe('ChunkWindow', () => {
  it('gives spans across chunks as views, whole chunks as themselves', () => {
    const w = new ChunkWindow();
    const a = bytes(0, 1, 2);
    const b = bytes(3, 4);
    const c = bytes(5, 6, 7, 8);
    w.push(a);
    w.push(new Uint8Array(0));
    w.push(b);
    w.push(c);
    expect(w.position).toBe(9);
    expect(joined(w.span(2, 7))).toEqual([2, 3, 4, 5, 6]);
    const whole = w.span(3, 5);
    expect(whole).toHaveLength(1);
    expect(whole[0]).toBe(b);
    const part = w.span(1, 2)[0] as Uint8Array;
    expect(part.buffer).toBe(a.buffer);
    expect(w.span(9, 12)).toEqual([]);
    expect(w.byteAt(0)).toBe(0);
    expect(w.byteAt(8)).toBe(8);
    expect(w.byteAt(9)).toBeUndefined();
  });

  it('lets go of the chunks that end at or before a position only', () => {
    const w = new ChunkWindow();
    w.push(bytes(0, 1, 2));
    w.push(bytes(3, 4));
    w.push(bytes(5, 6));
    w.releaseBefore(4); // the second chunk ends at 5: kept
    expect(w.heldBytes).toBe(4);
    expect(w.byteAt(2)).toBeUndefined();
    expect(w.byteAt(3)).toBe(3);
    expect(joined(w.span(0, 7))).toEqual([3, 4, 5, 6]);
    w.releaseBefore(5);
    expect(w.heldBytes).toBe(2);
  });

  it('keeps counting positions across a clear', () => {
    const w = new ChunkWindow();
    w.push(bytes(0, 1, 2));
    w.clear();
    expect(w.heldBytes).toBe(0);
    expect(w.byteAt(1)).toBeUndefined();
    w.push(bytes(9, 8));
    expect(w.position).toBe(5);
    expect(joined(w.span(3, 5))).toEqual([9, 8]);
    expect(w.byteAt(4)).toBe(8);
  });
});
