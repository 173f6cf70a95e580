// The rate the relay tells its viewers for its camera (SteadyRate of Relay.arrivalFps every
// RATE_CHECK_MS), on a loaded machine: the relay's event loop now and then held up 150-300 ms, the
// frames that came meanwhile read at once after it. Counting the last 2 s of frames read a 25 fps
// camera at 24.25 (a page then said "the relay's camera sends 24" and set ?fps=24 in its advice).
import { describe, expect, it } from 'vitest';
import { AccessUnitReader } from '../../src/core/access-unit-reader.js';
import { Relay } from '../../src/cli/serve/relay.js';
import { arrivalRate, RATE_CHECK_MS, SteadyRate } from '../../src/cli/rate-check.js';
import { nominalFps } from '../../src/player/source-pace.js';
import { readFixture } from '../helpers/fixtures.js';
import { random } from '../helpers/random.js';

/**
 * What the relay tells of a `fps` camera over `seconds`, its event loop held up 150-300 ms about once a
 * second: the steady rates told, in order.
 */
function told(fps: number, seconds: number, seed: number): number[] {
  const data = readFixture('p01_pi_baseline_vga30_inline.h264');
  const reader = new AccessUnitReader();
  const frames = [...reader.push(data), ...reader.flush()];
  const r = random(seed);
  // Hold-ups: [start, end) ms.
  const holds: [number, number][] = [];
  for (let t = 500; t < seconds * 1000; t += 700 + r() * 600) holds.push([t, t + 150 + r() * 150]);
  const free = (t: number): number => holds.find(([a, b]) => t >= a && t < b)?.[1] ?? t;
  const events: { at: number; order: number; run: () => void }[] = [];
  let clock = 0;
  const relay = new Relay({ now: () => clock, earlyFrameEnd: false });
  for (let i = 0; i < seconds * fps; i++) {
    const frame = frames[i % frames.length]!;
    // p01 looped: each frame's bytes as the camera writes them (the first with what precedes it).
    const bytes = data.subarray(i === 0 ? 0 : frame.offset, frame.offset + frame.size);
    events.push({ at: free((i * 1000) / fps), order: 1, run: () => relay.push(bytes) });
  }
  const steady = new SteadyRate();
  const out: number[] = [];
  for (let t = RATE_CHECK_MS; t < seconds * 1000; t += RATE_CHECK_MS) {
    // A timer due in a hold-up runs at its end, before the frames read then (the worst order).
    events.push({
      at: free(t),
      order: 0,
      run: () => {
        const rate = steady.check(relay.arrivalFps());
        if (rate !== undefined) out.push(rate);
      },
    });
  }
  events.sort((a, b) => a.at - b.at || a.order - b.order);
  for (const e of events) {
    clock = e.at;
    e.run();
  }
  return out;
}

describe("the relay's camera rate on a loaded machine", () => {
  for (const seed of [1, 2, 3]) {
    it(`a 25 fps camera is told as 25 (seed ${seed})`, () => {
      const rates = told(25, 40, seed);
      expect(rates.length).toBeGreaterThan(10);
      for (const rate of rates) {
        expect(nominalFps(rate)).toBe(25);
        expect(Math.abs(rate - 25)).toBeLessThan(0.3);
      }
    });
  }

  it('a camera at 30, 15 and 0.5 fps unloaded: its rate', () => {
    for (const fps of [30, 15]) {
      const times = Array.from({ length: 4 * fps }, (_, i) => (i * 1000) / fps);
      expect(arrivalRate(times, 4000)).toBeCloseTo(fps, 6);
    }
    // Two frames 2 s apart in the window (a time-lapse camera).
    expect(arrivalRate([0, 2000], 4000)).toBeCloseTo(0.5, 6);
    // Less than a second of arrivals (a start): counted over the window.
    expect(arrivalRate([0, 100, 200], 4000)).toBeCloseTo(0.75, 6);
    expect(arrivalRate([], 4000)).toBe(0);
  });
});
