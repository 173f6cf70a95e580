// The relay's check of the arrival rate against the rate the stream is timed by (src/cli/rate-check.ts).
import { describe, expect, it } from 'vitest';
import { ArrivalRate, RATE_CHECKS, RateCheck, SteadyRate } from '../../src/cli/rate-check.js';
import type { Timing } from '../../src/cli/rate-check.js';

const ASSUMED: Timing = { fps: 30, fpsSource: 'default' };

function told(check: RateCheck, measured: number, timing = ASSUMED): (string | undefined)[] {
  return Array.from({ length: RATE_CHECKS }, () => check.check(measured, timing));
}

describe('RateCheck', () => {
  it('says what --fps to pass for a 25 fps camera without timing, once', () => {
    const check = new RateCheck();
    const said = told(check, 25);
    expect(said.slice(0, -1)).toEqual(Array(RATE_CHECKS - 1).fill(undefined));
    expect(said.at(-1)).toBe(
      "the stream arrives at 25 frames a second, and has no timing info (30 fps assumed): browsers play it at its pace, but LL-HLS and saved files run fast. If that is the camera's rate, restart with --fps 25.",
    );
    expect(told(check, 25.5)).toEqual(Array(RATE_CHECKS).fill(undefined));
    // A 2 s window counts whole frames: 25.5 for a 25 fps camera still names 25.
    expect(told(new RateCheck(), 25.5).at(-1)).toContain('restart with --fps 25.');
    // A new rate (the camera halved it in the dark) is told again.
    expect(told(check, 15).at(-1)).toContain('arrives at 15 frames a second');
  });

  it('names a VUI that does not match, and a source faster than its timing', () => {
    const said = told(new RateCheck(), 60, { fps: 30, fpsSource: 'vui' }).at(-1);
    expect(said).toBe(
      "the stream arrives at 60 frames a second, not the 30 fps its timing info states: browsers play it at its pace, but LL-HLS and saved files run slow. If that is the camera's rate, restart with --fps 60.",
    );
  });

  it('is silent on a stream at its rate (within 5 %), a passing dip, a paused source and --fps', () => {
    const check = new RateCheck();
    expect(told(check, 29)).toEqual(Array(RATE_CHECKS).fill(undefined));
    // One low reading between good ones: a hiccup, not a rate.
    expect(check.check(20, ASSUMED)).toBeUndefined();
    expect(check.check(30, ASSUMED)).toBeUndefined();
    expect(check.check(20, ASSUMED)).toBeUndefined();
    expect(told(check, 0)).toEqual(Array(RATE_CHECKS).fill(undefined));
    expect(told(check, 25, { fps: 30, fpsSource: 'option' })).toEqual(
      Array(RATE_CHECKS).fill(undefined),
    );
    expect(told(check, 25, { fps: undefined, fpsSource: undefined })).toEqual(
      Array(RATE_CHECKS).fill(undefined),
    );
  });
});

describe('SteadyRate (the rate the relay tells its viewers)', () => {
  it('is the mean of two checks in a row that agree within 5 %, nothing before or between', () => {
    const steady = new SteadyRate();
    expect(steady.check(30)).toBeUndefined();
    expect(steady.check(29.5)).toBe(29.75);
    expect(steady.check(20)).toBeUndefined();
    expect(steady.check(25)).toBeUndefined();
    expect(steady.check(25.5)).toBe(25.25);
    // A source that stopped, or no frames: starts afresh.
    steady.reset();
    expect(steady.check(25)).toBeUndefined();
    expect(steady.check(0.5)).toBeUndefined();
    expect(steady.check(0.5)).toBeUndefined();
  });
});

describe('ArrivalRate (convert of a pipe)', () => {
  const untimed: Timing = { fps: 30, fpsSource: 'default' };
  /** `seconds` of frames at `fps`, counted every `every` frames (a pipe's reads). */
  function fed(fps: number, seconds: number, every = 1): ArrivalRate {
    const arrival = new ArrivalRate();
    for (let i = every; i <= fps * seconds; i += every) arrival.count(i, (i * 1000) / fps);
    return arrival;
  }

  it('finds a camera at 25 frames a second, counted at every frame or every 25', () => {
    expect(fed(25, 8).rate()).toBeCloseTo(25, 6);
    expect(fed(25, 8, 25).rate()).toBeCloseTo(25, 6);
    expect(fed(25, 8).advice('rec.mp4', untimed)).toBe(
      "the input arrived at 25 frames a second, and has no timing info (30 fps assumed): rec.mp4 runs fast (1.2x). If that is the camera's rate, convert with --fps 25.",
    );
    expect(fed(50, 8).advice('rec.mp4', { fps: 25, fpsSource: 'vui' })).toMatch(
      /not the 25 fps its timing info states: rec.mp4 runs slow \(0\.5x\)\..* --fps 50\./,
    );
  });

  it('says nothing of a camera at its rate, of --fps, of a file read whole, of a short or unsteady input', () => {
    expect(fed(30, 8).advice('rec.mp4', untimed)).toBeUndefined();
    expect(fed(25, 8).advice('rec.mp4', { fps: 30, fpsSource: 'option' })).toBeUndefined();
    // A file piped in: thousands of frames a second.
    expect(fed(5000, 5).rate()).toBeUndefined();
    expect(fed(25, 3).rate()).toBeUndefined();
    const unsteady = fed(30, 4);
    for (let i = 1; i <= 60; i++) unsteady.count(120 + i, 4000 + (i * 1000) / 15);
    expect(unsteady.rate()).toBeUndefined();
  });
});
