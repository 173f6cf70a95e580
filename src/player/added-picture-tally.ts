/**
 * The player's own pictures (the transmuxer's start pictures and anchors, a tick each) in the
 * element's frame counts. They are no frames of the stream, and the engines count them: Chromium as
 * decoded and dropped (a tick is seldom shown; a 90 s intra-refresh file read 22 dropped, one per
 * anchor), Firefox as decoded. Each one the playhead passes comes off the decoded count, and off the
 * dropped count when the engine's dropped count rose within GRACE_MS of it.
 */
import type { FrameCounts } from './frame-counter.js';

/** A drop counted this long (ms) after an added picture passed the playhead is taken for it. */
const GRACE_MS = 1000;

export class AddedPictureTally {
  /** Times (s, the buffer's timeline) of added pictures not yet passed, ascending. */
  private ahead: number[] = [];
  /** When (ms) each passed one that no drop has been taken for yet passed. */
  private unmatched: number[] = [];
  private passed = 0;
  private droppedAdded = 0;
  private lastDropped = 0;

  /** Added pictures appended at `times` (s, the buffer's timeline). */
  add(times: readonly number[]): void {
    for (const time of times) this.ahead.push(time);
    if (times.length > 0) this.ahead.sort((a, b) => a - b);
  }

  /** A restart (a file seek): what was appended before is gone. */
  restart(): void {
    this.ahead = [];
  }

  /** `counts` less the added pictures the playhead has passed, read at `now` (ms). */
  correct(counts: FrameCounts, playhead: number, now: number): FrameCounts {
    while (this.ahead.length > 0 && (this.ahead[0] as number) <= playhead) {
      this.ahead.shift();
      this.passed++;
      this.unmatched.push(now);
    }
    const rise = Math.max(0, counts.dropped - this.lastDropped);
    this.lastDropped = counts.dropped;
    this.unmatched = this.unmatched.filter((at) => now - at <= GRACE_MS);
    const taken = Math.min(rise, this.unmatched.length);
    this.unmatched.splice(0, taken);
    this.droppedAdded += taken;
    return {
      decoded: Math.max(0, counts.decoded - this.passed),
      dropped: Math.max(0, counts.dropped - this.droppedAdded),
    };
  }
}
