/**
 * Whether painting is what keeps a canvas renderer from showing the stream: the WebCodecs renderer
 * shows frames late or skips them, and showing one costs its thread most of a frame interval. A canvas
 * converts and draws every frame on the renderer's thread (Firefox 153 in a worker, 2 cores, no GPU:
 * 34 ms a 3840x2160 frame; at 30 fps 290 of 422 frames were shown, half of them late), where the
 * browser's media pipeline (MSE) hands its frames to the compositor (the same stream through MSE:
 * 448 of 450 shown). Then the player moves the stream to MSE (src/play/player.ts).
 *
 * Fed the renderer's figures a few times a second; judges the last WINDOW_MS.
 */

/** The span judged (ms): long enough that a burst of skips (a join, a busy second) is not a verdict. */
export const OVERLOAD_WINDOW_MS = 4000;
/** Frames late or skipped in the window, of those decoded, above which the picture stutters. */
export const OVERLOAD_MISSED_SHARE = 0.1;
/** The paint's mean cost, as a share of the frame interval, above which painting is the cause. */
export const OVERLOAD_PAINT_SHARE = 0.5;
/** At least this share of the window's frames must have come (a stream that pauses is no verdict). */
const MIN_FRAMES_SHARE = 0.5;

export interface PaintFigures {
  /** Frames shown, shown late and skipped since the renderer started (counters). */
  readonly painted: number;
  readonly late: number;
  readonly skipped: number;
  /** The paint's mean cost (ms). */
  readonly paintMs: number;
}

export interface OverloadVerdict {
  /** Share of the window's frames shown late or skipped. */
  readonly missedShare: number;
  readonly paintMs: number;
}

interface Sample {
  readonly time: number;
  readonly painted: number;
  readonly late: number;
  readonly skipped: number;
}

export class PaintOverload {
  private samples: Sample[] = [];

  /**
   * The renderer's figures at `time` (ms), for a stream of `frameMs` per frame. Returns the verdict
   * when painting has not kept up over the last window, else undefined.
   */
  sample(time: number, figures: PaintFigures, frameMs: number): OverloadVerdict | undefined {
    const { painted: shown, late: lateSoFar, skipped: skippedSoFar } = figures;
    this.samples.push({ time, painted: shown, late: lateSoFar, skipped: skippedSoFar });
    // Keep the newest sample at or before the window's start: the window is measured from it.
    while ((this.samples[1]?.time ?? Infinity) <= time - OVERLOAD_WINDOW_MS) this.samples.shift();
    const first = this.samples[0] as Sample;
    if (time - first.time < OVERLOAD_WINDOW_MS) return undefined;
    const painted = shown - first.painted;
    const skipped = skippedSoFar - first.skipped;
    const frames = painted + skipped;
    if (frames < (MIN_FRAMES_SHARE * (time - first.time)) / frameMs) return undefined;
    const missedShare = (lateSoFar - first.late + skipped) / frames;
    if (missedShare <= OVERLOAD_MISSED_SHARE) return undefined;
    if (figures.paintMs <= OVERLOAD_PAINT_SHARE * frameMs) return undefined;
    return { missedShare, paintMs: figures.paintMs };
  }

  /** Forgets what was seen (a hidden page, whose renderer skips for other reasons). */
  reset(): void {
    this.samples = [];
  }
}
