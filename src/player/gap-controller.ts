/**
 * Gaps and stalls: the playhead at the start of the stream, and a playhead stuck outside the
 * buffered ranges.
 *
 * - Before the first frame is appended, the playhead moves to the first presentation time when the
 *   element allows it (HTML §4.8.11.9: setting currentTime needs HAVE_METADATA; the seekable range
 *   must cover it). A seek after decoding began would decode the first frames twice.
 * - A playhead before or between buffered ranges that stays there (GAP_NUDGE_MS without enough data
 *   to play) moves to the start of the next range: frames are appended in stream order, so no frame
 *   will ever arrive in the gap (a reconnect, a restart at a keyframe after the seek target, a hole in
 *   the stream). A playhead inside a range is never moved, however slow the decoder: a file shows
 *   every frame; frames a live stream skips to catch up are its controller's decision.
 * - File: a playhead that ran off the data: the element's clock ran on while the page could not
 *   append (seen in Chromium under heavy load: the playhead at the duration, 2.98 s, with 1 s
 *   buffered, then the next GOP appended behind it). Once frames it never played are buffered
 *   behind it, it goes back to where the data it played ended, so that they are shown (and
 *   `endOfStream` does not seek back to the end, past them, when it shortens the duration below the
 *   playhead). A playhead just past the end with nothing appended behind it is left alone: a seek
 *   there would flush the frames the decoder still holds (B-frames wait for the end of the stream).
 */
import type { Clock } from './clock.js';
import { HAVE_FUTURE_DATA, HAVE_METADATA, nextRangeStart, RANGE_SLACK } from './media-element.js';
import type { MediaElement } from './media-element.js';

/** A playhead stuck before or between ranges this long is moved to the next range. */
export const GAP_NUDGE_MS = 400;

type StartState = 'before-first-frame' | 'waiting-for-metadata' | 'positioned';

export class GapController {
  /** Moves of a stuck playhead. */
  jumps = 0;
  /** File: a playhead that ran off the end of the data, moved back. */
  runOffs = 0;
  private start: StartState = 'before-first-frame';
  private stuckSince: number | undefined;
  /** File: the end of the range the playhead was last seen in (undefined after a seek). */
  private playedTo: number | undefined;
  private readonly onSeeking = (): void => {
    this.playedTo = undefined;
  };
  private readonly onMetadata = (): void => {
    if (this.start === 'waiting-for-metadata') this.onReady();
  };

  constructor(
    private readonly media: MediaElement,
    private readonly clock: Clock,
    /** A start that waited for metadata may go on (the queue resumes). */
    private readonly onReady: () => void,
    /** Whether the stream is a file (run-offs are taken back). */
    private readonly isFile: () => boolean,
  ) {
    media.addEventListener('seeking', this.onSeeking);
  }

  /**
   * Before the first media segment (its first frame at `start` seconds) is appended: 'wait' until
   * the element has metadata when the playhead must move there.
   */
  positionStart(start: number): 'done' | 'wait' {
    if (this.start === 'positioned') return 'done';
    const media = this.media;
    if (start <= media.currentTime + 1e-3) {
      this.start = 'positioned';
      return 'done';
    }
    if (media.readyState < HAVE_METADATA) {
      if (this.start !== 'waiting-for-metadata') {
        this.start = 'waiting-for-metadata';
        media.addEventListener('loadedmetadata', this.onMetadata, { once: true });
      }
      return 'wait';
    }
    this.start = 'positioned';
    // Otherwise the element plays through the small start gap by itself, or tick() moves it.
    if (covers(media.seekable, start)) media.currentTime = start;
    return 'done';
  }

  /** The periodic check. */
  tick(): void {
    if (this.runOff()) return;
    const media = this.media;
    const t = media.currentTime;
    const next = nextRangeStart(media.buffered, t);
    const stuck = next !== undefined && !media.seeking && media.readyState < HAVE_FUTURE_DATA;
    if (!stuck) {
      this.stuckSince = undefined;
      return;
    }
    const now = this.clock.now();
    if (this.stuckSince === undefined) this.stuckSince = now;
    else if (now - this.stuckSince > GAP_NUDGE_MS) {
      this.stuckSince = undefined;
      media.currentTime = next;
      this.jumps++;
    }
  }

  /**
   * File: a playhead outside the buffer and past the end of the range it was last seen in, with
   * frames appended since between that end and the playhead (frames it never played), goes back to
   * that end. True when it did.
   */
  runOff(): boolean {
    const media = this.media;
    if (!this.isFile() || media.seeking) return false;
    const t = media.currentTime;
    const ranges = media.buffered;
    let behind = false;
    for (let i = 0; i < ranges.length; i++) {
      if (t >= ranges.start(i) - RANGE_SLACK && t < ranges.end(i)) {
        this.playedTo = ranges.end(i);
        return false;
      }
      const playedTo = this.playedTo;
      if (playedTo !== undefined && ranges.end(i) > playedTo + RANGE_SLACK && ranges.start(i) < t) {
        behind = true;
      }
    }
    const playedTo = this.playedTo;
    if (!behind || playedTo === undefined || t <= playedTo + RANGE_SLACK) return false;
    this.playedTo = undefined;
    media.currentTime = playedTo;
    this.runOffs++;
    return true;
  }

  destroy(): void {
    this.media.removeEventListener('loadedmetadata', this.onMetadata);
    this.media.removeEventListener('seeking', this.onSeeking);
  }
}

function covers(ranges: TimeRanges, time: number): boolean {
  for (let i = 0; i < ranges.length; i++) {
    if (ranges.start(i) <= time && time <= ranges.end(i)) return true;
  }
  return false;
}
