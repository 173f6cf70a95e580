/**
 * Whether a live stream arrives at the rate it is timed by. Raw H.264 carries no capture times: the
 * relay's LL-HLS, `convert` and the pages time frames by the stream's VUI rate, `--fps`, or an assumed
 * 30 fps. A camera that sends another rate (raspivid and rpicam-vid write no timing, so a 25 fps one runs
 * off an assumed 30) plays in browsers at its own pace (src/player/source-pace.ts), but LL-HLS segments
 * and MP4 files run fast or slow. The relay measures the arrival rate and says what to pass, once per
 * rate (RateCheck); `convert` of a pipe says so at its end (ArrivalRate).
 */

import { fpsText, nominalFps } from '../player/source-pace.js';
import { median, pairSlopes } from '../player/theil-sen.js';

/** Off by more than this share... */
export const RATE_SHARE = 0.05;
/** ...at this many checks in a row that agree within it (the relay checks every RATE_CHECK_MS). */
export const RATE_CHECKS = 2;
export const RATE_CHECK_MS = 2000;

export interface Timing {
  /** The rate the stream is timed by (undefined before its first SPS). */
  readonly fps: number | undefined;
  /** 'vui', 'option' (--fps), 'upstream' (an upstream relay's --fps) or 'default' (assumed). */
  readonly fpsSource: string | undefined;
}

export class RateCheck {
  private off = 0;
  private last = 0;
  private told: number | undefined;

  /** A check: `measured` frames a second arrived lately. Returns what to tell, or undefined. */
  check(measured: number, timing: Timing): string | undefined {
    const fps = timing.fps;
    // --fps is the user's word; a paused or lost source says nothing of its rate.
    if (givenRate(timing) || fps === undefined || measured < 1) {
      this.off = 0;
      return undefined;
    }
    if (near(measured, fps)) {
      this.off = 0;
      return undefined;
    }
    this.off = near(measured, this.last) ? this.off + 1 : 1;
    this.last = measured;
    if (this.off < RATE_CHECKS) return undefined;
    if (this.told !== undefined && near(measured, this.told)) return undefined;
    this.told = measured;
    const off = offTimeline(measured, timing, fps);
    return `the stream arrives at ${fmt(measured)} frames a second, ${off.timed}: browsers play it at its pace, but LL-HLS and saved files run ${off.runs}. If that is the camera's rate, restart with --fps ${off.rate}.`;
  }
}

/**
 * The source's rate as the relay tells its viewers (src/sources/relay-protocol.ts): once two checks in
 * a row agree within RATE_SHARE (steady), their mean (each an arrivalRate over the last few seconds).
 */
export class SteadyRate {
  private last = 0;

  /** A check: `measured` frames a second arrived lately. Returns the steady rate, or undefined. */
  check(measured: number): number | undefined {
    const last = this.last;
    this.last = measured;
    if (measured < 1 || !near(last, measured)) return undefined;
    return Math.round(((measured + last) / 2) * 100) / 100;
  }

  /** The source is not streaming: the next rate starts afresh. */
  reset(): void {
    this.last = 0;
  }
}

/**
 * How a stream measured at `measured` fps is off the `fps` it is timed by: how it is timed, whether its
 * files run fast or slow, and the rate to pass (the nominal one: a 2 s window of whole frames reads 24.5
 * or 25.5 for a 25 fps camera).
 */
function offTimeline(
  measured: number,
  timing: Timing,
  fps: number,
): { timed: string; runs: 'fast' | 'slow'; rate: string } {
  return {
    timed:
      timing.fpsSource === 'vui'
        ? `not the ${fmt(fps)} fps its timing info states`
        : `and has no timing info (${fmt(fps)} fps assumed)`,
    runs: measured < fps ? 'fast' : 'slow',
    rate: fpsText(nominalFps(measured, fps)),
  };
}

/** The arrival rate's slopes are taken between frames this far apart (ms) at least. */
export const RATE_PAIR_MS = 1000;
/** It fits this many arrivals at most (evenly taken): the pairs grow as the square. */
const RATE_FIT_POINTS = 120;

/**
 * Frames a second, from the arrival times (ms, ascending) of the frames in the last `windowMs`: the
 * median of the rates between every two arrivals RATE_PAIR_MS or more apart (Theil-Sen). Counting the
 * window's frames read a 25 fps camera at 24.25 on a loaded machine (frames held up by the event loop
 * fall into the next window; two checks' mean was 97 frames in 4 s); a held-up frame moves few of the
 * pairs' rates. Arrivals spanning less than RATE_PAIR_MS are counted over the window.
 */
export function arrivalRate(times: readonly number[], windowMs: number): number {
  const n = times.length;
  const first = times[0];
  const last = times[n - 1];
  if (first === undefined || last === undefined || last - first < RATE_PAIR_MS) {
    return (n * 1000) / windowMs;
  }
  const stride = Math.max(1, Math.ceil(n / RATE_FIT_POINTS));
  // Milliseconds a frame between two arrivals, as frames a second.
  const rates = pairSlopes(times, undefined, RATE_PAIR_MS, stride).map((ms) => 1000 / ms);
  return median(rates) ?? (n * 1000) / windowMs;
}

/** A camera sends this many frames a second at most: an input faster than that is a file read whole. */
export const MAX_CAMERA_FPS = 240;
/** The rate is taken after the input's first second (a pipe's start may hold a burst)... */
export const ARRIVAL_SKIP_MS = 1000;
/** ...over this much of it at least, its two halves within RATE_SHARE of each other (steady). */
export const ARRIVAL_MIN_MS = 4000;

/**
 * The rate frames of a live input (a pipe, a FIFO, stdin) arrived at, and what to say when it is not
 * the rate the output is timed by: `curl .../stream.h264 | h264mux convert - -o rec.mp4` of a raspivid
 * camera at 25 fps, timed at an assumed 30, makes a file that runs 20 % fast.
 */
export class ArrivalRate {
  private readonly points: { readonly at: number; readonly frames: number }[] = [];
  private frames = 0;
  private start: number | undefined;

  /** `frames` frames in all had come in by `now` (ms). */
  count(frames: number, now: number): void {
    if (frames <= this.frames) return;
    this.start ??= now;
    this.frames = frames;
    if (now - this.start >= ARRIVAL_SKIP_MS) this.points.push({ at: now, frames });
  }

  /** Frames a second, when the input came steadily at a camera's pace; else undefined. */
  rate(): number | undefined {
    const first = this.points[0];
    const last = this.points[this.points.length - 1];
    if (!first || !last || last.at - first.at < ARRIVAL_MIN_MS) return undefined;
    const middle = first.at + (last.at - first.at) / 2;
    const mid = this.points.find((p) => p.at >= middle) ?? last;
    const rate = (a: { at: number; frames: number }, b: { at: number; frames: number }): number =>
      ((b.frames - a.frames) * 1000) / (b.at - a.at);
    const whole = rate(first, last);
    if (whole > MAX_CAMERA_FPS || mid === first || mid === last) return undefined;
    if (!near(rate(first, mid), rate(mid, last))) return undefined;
    return whole;
  }

  /**
   * What to say of `output` when the input arrived off the rate it was timed by (`--fps` is the user's
   * word: nothing), else undefined.
   */
  advice(output: string, timing: Timing): string | undefined {
    const measured = this.rate();
    const fps = timing.fps;
    if (measured === undefined || fps === undefined || givenRate(timing)) return undefined;
    if (near(measured, fps)) return undefined;
    const off = offTimeline(measured, timing, fps);
    const speed = Math.round((fps / measured) * 100) / 100;
    return `the input arrived at ${fmt(measured)} frames a second, ${off.timed}: ${output} runs ${off.runs} (${speed}x). If that is the camera's rate, convert with --fps ${off.rate}.`;
  }
}

/** A rate someone chose: --fps here, or an upstream relay's (its operator's --fps). */
export function givenRate(timing: Timing): boolean {
  return timing.fpsSource === 'option' || timing.fpsSource === 'upstream';
}

function near(a: number, b: number): boolean {
  return Math.abs(a - b) <= RATE_SHARE * b;
}

function fmt(fps: number): string {
  return String(Math.round(fps * 100) / 100);
}
