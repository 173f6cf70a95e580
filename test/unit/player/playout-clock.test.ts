// The playout clock: up at once, down at a bounded speed, a jump only when far behind.
import { describe, expect, it } from 'vitest';
import { CATCH_UP_RATE, FAR_BEHIND_MS, PlayoutClock } from '../../../src/player/playout-clock.js';

describe('PlayoutClock', () => {
  it('takes the first wanted offset, and a higher one at once', () => {
    const clock = new PlayoutClock();
    expect(clock.offsetAt(0, 100)).toBe(100);
    expect(clock.offsetAt(10, 140)).toBe(140);
  });

  it('comes down towards a lower wanted offset at CATCH_UP_RATE, never below it', () => {
    const clock = new PlayoutClock();
    clock.offsetAt(0, 200);
    expect(clock.offsetAt(100, 100)).toBeCloseTo(200 - 100 * CATCH_UP_RATE, 9);
    // Asked twice at one time: no second step.
    expect(clock.offsetAt(100, 100)).toBeCloseTo(200 - 100 * CATCH_UP_RATE, 9);
    expect(clock.offsetAt(10_000, 100)).toBe(100);
  });

  it('jumps when more than FAR_BEHIND_MS behind', () => {
    const clock = new PlayoutClock();
    clock.offsetAt(0, 100 + FAR_BEHIND_MS + 1);
    expect(clock.offsetAt(1, 100)).toBe(100);
  });

  it('starts from the first frame shown, when that was later than wanted', () => {
    const clock = new PlayoutClock();
    clock.offsetAt(0, 50);
    // Source time 100 ms shown at 300 ms: offset 200.
    clock.start(300, 100);
    expect(clock.offsetAt(300, 50)).toBe(200);
    // Shown earlier than wanted: the wanted offset stays.
    const early = new PlayoutClock();
    early.offsetAt(0, 50);
    early.start(10, 100);
    expect(early.offsetAt(10, 50)).toBe(50);
  });

  it('gives the due time a falling clock reaches, so that a timer set for it fires on time', () => {
    const clock = new PlayoutClock();
    clock.offsetAt(0, 200);
    // Wanted 100: the offset falls from 200 at CATCH_UP_RATE; media time 50 ms is due at t where
    // 50 + 200 - rate * t = t.
    const due = clock.dueAt(50, 0, 100);
    expect(due).toBeCloseTo(250 / (1 + CATCH_UP_RATE), 9);
    expect(50 + clock.offsetAt(due, 100)).toBeCloseTo(due, 9);
    // Far enough ahead, the clock has come down to the wanted offset.
    expect(clock.dueAt(1000, due, 100)).toBe(1100);
  });
});
