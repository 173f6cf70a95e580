/**
 * The live latency policy: from where the playhead is against the newest buffered frame, decide a
 * playbackRate or a jump. Pure: inputs in, a decision out, no element and no timers (./live-playout.ts
 * applies the decisions), so that another policy (an adaptive playout delay) can replace it.
 *
 * This one holds the playhead `targetLatency` plus an underflow guard behind the newest frame:
 * - a small excess is caught up with a gentle rate (hls.js liveSync style: no seek, no decoder
 *   flush), from 1.25x for small distances up to MAX_CATCH_UP_RATE for large ones, with hysteresis;
 * - far behind (a hidden tab, a long stall) it jumps to the edge;
 * - the underflow guard: every stall at the edge ('waiting': the playhead ran past the newest frame
 *   before the next one arrived) keeps the playhead GUARD_STEP further behind, up to `maxGuardFrames`
 *   frames; after GUARD_RELAX_MS without a stall it comes GUARD_RELAX_STEP closer. Chromium counts
 *   the frames around each stall as dropped, and each stall delays the next frame. It starts at its
 *   maximum (stalls are the rule at a bare edge) and relaxes for a stream that arrives without jitter;
 * - joining: a relay's GOP cache arrives as one burst, so the first frame shown is up to a GOP behind
 *   the edge; once the burst has settled, one jump to the target (a seek within the GOP just decoded).
 */

export interface PlayoutInput {
  /** Milliseconds (the player's clock). */
  readonly now: number;
  readonly playhead: number;
  /** End of the last buffered range (s): the newest frame's end. */
  readonly bufferedEnd: number;
  /** One frame (s). */
  readonly frameDuration: number;
  readonly playbackRate: number;
  /** Whether `time` is buffered: a jump lands only in buffered media. */
  isBuffered(time: number): boolean;
}

export type JumpReason = 'far-behind' | 'join' | 'visible';

export type PlayoutDecision =
  | { readonly kind: 'keep' }
  | { readonly kind: 'rate'; readonly rate: number }
  | { readonly kind: 'jump'; readonly to: number; readonly reason: JumpReason };

/** What a live latency policy answers to; ./live-playout.ts calls it. */
export interface LatencyPolicy {
  /** The first frame was appended. */
  started(now: number, frameDuration: number): void;
  /** The playhead stalled at the edge ('waiting' while playing in a visible page). */
  stalled(now: number, frameDuration: number): void;
  /** Periodically and after each append. */
  tick(input: PlayoutInput): PlayoutDecision;
  /** Whether a settled burst of appends at `now` should be followed by `joined()`. */
  joining(now: number): boolean;
  /** A burst of appends settled (none for a few ms) while joining. */
  joined(input: PlayoutInput): PlayoutDecision;
  /** The page became visible again. */
  visible(input: PlayoutInput): PlayoutDecision;
  /** Seconds kept behind the newest frame beyond the target (for the stats). */
  readonly guard: number;
}

export interface EdgeGuardOptions {
  /** Seconds behind the newest frame to hold (0: at the edge). */
  readonly targetLatency: number;
  /** The guard's maximum, in frames. */
  readonly maxGuardFrames: number;
}

/** Far behind: a playhead further than this (s) behind the edge jumps instead of speeding up. */
const JUMP_MIN_SECONDS = 3;
const GUARD_STEP = 0.004;
const GUARD_RELAX_MS = 3000;
const GUARD_RELAX_STEP = 0.001;
/** Stalls this soon after the first frame (joining, catching up) do not move the guard. */
const GUARD_SETTLE_MS = 1000;
/** Back in a visible page, a playhead this far (s) behind the target jumps to the edge. */
const VISIBLE_JUMP_SECONDS = 0.3;
/** The one join jump happens only this soon after the first frame... */
const JOIN_WINDOW_MS = 3000;
/** ...and only when the playhead is this far (s) behind where the target puts it. */
const JOIN_JUMP_MIN_SECONDS = 0.1;
/** playbackRate never goes above this while catching up. */
export const MAX_CATCH_UP_RATE = 2;

export class EdgeGuardPolicy implements LatencyPolicy {
  guard = 0;
  private startedAt = 0;
  private lastGuardChange = 0;
  private joinDone = false;

  constructor(private readonly options: EdgeGuardOptions) {}

  started(now: number, frameDuration: number): void {
    this.startedAt = now;
    this.guard = frameDuration * this.options.maxGuardFrames;
    this.lastGuardChange = now;
  }

  stalled(now: number, frameDuration: number): void {
    if (now - this.startedAt < GUARD_SETTLE_MS) return;
    this.guard = Math.min(frameDuration * this.options.maxGuardFrames, this.guard + GUARD_STEP);
    this.lastGuardChange = now;
  }

  tick(input: PlayoutInput): PlayoutDecision {
    if (this.guard > 0 && input.now - this.lastGuardChange > GUARD_RELAX_MS) {
      this.guard = Math.max(0, this.guard - GUARD_RELAX_STEP);
      this.lastGuardChange = input.now;
    }
    const latency = input.bufferedEnd - input.playhead;
    const target = this.options.targetLatency;
    if (latency > Math.max(JUMP_MIN_SECONDS, target * 2 + 1))
      return this.toEdge(input, 'far-behind');
    // The newest frame's own duration is part of the distance to the buffer end. Hysteresis: start
    // catching up 10 ms beyond the target, stop at the target.
    const excess = latency - input.frameDuration - target - this.guard;
    const catchingUp = input.playbackRate > 1;
    let rate = 1;
    if (excess > (catchingUp ? 0 : 0.01)) {
      rate = Math.min(
        MAX_CATCH_UP_RATE,
        1 + Math.min(0.25, excess * 2) + Math.max(0, excess - 0.2) * 4,
      );
    }
    return Math.abs(input.playbackRate - rate) > 0.01 ? { kind: 'rate', rate } : { kind: 'keep' };
  }

  joining(now: number): boolean {
    return !this.joinDone && now - this.startedAt <= JOIN_WINDOW_MS;
  }

  joined(input: PlayoutInput): PlayoutDecision {
    if (!this.joining(input.now)) return { kind: 'keep' };
    const edge = input.bufferedEnd - input.frameDuration - this.options.targetLatency;
    if (edge - input.playhead <= JOIN_JUMP_MIN_SECONDS || !input.isBuffered(edge)) {
      return { kind: 'keep' };
    }
    this.joinDone = true;
    return { kind: 'jump', to: edge, reason: 'join' };
  }

  visible(input: PlayoutInput): PlayoutDecision {
    const behind =
      input.bufferedEnd - input.playhead - input.frameDuration - this.options.targetLatency;
    return behind > VISIBLE_JUMP_SECONDS ? this.toEdge(input, 'visible') : { kind: 'keep' };
  }

  /** The newest frame less the target, or the very end when that is not buffered. */
  private toEdge(input: PlayoutInput, reason: JumpReason): PlayoutDecision {
    const edge = Math.max(input.bufferedEnd - input.frameDuration - this.options.targetLatency, 0);
    const to = input.isBuffered(edge) ? edge : Math.max(input.bufferedEnd - 0.001, 0);
    return { kind: 'jump', to, reason };
  }
}
