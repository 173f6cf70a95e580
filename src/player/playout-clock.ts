/**
 * The WebCodecs renderer's playout clock: when each frame is shown. A frame is due at
 * `sourceTime + offset` (its media time on the source's pace, ./source-pace.ts); the offset follows
 * the one the jitter estimator wants (its best transit plus its target delay, ./jitter-estimator.ts),
 * but never faster than a viewer should see:
 *
 * - Up at once: a frame that would come too early for the new target holds the picture a little (as
 *   a jitter buffer that grows).
 * - Down at most CATCH_UP_RATE ms per ms (the picture runs at most 1.5x for a while, as the MSE path's
 *   playbackRate does), however fast the wanted offset falls. It falls at a frame interval per frame
 *   behind a burst (the first frames held while the page loads, a cold decoder or worker, a relay's
 *   cached frames): following that at once shows the burst's frames milliseconds apart, several in one
 *   display refresh, so that the viewer never sees most of them, and the picture jumps.
 * - Far behind (more than FAR_BEHIND_MS) it jumps, and the frames in between are skipped.
 *
 * The first frame is shown at once, whatever its due time (`start`): the clock starts from it.
 * Pure: times in, an offset out.
 */

/** While behind, the offset falls by this many ms per ms: the picture runs at 1 + this speed. */
export const CATCH_UP_RATE = 0.5;
/**
 * Behind by more than this (ms), the clock jumps to the wanted offset: a viewer joining a relay gets
 * the frames since the last keyframe at once (up to a GOP behind), and is shown the live edge, not a
 * second of fast-forward.
 */
export const FAR_BEHIND_MS = 250;

export class PlayoutClock {
  private offset: number | undefined;
  private at = -Infinity;

  /** The offset (ms) at `now` when the estimator wants `wanted`. */
  offsetAt(now: number, wanted: number): number {
    const offset = this.offset;
    if (offset === undefined || wanted >= offset || offset - wanted > FAR_BEHIND_MS) {
      this.offset = wanted;
    } else {
      const elapsed = Math.max(0, now - this.at);
      this.offset = Math.max(wanted, offset - CATCH_UP_RATE * elapsed);
    }
    this.at = Math.max(this.at, now);
    return this.offset;
  }

  /**
   * When (ms) the frame at `sourceMs` is due, asked at `now` with `wanted`: while the clock catches up,
   * its offset keeps falling until then (the frame is due where `sourceMs + offset(t) = t`).
   */
  dueAt(sourceMs: number, now: number, wanted: number): number {
    const offset = this.offsetAt(now, wanted);
    const due = sourceMs + offset;
    if (due <= now || offset <= wanted) return due;
    const falling = (sourceMs + offset + CATCH_UP_RATE * now) / (1 + CATCH_UP_RATE);
    return Math.max(falling, sourceMs + wanted);
  }

  /** The first frame (`sourceMs` on the source's clock) was shown at `now` (ms): later ones follow. */
  start(now: number, sourceMs: number): void {
    this.offset = Math.max(this.offset ?? -Infinity, now - sourceMs);
    this.at = Math.max(this.at, now);
  }
}
