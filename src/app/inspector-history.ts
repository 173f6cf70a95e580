/**
 * What the stream inspector shows, kept from a session's start whether or not the inspector is built:
 * its charts (uPlot, and the Intl data uPlot loads) cost a long main-thread task, so ./page.ts loads
 * ./inspector.ts only when it is first opened, and it then shows the whole history. Bounded for a live
 * stream of hours: the last MAX_FRAMES frames (their sample facts, not their bytes), the init segment
 * in force, the latest media segment and a minute of latency samples. No DOM.
 */
import type { InitSegment, MediaSegment, TransmuxerOutput } from '../core/index.js';
import type { Frame } from './frame-series.js';

/** Frames kept for the charts and the frame view. */
export const MAX_FRAMES = 600;
/** Latency/buffer samples kept (60 s at 4 Hz). */
export const MAX_LIVE_SAMPLES = 240;

export interface LiveSample {
  readonly latency: number | undefined;
  readonly bufferedAhead: number;
}

export class InspectorHistory {
  /** The frames held: MAX_FRAMES and up to a quarter more (trimmed in batches). */
  private held: Frame[] = [];
  init: InitSegment | undefined;
  latest: MediaSegment | undefined;
  /** Seconds since the first sample, latency (s) and buffered ahead (s). */
  readonly live: { t: number[]; latency: (number | null)[]; buffered: number[] } = {
    t: [],
    latency: [],
    buffered: [],
  };
  private liveStart: number | undefined;
  /** Bumped at every change: a view redraws when it differs from the one it drew. */
  version = 0;

  /** Session outputs, in order. Only appends: O(samples). */
  addOutputs(outputs: readonly TransmuxerOutput[]): void {
    for (const out of outputs) {
      if (out.type === 'init') {
        this.init = out;
      } else if (out.type === 'media') {
        this.latest = out;
        for (const sample of out.samples) {
          // The player's gray pictures (start pictures, anchors) are not the stream's.
          if (sample.startPicture || sample.anchor) continue;
          this.held.push({ sample, timescale: out.timescale, init: this.init });
        }
        this.version++;
      }
    }
    // Trim in batches: no per-frame shifting of a 600-element array.
    if (this.held.length > MAX_FRAMES * 1.25) this.held = this.held.slice(-MAX_FRAMES);
  }

  /** Latency and buffer level at `now` (s, any monotonic clock), sampled a few times a second. */
  addLiveSample(sample: LiveSample, now: number): void {
    this.liveStart ??= now;
    this.live.t.push(now - this.liveStart);
    this.live.latency.push(sample.latency ?? null);
    this.live.buffered.push(sample.bufferedAhead);
    if (this.live.t.length > MAX_LIVE_SAMPLES) {
      this.live.t.shift();
      this.live.latency.shift();
      this.live.buffered.shift();
    }
    this.version++;
  }

  /** The last MAX_FRAMES frames, oldest first. */
  get frames(): readonly Frame[] {
    return this.held.length > MAX_FRAMES ? this.held.slice(-MAX_FRAMES) : this.held;
  }

  /** Forgets everything (a new session). */
  reset(): void {
    this.held = [];
    this.init = undefined;
    this.latest = undefined;
    this.liveStart = undefined;
    this.live.t.length = 0;
    this.live.latency.length = 0;
    this.live.buffered.length = 0;
    this.version++;
  }
}
