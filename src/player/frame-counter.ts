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
  /**
   * The engine counts dropped frames outside totalVideoFrames, where the spec counts them in it
   * (Media Playback Quality §2: the frames that would have been shown had none been dropped).
   * WebKitGTK does (its sink's rendered and dropped frames); it shows once dropped exceeds decoded.
   */
  private droppedApart = false;
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
      const decodedReset = now.decoded < this.last.decoded;
      const droppedReset = now.dropped < this.last.dropped;
      if (decodedReset || droppedReset) {
        // WebKitGTK's MSE starts totalVideoFrames again at a rate change but not droppedVideoFrames,
        // and the new total counts the dropped frames once more (77/55, then 56/55): added as they
        // were, a live page read 1972 decoded and 932 dropped of 1216 frames, WebKit 57 dropped.
        const carried = !droppedReset && now.decoded >= now.dropped ? now.dropped : 0;
        this.base = {
          decoded:
            this.base.decoded + (decodedReset ? Math.max(0, this.last.decoded - carried) : 0),
          dropped: this.base.dropped + (droppedReset ? this.last.dropped : 0),
        };
        this.resets++;
      }
      this.last = now;
    }
    const counts = {
      decoded: this.base.decoded + this.last.decoded,
      dropped: this.base.dropped + this.last.dropped,
    };
    if (counts.dropped > counts.decoded) this.droppedApart = true;
    return counts;
  }

  /** Frames shown: decoded less dropped (or, where the engine counts them apart, decoded). */
  shown(counts: FrameCounts = this.read()): number {
    return this.droppedApart ? counts.decoded : counts.decoded - counts.dropped;
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
