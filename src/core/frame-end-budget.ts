/**
 * What the early end of live frames (`AccessUnitReader.endIfFrameWhole`) may cost. It walks the slice
 * data of each frame's last slice: about 2 ms for a 640x480 frame and 11 ms for a 1080p CABAC one on a
 * desktop core, several times that on a Raspberry Pi. A frame one interval sooner is worth that only
 * while the walks leave the machine most of the interval: once their average per frame passes `share`
 * of the frame interval, the early end stops, and frames end at the next start code as before.
 */
/** No input for this long (ms): a live source has paused between two frames (or inside one). */
export const FRAME_END_PAUSE_MS = 2;

export class FrameEndBudget {
  /** Why the early end stopped; undefined while it runs. */
  stopped: string | undefined;
  /** Average walking time per frame (ms, exponentially weighted). */
  averageMs = 0;
  private frames = 0;
  private pendingMs = 0;

  constructor(
    /** Share of the frame interval the walks may take on average. */
    private readonly share = 0.5,
    /** Frames before the average is judged. */
    private readonly warmup = 10,
  ) {}

  get allowed(): boolean {
    return this.stopped === undefined;
  }

  /** A walk took `ms` (one frame may take several, while its bytes arrive). */
  spent(ms: number): void {
    this.pendingMs += ms;
  }

  /** A frame ended (early or not); `frameMs` is the stream's frame interval. */
  frameEnded(frameMs: number): void {
    if (this.stopped !== undefined) return;
    const ms = this.pendingMs;
    this.pendingMs = 0;
    this.frames++;
    this.averageMs = this.frames === 1 ? ms : this.averageMs + (ms - this.averageMs) / 8;
    if (this.frames >= this.warmup && this.averageMs > this.share * frameMs) {
      this.stopped = `walking each frame's last slice took ${this.averageMs.toFixed(1)} ms of a ${frameMs.toFixed(1)} ms frame interval`;
    }
  }
}
