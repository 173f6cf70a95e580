/**
 * A file shows every frame, however slow the decoder: when the element drops frames (decoded too
 * late to be shown) or stalls with plenty buffered ahead (the decoder, not the data, is behind),
 * playback slows down instead of skipping on, and speeds up again step by step once that has not
 * happened for a while. The playhead itself is never moved.
 *
 * Dropped frames count only where a display shows every frame at the requested rate with room to
 * spare (frame rate × rate up to MAX_PACED_FPS, 3/4 of a 60 Hz display): closer to the refresh rate
 * the compositor drops frames whatever the decoder does (headless Chromium drops a third of a 60 fps
 * stream on an idle machine), and beyond it the user asked for a rate the display cannot show whole
 * (e.g. 4x to skim a file). A stall counts at any rate: under load Chromium's clock otherwise runs on
 * past frames not yet decoded, which are then never decoded at all.
 *
 * Not where a rate change restarts the pipeline: WebKitGTK (GStreamer) applies a playbackRate with a
 * flushing seek, which re-decodes frames (157 decoded for 150) and resets the frame counters. Such an
 * engine is recognised by that reset (FrameCounter.resets) after the first change, and left alone.
 */
import type { Clock } from './clock.js';
import type { FrameCounter } from './frame-counter.js';
import { bufferedAhead } from './media-element.js';
import type { MediaElement } from './media-element.js';

/** Frames per second presented (frame rate × rate) up to which dropped frames slow playback. */
export const MAX_PACED_FPS = 45;
/** A stall with at least this much (s) buffered ahead is the decoder's. */
export const DECODER_STALL_AHEAD = 0.5;
/** Each slowdown multiplies the rate by this... */
const SLOW_FACTOR = 0.7;
/** ...down to this. */
export const MIN_PACE_RATE = 0.25;
/** Without a drop or a stall for this long, the rate goes up by RECOVER_FACTOR (up to the target). */
const RECOVER_MS = 2000;
const RECOVER_FACTOR = 1.2;

type PaceState = 'at-target' | 'slowed';

export class DecodePace {
  /** Times the rate was lowered. */
  slowdowns = 0;
  /** Frames the element dropped while playing at a rate where every frame can be shown. */
  dropped = 0;
  /** Stalls with data buffered ahead. */
  decoderStalls = 0;
  private state: PaceState = 'at-target';
  private rate: number;
  private frameRate = 0;
  private seen: number;
  private calmSince: number;
  /** 'waiting' counts once the element played since the last seek. */
  private playing = false;
  private readonly onPlaying = (): void => {
    this.playing = true;
  };
  private readonly onSeeking = (): void => {
    this.playing = false;
  };
  private readonly onWaiting = (): void => {
    const media = this.media;
    if (!this.playing || media.paused || media.seeking || media.ended) return;
    if (bufferedAhead(media.buffered, media.currentTime, 0) < DECODER_STALL_AHEAD) return;
    this.decoderStalls++;
    this.slowDown();
  };

  constructor(
    private readonly media: MediaElement,
    private readonly clock: Clock,
    private readonly counter: FrameCounter,
    private target: number,
  ) {
    this.rate = target;
    this.seen = counter.read().dropped;
    this.calmSince = clock.now();
    media.addEventListener('playing', this.onPlaying);
    media.addEventListener('seeking', this.onSeeking);
    media.addEventListener('waiting', this.onWaiting);
  }

  /** The rate playback runs at: the target, or lower while the decoder could not keep up. */
  get currentRate(): number {
    return this.rate;
  }

  get slowed(): boolean {
    return this.state === 'slowed';
  }

  setTarget(rate: number): void {
    this.target = rate;
    this.rate = rate;
    this.state = 'at-target';
  }

  /** The stream's frame rate (frames per second). */
  setFrameRate(fps: number): void {
    this.frameRate = fps;
  }

  /** The periodic check. */
  tick(): void {
    const media = this.media;
    const { dropped } = this.counter.read();
    const fresh = dropped - this.seen;
    this.seen = dropped;
    if (media.paused || media.seeking || media.ended) {
      this.calmSince = this.clock.now();
      return;
    }
    if (fresh > 0 && this.frameRate > 0 && this.frameRate * this.target <= MAX_PACED_FPS) {
      this.dropped += fresh;
      this.slowDown();
      return;
    }
    const now = this.clock.now();
    if (this.state === 'slowed' && this.paceable && now - this.calmSince >= RECOVER_MS) {
      this.calmSince = now;
      const rate = Math.min(this.target, this.rate * RECOVER_FACTOR);
      if (rate >= this.target) this.state = 'at-target';
      this.apply(rate);
    }
  }

  destroy(): void {
    this.media.removeEventListener('playing', this.onPlaying);
    this.media.removeEventListener('seeking', this.onSeeking);
    this.media.removeEventListener('waiting', this.onWaiting);
  }

  /** Whether rate changes are cheap here (see the header). */
  private get paceable(): boolean {
    return this.counter.resets === 0;
  }

  private slowDown(): void {
    if (!this.paceable) return;
    this.calmSince = this.clock.now();
    const rate = Math.max(
      MIN_PACE_RATE,
      Math.min(this.rate, this.media.playbackRate) * SLOW_FACTOR,
    );
    if (rate >= this.rate) return;
    this.slowdowns++;
    this.state = 'slowed';
    this.apply(rate);
  }

  private apply(rate: number): void {
    this.rate = rate;
    if (Math.abs(this.media.playbackRate - rate) > 1e-3) this.counter.changeRate(rate);
  }
}
