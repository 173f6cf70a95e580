// Back-buffer trimming: removals end at keyframes, and keyframes of another timeline (an append in
// flight during a restart) or of an emptied buffer are forgotten.
import { describe, expect, it } from 'vitest';
import { BackBuffer } from '../../../src/player/back-buffer.js';
import { FakeTimeRanges } from './fake-mse.js';

const ranges = (...r: [number, number][]): FakeTimeRanges => new FakeTimeRanges(r);

describe('BackBuffer', () => {
  it('trims to the last keyframe keepBehind seconds behind the playhead, once per GOP or so', () => {
    const b = new BackBuffer(2);
    b.add([0, 1, 2, 3, 4, 5], b.generation);
    // Less than keepBehind + 1 s buffered behind: nothing.
    expect(b.trim(2.9, ranges([0, 6]))).toBeUndefined();
    expect(b.trim(3.5, ranges([0, 6]))).toEqual([0, 1]);
    expect(b.trim(5.2, ranges([0, 6]))).toEqual([0, 3]);
    expect(b.evictions).toBe(2);
  });

  it('never cuts into the GOP being played when evicting for room', () => {
    const b = new BackBuffer(20);
    b.add([0, 1, 2], b.generation);
    expect(b.evictable(2.7, ranges([0, 3]))).toEqual([0, 2]);
    // Within the first GOP (or less than half a second of it): nothing can go.
    expect(b.evictable(0.9, ranges([0, 3]))).toBeUndefined();
    expect(b.evictable(1.3, ranges([0.8, 3]))).toBeUndefined();
  });

  it('forgets the keyframes a removal took, and all of them when the buffer is empty', () => {
    const b = new BackBuffer(2);
    b.add([0, 1, 2, 3], b.generation);
    b.removed(ranges([2, 4]));
    expect(b.keyframes).toEqual([2, 3]);
    // An empty buffer has no start (a browser reports none; 0 would keep every keyframe).
    b.removed(ranges());
    expect(b.keyframes).toEqual([]);
  });

  it('ignores the keyframes of an append queued before a restart', () => {
    const b = new BackBuffer(2);
    const before = b.generation;
    b.add([20, 21], before);
    b.restart();
    expect(b.keyframes).toEqual([]);
    // The append in flight at the restart completes afterwards: its keyframes are of the old timeline.
    b.add([22, 23], before);
    b.removed(ranges());
    b.add([3, 4, 5], b.generation);
    expect(b.keyframes).toEqual([3, 4, 5]);
    // With the stale 22 and 23 kept, a playhead at 24.5 would remove [0, 23] though 23 is not buffered.
    expect(b.trim(24.5, ranges([3, 6]))).toEqual([0, 5]);
  });

  it('keeps keyframes sorted when an append brings an earlier one', () => {
    const b = new BackBuffer(2);
    b.add([2, 4], b.generation);
    b.add([3, 4], b.generation);
    expect(b.keyframes).toEqual([2, 3, 4]);
  });
});
