/**
 * The live playout controller: feeds a LatencyPolicy (./live-latency.ts) with the element's state
 * and events (arrivals, stalls, frames the element skipped, a page becoming visible) and applies its
 * decisions to the element: a playbackRate, or a jump of the playhead. Frames jumped over are counted:
 * a live stream drops frames only to catch up with its edge, and says how many.
 *
 * Skipped frames are read from `requestVideoFrameCallback` (where the element has it): a gap in
 * `presentedFrames` between two callbacks is frames the compositor never showed (decoded too late),
 * when the element's dropped-frame count grew with it. Firefox's callbacks skip frames it did show
 * (bench:latency: 171 of 899 never seen, none dropped), which, taken as late, pushed its target
 * 100 ms up. Gaps across a seek or a hidden spell are not counted.
 */
import type { Clock, TimerId } from './clock.js';
import type { FrameCounter } from './frame-counter.js';
import { bounds, isBuffered } from './media-element.js';
import type { MediaElement } from './media-element.js';
import type { LatencyPolicy, PlayoutDecision, PlayoutInput } from './live-latency.js';
import type { Visibility } from './visibility.js';

/** Appends are a burst (a relay's GOP cache) until none came for this long. */
const JOIN_SETTLE_MS = 12;
/** A larger presentedFrames gap is a pause of the compositor (a hidden page), not skipped frames. */
const MAX_COUNTED_GAP = 30;

export interface LivePlayoutDeps {
  readonly media: MediaElement;
  readonly clock: Clock;
  readonly visibility: Visibility;
  readonly policy: LatencyPolicy;
  /** Rate changes go through it (engines that reset their frame counters at a change). */
  readonly frames: FrameCounter;
  /** Whether nothing is queued for the SourceBuffer (a burst has been appended). */
  queueIdle(): boolean;
}

type LiveState = 'waiting-for-first-frame' | 'playing' | 'destroyed';

export class LivePlayout {
  /** Stalls at the live edge ('waiting' while playing). */
  underflows = 0;
  jumps = 0;
  /** Frames jumped over to catch up. */
  skippedFrames = 0;
  /** Frames the element decoded but never presented (gaps in rVFC's presentedFrames). */
  unpresented = 0;
  /** When the first frame was appended (ms), for rates per minute. */
  startedAt: number | undefined;
  private state: LiveState = 'waiting-for-first-frame';
  private frameDuration = 0;
  private joinTimer: TimerId | undefined;
  private readonly unsubscribe: () => void;
  private frameCallback: number | undefined;
  /** presentedFrames at the last callback; undefined after a seek or a hidden spell. */
  private lastPresented: number | undefined;
  /** The element's dropped frames at the last callback. */
  private lastDropped = 0;
  private readonly onWaiting = (): void => {
    const media = this.deps.media;
    if (this.state !== 'playing' || media.seeking || media.paused) return;
    if (!this.deps.visibility.visible) return;
    this.underflows++;
    this.deps.policy.late(this.deps.clock.now());
  };
  private readonly onSeeking = (): void => {
    this.lastPresented = undefined;
  };
  private readonly onFrame = (_now: number, metadata: VideoFrameCallbackMetadata): void => {
    if (this.state !== 'playing') return;
    const last = this.lastPresented;
    this.lastPresented = metadata.presentedFrames;
    const hasCounts = this.deps.media.getVideoPlaybackQuality !== undefined;
    const dropped = this.deps.frames.read().dropped;
    const droppedMore = !hasCounts || dropped > this.lastDropped;
    this.lastDropped = dropped;
    const gap = last === undefined ? 0 : metadata.presentedFrames - last - 1;
    if (gap > 0 && gap <= MAX_COUNTED_GAP && droppedMore && this.deps.visibility.visible) {
      this.unpresented += gap;
      this.deps.policy.late(this.deps.clock.now());
    }
    this.watchFrames();
  };

  constructor(private readonly deps: LivePlayoutDeps) {
    deps.media.addEventListener('waiting', this.onWaiting);
    deps.media.addEventListener('seeking', this.onSeeking);
    this.unsubscribe = deps.visibility.subscribe(() => this.onVisibility());
  }

  /**
   * A frame presented at `mediaTime` (s) was appended now. Not measured in a hidden page: its timers
   * and messages are throttled, so arrivals there say nothing of the network.
   */
  arrived(mediaTime: number): void {
    if (this.state === 'destroyed' || !this.deps.visibility.visible) return;
    this.deps.policy.arrived(this.deps.clock.now(), mediaTime);
  }

  /** The next frame appended starts a new connection's arrivals (InitSegment.discontinuity). */
  discontinuity(): void {
    if (this.state === 'destroyed') return;
    this.deps.policy.discontinuity();
  }

  setFrameDuration(seconds: number): void {
    this.frameDuration = seconds;
    this.deps.policy.setFrameDuration(seconds);
  }

  /** The first frame was appended. */
  start(): void {
    if (this.state !== 'waiting-for-first-frame') return;
    this.state = 'playing';
    this.startedAt = this.deps.clock.now();
    this.deps.policy.started(this.startedAt);
    this.watchJoin();
    this.watchFrames();
  }

  /** Media was appended after the first frame. */
  appended(): void {
    if (this.state !== 'playing') return;
    this.tick();
    this.watchJoin();
  }

  /** The periodic check (also while the page is hidden, throttled). */
  tick(): void {
    if (this.state !== 'playing') return;
    this.apply(this.deps.policy.tick(this.input()));
  }

  destroy(): void {
    this.state = 'destroyed';
    this.deps.clock.clearTimeout(this.joinTimer);
    if (this.frameCallback !== undefined)
      this.deps.media.cancelVideoFrameCallback?.(this.frameCallback);
    this.deps.media.removeEventListener('waiting', this.onWaiting);
    this.deps.media.removeEventListener('seeking', this.onSeeking);
    this.unsubscribe();
  }

  private onVisibility(): void {
    this.lastPresented = undefined;
    if (this.state !== 'playing' || !this.deps.visibility.visible) return;
    // Back from a hidden page (where the video did not advance): straight to the edge.
    this.apply(this.deps.policy.visible(this.input()));
    this.tick();
    void this.deps.media.play().catch(() => undefined);
  }

  private watchFrames(): void {
    const media = this.deps.media;
    this.frameCallback = media.requestVideoFrameCallback?.(this.onFrame);
  }

  /** Once the appends have settled, the policy may jump to the edge (joining only). */
  private watchJoin(): void {
    const { clock, policy } = this.deps;
    if (!policy.joining(clock.now())) return;
    clock.clearTimeout(this.joinTimer);
    this.joinTimer = clock.setTimeout(() => {
      this.joinTimer = undefined;
      if (this.state !== 'playing' || !this.deps.queueIdle()) return;
      this.apply(policy.joined(this.input()));
    }, JOIN_SETTLE_MS);
  }

  private input(): PlayoutInput {
    const media = this.deps.media;
    const buffered = media.buffered;
    return {
      now: this.deps.clock.now(),
      playhead: media.currentTime,
      bufferedEnd: bounds(buffered).end,
      frameDuration: this.frameDuration,
      playbackRate: media.playbackRate,
      isBuffered: (time) => isBuffered(buffered, time),
    };
  }

  private apply(decision: PlayoutDecision): void {
    const media = this.deps.media;
    switch (decision.kind) {
      case 'keep':
        return;
      case 'rate':
        this.deps.frames.changeRate(decision.rate);
        return;
      case 'jump': {
        // Frames the element holds between the playhead and the target: a playhead before the buffer
        // (a new MediaSource, whose stream starts later) passes over none that it had.
        const from = Math.max(media.currentTime, bounds(media.buffered).start);
        media.currentTime = decision.to;
        // The join jump lands in the GOP being decoded; the others reset a catch-up rate.
        if (decision.reason !== 'join') this.deps.frames.changeRate(1);
        this.jumps++;
        if (this.frameDuration > 0) {
          this.skippedFrames += Math.max(0, Math.round((decision.to - from) / this.frameDuration));
        }
        if (decision.reason === 'far-behind' && media.paused && this.deps.visibility.visible) {
          void media.play().catch(() => undefined);
        }
        return;
      }
    }
  }
}
