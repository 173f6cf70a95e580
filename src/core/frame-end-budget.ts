/** No input for this long (ms): a live source has paused between two frames (or inside one). */
export const FRAME_END_PAUSE_MS = 2;

/**
 * What the early end of live frames (`endIfFrameWhole`) may cost. It walks the slice data of each
 * frame's last slice: about 2 ms for a 640x480 frame and 11 ms for a 1080p CABAC one on a desktop core,
 * several times that on a Raspberry Pi. A frame one interval sooner is worth that while the walks take
 * at most `share` of one core: at 30 fps, 40 % is 13 ms a frame. Judged on the time between walks (a
 * burst of frames at a connection says nothing of the frame rate); once over, the early ends stop and
 * frames end at the next start code as before.
 */
export class FrameEndBudget {
  /** Why the early ends stopped; undefined while they run. */
  stopped: string | undefined;
  /** Share of the time spent walking over the last judged window (0..1). */
  lastShare = 0;
  private windowStart: number | undefined;
  private walkingMs = 0;

  constructor(
    /** Share of one core the walks may take. */
    private readonly share = 0.4,
    /** Time over which it is judged (ms). */
    private readonly windowMs = 2000,
  ) {}

  get allowed(): boolean {
    return this.stopped === undefined;
  }

  /** A walk ran from `start` to `end` (ms, one clock). */
  spent(start: number, end: number): void {
    if (this.stopped !== undefined) return;
    this.windowStart ??= start;
    this.walkingMs += end - start;
    const span = end - this.windowStart;
    if (span < this.windowMs) return;
    this.lastShare = this.walkingMs / span;
    this.windowStart = end;
    this.walkingMs = 0;
    if (this.lastShare > this.share) {
      this.stopped = `walking each frame's last slice took ${Math.round(this.lastShare * 100)} % of the time over ${(span / 1000).toFixed(1)} s`;
    }
  }
}
