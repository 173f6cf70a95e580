/**
 * Whether the stream arrives at the rate it is timed by. Raw H.264 carries no capture times: the
 * relay's LL-HLS and the pages time frames by the stream's VUI rate, `--fps`, or an assumed 30 fps. A
 * camera that sends another rate (raspivid writes no timing, so a 25 fps one runs off an assumed 30)
 * plays in browsers at its own pace (src/player/source-pace.ts), but LL-HLS segments and saved files
 * run fast or slow. The relay measures the arrival rate and says what to pass, once per rate.
 */

import { fpsText, nominalFps } from '../../player/source-pace.js';

/** Off by more than this share... */
export const RATE_SHARE = 0.05;
/** ...at this many checks in a row that agree within it (the relay checks every RATE_CHECK_MS). */
export const RATE_CHECKS = 2;
export const RATE_CHECK_MS = 2000;

export interface Timing {
  /** The rate the stream is timed by (undefined before its first SPS). */
  readonly fps: number | undefined;
  /** 'vui', 'option' (--fps) or 'default' (assumed). */
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
    if (timing.fpsSource === 'option' || fps === undefined || measured < 1) {
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
    // A 2 s window counts whole frames (24.5 or 25.5 for a 25 fps camera): name the camera's rate.
    const rate = fpsText(nominalFps(measured));
    const runs = measured < fps ? 'fast' : 'slow';
    const timed =
      timing.fpsSource === 'vui'
        ? `not the ${fmt(fps)} fps its timing info states`
        : `and has no timing info (${fmt(fps)} fps assumed)`;
    return `the stream arrives at ${fmt(measured)} frames a second, ${timed}: browsers play it at its pace, but LL-HLS and saved files run ${runs}. If that is the camera's rate, restart with --fps ${rate}.`;
  }
}

function near(a: number, b: number): boolean {
  return Math.abs(a - b) <= RATE_SHARE * b;
}

function fmt(fps: number): string {
  return String(Math.round(fps * 100) / 100);
}
