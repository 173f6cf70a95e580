// A rate read from the arrivals counts once it has held (src/player/rate-hold.ts): a tilt of a second
// or two is not told, a camera's real rate is, with its latest reading.
import { describe, expect, it } from 'vitest';
import { RateHold } from '../../../src/player/rate-hold.js';

/** Readings every 500 ms from `from` (ms), one per entry; returns what each read() returned. */
function readAll(hold: RateHold, rates: (number | undefined)[], from = 0): (number | undefined)[] {
  return rates.map((rate, i) => hold.read(from + i * 500, rate));
}

describe('RateHold', () => {
  it('tells a rate once readings within the share have come for the hold', () => {
    const told = readAll(new RateHold(3000, 0.05), [25, 25.2, 24.9, 25.1, 25, 25.1, 25.05, 25]);
    // 0, 500 ... 2500: held less than 3 s; from 3000 on: the latest reading.
    expect(told).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      25.05,
      25,
    ]);
  });

  it('a tilt of a second or two is not told', () => {
    const told = readAll(new RateHold(3000, 0.05), [27.8, 27.9, 27.8, 27.6, undefined, undefined]);
    expect(told.every((t) => t === undefined)).toBe(true);
  });

  it('a rate that moves beyond the share starts the hold again', () => {
    const hold = new RateHold(3000, 0.05);
    readAll(hold, [25, 25, 25, 25, 25, 25, 25]);
    expect(hold.held(3000, 25)).toBe(25);
    // The camera goes to 50: 50 is told 3 s after its first reading, 25 no longer.
    expect(readAll(hold, Array<number>(7).fill(50), 3500)).toEqual([...Array<undefined>(6), 50]);
    expect(hold.held(6500, 25)).toBeUndefined();
  });

  it('held() asks without reading', () => {
    const hold = new RateHold(3000, 0.05);
    expect(hold.held(0, 25)).toBeUndefined();
    hold.read(0, 25);
    expect(hold.held(2999, 25)).toBeUndefined();
    expect(hold.held(3000, 25.5)).toBe(25.5);
    expect(hold.held(3000, 30)).toBeUndefined();
    // Asking for another rate did not start a hold for it.
    expect(hold.held(9000, 25)).toBe(25);
  });
});
