import type { FpsSource } from '../types.js';
import type { Sps } from './sps.js';

/** A frame rate as an exact fraction of frames per second. */
export interface FrameRate {
  readonly num: number;
  readonly den: number;
}

export interface Timing {
  readonly fps: number;
  readonly source: FpsSource;
  /** Ticks per second of the media timeline. */
  readonly timescale: number;
  /** Ticks per frame: exact, so frame N is at N × frameDuration forever. */
  readonly frameDuration: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Frame rates below/above these are taken as broken timing info. */
export const MIN_FPS = 0.5;
export const MAX_FPS = 1000;

/** A user-given rate: 29.97 → 30000/1001, 23.976 → 24000/1001, 25 → 25/1, 12.5 → 25/2. */
export function rateFromNumber(fps: number): FrameRate {
  const ntsc = (fps * 1001) / 1000;
  if (Math.abs(ntsc - Math.round(ntsc)) < 0.0015 && Math.abs(fps - Math.round(fps)) > 0.001) {
    return { num: Math.round(ntsc) * 1000, den: 1001 };
  }
  const num = Math.round(fps * 1000);
  const g = gcd(num, 1000);
  return { num: num / g, den: 1000 / g };
}

/** §E.2.1: frame rate = time_scale / (2 × num_units_in_tick) (one tick per field). */
export function rateFromVui(sps: Sps): FrameRate | undefined {
  const vui = sps.vui;
  if (!vui?.timingInfoPresent || vui.numUnitsInTick === 0 || vui.timeScale === 0) return undefined;
  const num = vui.timeScale;
  const den = 2 * vui.numUnitsInTick;
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

/** Picks a timescale in which a frame lasts a whole number of ticks: 90 kHz when it divides, else the rate's own. */
export function timingFor(rate: FrameRate, source: FpsSource): Timing {
  const fps = rate.num / rate.den;
  let timescale = 90000;
  if ((timescale * rate.den) % rate.num !== 0) {
    timescale = rate.num;
    // Keep a fine grid for players that round to milliseconds.
    while (timescale < 10000) timescale *= 10;
  }
  return { fps, source, timescale, frameDuration: (timescale * rate.den) / rate.num };
}
