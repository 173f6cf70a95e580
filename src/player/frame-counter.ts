/**
 * The element's decoded and dropped frame counts (`getVideoPlaybackQuality()`, Media Playback
 * Quality §2), accumulated across resets: WebKit starts its counters again at every playbackRate
 * change, so that a panel reading them directly showed "3 decoded" and a negative frame rate.
 */
import type { MediaElement } from './media-element.js';

export interface FrameCounts {
  readonly decoded: number;
  readonly dropped: number;
}

export class FrameCounter {
  private base: FrameCounts = { decoded: 0, dropped: 0 };
  private last: FrameCounts = { decoded: 0, dropped: 0 };
  /** Counter resets seen. */
  resets = 0;
  private readonly onRateChange = (): void => void this.read();

  constructor(private readonly media: MediaElement) {
    // A reset follows a rate change: reading right then keeps what was counted before it.
    media.addEventListener('ratechange', this.onRateChange);
  }

  /** Frames decoded and dropped since the element started, across counter resets. */
  read(): FrameCounts {
    const quality = this.media.getVideoPlaybackQuality?.();
    if (quality) {
      const now = { decoded: quality.totalVideoFrames, dropped: quality.droppedVideoFrames };
      if (now.decoded < this.last.decoded || now.dropped < this.last.dropped) {
        this.base = {
          decoded: this.base.decoded + this.last.decoded,
          dropped: this.base.dropped + this.last.dropped,
        };
        this.resets++;
      }
      this.last = now;
    }
    return {
      decoded: this.base.decoded + this.last.decoded,
      dropped: this.base.dropped + this.last.dropped,
    };
  }

  /**
   * Sets the element's playbackRate, reading the counts right before: WebKit resets them at the
   * change, and frames counted since the last read would otherwise be lost from the sums.
   */
  changeRate(rate: number): void {
    this.read();
    this.media.playbackRate = rate;
  }

  destroy(): void {
    this.media.removeEventListener('ratechange', this.onRateChange);
  }
}
