import { describe, expect, it } from 'vitest';
import { ReorderMeter } from '../../src/core/h264/reorder.js';

/** Per picture, the earlier pictures (decoding order) of its sequence that follow it in output order. */
function counts(pocs: readonly (number | 'restart')[]): number[] {
  const meter = new ReorderMeter();
  const out: number[] = [];
  for (const poc of pocs) {
    if (poc === 'restart') meter.restart();
    else out.push(meter.add(poc));
  }
  return out;
}

describe('ReorderMeter (max_num_reorder_frames as §E.2.1 defines it)', () => {
  it('gives 0 without reordering and 1 for one B-frame between references', () => {
    expect(counts([0, 2, 4, 6])).toEqual([0, 0, 0, 0]);
    // Decoding order I0 P4 B2 P8 B6: each B follows one later-output reference.
    expect(counts([0, 4, 2, 8, 6])).toEqual([0, 0, 1, 0, 1]);
  });

  it('gives 2 for a B-pyramid (P8 B4 b2 b6): b2 waits for P8 and B4', () => {
    expect(counts([0, 8, 4, 2, 6])).toEqual([0, 0, 1, 2, 1]);
  });

  it('forgets the previous sequence at an IDR or MMCO 5', () => {
    expect(counts([0, 8, 4, 'restart', 0, 2])).toEqual([0, 0, 1, 0, 0]);
  });

  it('stays exact up to 16 with bounded memory, and says 16 beyond', () => {
    // 20 pictures in descending order: the k-th follows all k earlier ones.
    const pocs = Array.from({ length: 20 }, (_, i) => 100 - i);
    expect(counts(pocs)).toEqual(pocs.map((_, k) => Math.min(k, 16)));
    // Long runs without reordering keep the count at 0 however many pictures went before.
    expect(counts(Array.from({ length: 1000 }, (_, i) => i)).every((n) => n === 0)).toBe(true);
  });
});
