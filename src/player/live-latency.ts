/**
 * The live latency policy of the MSE renderer: an adaptive playout delay. Pure: inputs in, a decision
 * out, no element and no timers (./live-playout.ts feeds it and applies its decisions).
 *
 * Each appended frame is an arrival for the estimator (./jitter-estimator.ts), which anchors a
 * playout clock on the best arrival and keeps a target delay above the jitter's p99 plus a decode
 * margin; stalls and frames the element skipped raise that margin (`late`). The playhead should be
 * where that clock puts it: `(now - best transit - target)`, never past the newest frame. The policy
 * moves it there with small playbackRate changes (proportional to the error, MIN_RATE..MAX_RATE),
 * and jumps only:
 * - far behind (more than FAR_BEHIND_S: a long stall, a throttled page);
 * - once when joining: a relay's GOP cache arrives as one burst, so the first frame shown is up to a
 *   GOP behind; once the burst has settled, one jump (a seek within the GOP just decoded);
 * - back in a visible page more than VISIBLE_JUMP_S behind;
 * - where the engine ignores playbackRate (WebKitGTK's MSE reports the rate it was given and plays at
 *   1x: bench:latency found it 0.35 s behind its target at 1.25 for whole runs): once a faster rate
 *   has left the playhead at real time for RATE_PROBE_S while it played, more than
 *   RATE_IGNORED_JUMP_S behind, at most every RATE_IGNORED_JUMP_EVERY_MS.
 */
import { JitterEstimator, MAX_TARGET_MS } from './jitter-estimator.js';
import type { JitterEstimatorOptions } from './jitter-estimator.js';

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

export type JumpReason = 'far-behind' | 'join' | 'visible' | 'rate-ignored';

export type PlayoutDecision =
  | { readonly kind: 'keep' }
  | { readonly kind: 'rate'; readonly rate: number }
  | { readonly kind: 'jump'; readonly to: number; readonly reason: JumpReason };

/** What a live latency policy answers to; ./live-playout.ts calls it. */
export interface LatencyPolicy {
  /** The first frame was appended. */
  started(now: number): void;
  /** A frame presented at `mediaTime` (s, the buffer's timeline) was appended at `now`. */
  arrived(now: number, mediaTime: number): void;
  /** A frame came too late: a stall at the edge, or frames the element skipped. */
  late(now: number): void;
  /** The next frame starts a new connection's arrivals (InitSegment.discontinuity). */
  discontinuity(): void;
  /** Periodically and after each append. */
  tick(input: PlayoutInput): PlayoutDecision;
  /** Whether a settled burst of appends at `now` should be followed by `joined()`. */
  joining(now: number): boolean;
  /** A burst of appends settled (none for a few ms) while joining. */
  joined(input: PlayoutInput): PlayoutDecision;
  /** The page became visible again. */
  visible(input: PlayoutInput): PlayoutDecision;
  /** The current target delay (ms). */
  targetMs(now: number): number;
  /** The stream's frame interval (s), once known and at each change. */
  setFrameDuration(seconds: number): void;
  /** Frames of reordering the decoder allows for (StreamInfo.reorderDepth), at each init segment. */
  setReorderDepth(frames: number): void;
  /** The measured jitter's p99 (ms). */
  jitterMs(): number;
  /** Media seconds the source sends per second (./source-pace.ts). */
  sourcePace(): number;
}

/**
 * playbackRate bounds. Steering is proportional (RATE_GAIN), so within 50 ms of the target the rate
 * stays within 0.97..1.05; a stall that left the playhead further behind is caught up faster, up to
 * MAX_RATE (a quarter of a second behind and more), rather than at 5 % for many seconds.
 */
export const MIN_RATE = 0.97;
export const MAX_RATE = 1.25;
/** Rate change per second of error (1: 20 ms off -> 2 % faster or slower). */
const RATE_GAIN = 1;
/** Within this (s) of the target, rate 1. */
const DEAD_BAND_S = 0.004;
/** A rate this close to the current one is not applied (each change costs some engines a flush). */
const RATE_STEP = 0.005;
/** Far behind: jump instead of speeding up. */
export const FAR_BEHIND_S = 2;
/** Back in a visible page, a playhead this far (s) behind the target jumps. */
const VISIBLE_JUMP_S = 0.3;
/** The one join jump happens only this soon after the first frame... */
const JOIN_WINDOW_MS = 3000;
/** ...and only when the playhead is this far (s) behind where the target puts it. */
const JOIN_JUMP_MIN_S = 0.1;

/** A rate at least this fast is watched: does the playhead follow it? */
const RATE_PROBE_MIN = 1.1;
/** Watched this long (s of the clock) before judging. */
const RATE_PROBE_S = 1.5;
/** With the rate ignored, a playhead this far (s) behind its target jumps there... */
const RATE_IGNORED_JUMP_S = 0.1;
/** ...at most this often (ms): each seek of a live MSE stream costs a short freeze. */
const RATE_IGNORED_JUMP_EVERY_MS = 3000;

/** The estimator's settings for MSE: about a vsync beyond the append to present. */
export const MSE_ESTIMATOR: Omit<JitterEstimatorOptions, 'fixedMs'> = {
  decodeMarginMs: 8,
  initialMarginMs: 0,
};

/**
 * Chromium's MSE pipeline shows a live stream smoothly only with about two frames buffered ahead of
 * the playhead; held closer it underflows ('waiting') every few seconds, each time a frame lost.
 * Measured with bench:latency (Chromium, idle, WebSocket one access unit per message, 30 fps, 30 s,
 * fixed delays): 60 ms 10 stalls/min, 0.3 % dropped; 80 ms 2/min, 0.2 %; 100 ms 2/min, 0.1 %. The
 * adaptive target adds this many frame intervals to the jitter's percentile and the margins (a
 * fixed target is the user's, as given).
 */
export const MSE_DECODE_AHEAD_FRAMES = 2;

export class PlayoutDelayPolicy implements LatencyPolicy {
  readonly estimator: JitterEstimator;
  private startedAt = 0;
  private joinDone = false;
  /** One frame (ms): the decode-ahead term's unit (0 until set). */
  private frameMs = 0;
  private reorderFrames = 0;
  /** Watching a fast rate: since when (ms), from which playhead (s), the slowest rate asked since. */
  private rateProbe: { since: number; playhead: number; rate: number } | undefined;
  /** The engine was seen to ignore playbackRate: catching up takes jumps. */
  rateIgnored = false;
  private lastRateJump = -Infinity;

  /**
   * `fixedMs`: a fixed target delay; undefined: adaptive, with `decodeAheadFrames` frame intervals
   * on top of the estimator's target.
   */
  constructor(
    fixedMs: number | undefined,
    options = MSE_ESTIMATOR,
    private readonly decodeAheadFrames = MSE_DECODE_AHEAD_FRAMES,
  ) {
    this.estimator = new JitterEstimator({ ...options, fixedMs });
  }

  started(now: number): void {
    this.startedAt = now;
  }

  arrived(now: number, mediaTime: number): void {
    this.estimator.push(now, mediaTime);
  }

  late(now: number): void {
    this.estimator.late(now);
  }

  /**
   * A reconnect: its arrivals are joined as the first ones were (a relay's burst again is no jitter).
   * No second join jump: a burst after a reconnect may also be frames the transmuxer held for
   * reordering until the connection ended, and every one of them is shown (the rate catches up).
   */
  discontinuity(): void {
    this.estimator.discontinuity();
  }

  setFrameDuration(seconds: number): void {
    this.frameMs = seconds * 1000;
  }

  setReorderDepth(frames: number): void {
    this.reorderFrames = frames;
  }

  targetMs(now: number): number {
    // Frame intervals as the source sends them.
    const frame = this.frameMs * this.estimator.pace.msPerMediaMs;
    // A decoder that reorders holds each frame until that many more are decoded (a B-frame stream:
    // 2 at 30 fps stalled 18 times in 15 s with the same margin as a stream without).
    const ahead = this.estimator.adaptive
      ? (this.decodeAheadFrames + this.reorderFrames) * frame
      : 0;
    return Math.min(MAX_TARGET_MS, this.estimator.target(now) + ahead);
  }

  jitterMs(): number {
    return this.estimator.jitter();
  }

  sourcePace(): number {
    return this.estimator.pace.rate;
  }

  tick(input: PlayoutInput): PlayoutDecision {
    const desired = this.desired(input);
    if (desired === undefined) return { kind: 'keep' };
    const behind = desired - input.playhead;
    if (behind > FAR_BEHIND_S) return this.jumpTo(input, desired, 'far-behind');
    this.watchRate(input);
    if (this.rateIgnored) {
      if (
        behind > RATE_IGNORED_JUMP_S &&
        input.now - this.lastRateJump >= RATE_IGNORED_JUMP_EVERY_MS &&
        input.isBuffered(desired)
      ) {
        this.lastRateJump = input.now;
        return { kind: 'jump', to: desired, reason: 'rate-ignored' };
      }
      return input.playbackRate === 1 ? { kind: 'keep' } : { kind: 'rate', rate: 1 };
    }
    // The source's pace (./source-pace.ts): a camera slower than its timeline plays slower.
    const pace = this.estimator.pace.rate;
    let rate = pace;
    if (Math.abs(behind) > DEAD_BAND_S) {
      rate = pace * Math.min(MAX_RATE, Math.max(MIN_RATE, 1 + behind * RATE_GAIN));
    }
    if (Math.abs(input.playbackRate - rate) < RATE_STEP * pace && rate !== pace) {
      return { kind: 'keep' };
    }
    return input.playbackRate === rate ? { kind: 'keep' } : { kind: 'rate', rate };
  }

  joining(now: number): boolean {
    return !this.joinDone && now - this.startedAt <= JOIN_WINDOW_MS;
  }

  joined(input: PlayoutInput): PlayoutDecision {
    if (!this.joining(input.now)) return { kind: 'keep' };
    const desired = this.desired(input);
    if (desired === undefined || desired - input.playhead <= JOIN_JUMP_MIN_S)
      return { kind: 'keep' };
    if (!input.isBuffered(desired)) return { kind: 'keep' };
    this.joinDone = true;
    return { kind: 'jump', to: desired, reason: 'join' };
  }

  visible(input: PlayoutInput): PlayoutDecision {
    const desired = this.desired(input);
    if (desired === undefined || desired - input.playhead <= VISIBLE_JUMP_S)
      return { kind: 'keep' };
    return this.jumpTo(input, desired, 'visible');
  }

  /**
   * Whether the playhead follows a fast rate: over RATE_PROBE_S at RATE_PROBE_MIN or more, a playhead
   * that played at real time (not stalled: 0.9x or more) but gained less than a third of what the rate
   * asked for says the engine ignores the rate. A slower rate, a stall or a jump ends the watch.
   */
  private watchRate(input: PlayoutInput): void {
    if (this.rateIgnored) return;
    if (input.playbackRate < RATE_PROBE_MIN) {
      this.rateProbe = undefined;
      return;
    }
    const probe = this.rateProbe;
    if (!probe) {
      this.rateProbe = { since: input.now, playhead: input.playhead, rate: input.playbackRate };
      return;
    }
    probe.rate = Math.min(probe.rate, input.playbackRate);
    const wall = (input.now - probe.since) / 1000;
    if (wall < RATE_PROBE_S) return;
    const played = input.playhead - probe.playhead;
    this.rateProbe = undefined;
    if (played >= 0.9 * wall && played < wall * (1 + (probe.rate - 1) / 3)) this.rateIgnored = true;
  }

  /**
   * Where the playhead should be (s): the playout clock's time, never past the newest frame's start
   * (a frame later than the target: speeding up towards it would only stall sooner).
   */
  private desired(input: PlayoutInput): number | undefined {
    const best = this.estimator.baseline;
    if (best === undefined || input.bufferedEnd <= 0) return undefined;
    const clock = this.estimator.pace.mediaMs(input.now - best - this.targetMs(input.now)) / 1000;
    return Math.max(0, Math.min(clock, input.bufferedEnd - input.frameDuration));
  }

  private jumpTo(input: PlayoutInput, to: number, reason: JumpReason): PlayoutDecision {
    const landing = input.isBuffered(to)
      ? to
      : Math.max(input.bufferedEnd - input.frameDuration, 0);
    return { kind: 'jump', to: landing, reason };
  }
}
