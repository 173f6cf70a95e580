/** No input for this long (ms): a live source has paused between two frames (or inside one). */
export const FRAME_END_PAUSE_MS = 2;

/** Walks whose spacing gives the source's pacing (FrameEndBudget.pacingMs), and the fewest that do. */
const PACING_WALKS = 9;
const PACING_MIN = 3;

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
  /** When the last walk started, and the times between the last walks' starts (ms). */
  private lastStart: number | undefined;
  private readonly gaps: number[] = [];

  constructor(
    /** Share of one core the walks may take. */
    private readonly share = 0.4,
    /** Time over which it is judged (ms). */
    private readonly windowMs = 2000,
  ) {}

  get allowed(): boolean {
    return this.stopped === undefined;
  }

  /**
   * How often the source pauses, a frame's walk each (ms): the median of the last PACING_WALKS times
   * between walks, once PACING_MIN of them are known.
   */
  get pacingMs(): number | undefined {
    if (this.gaps.length < PACING_MIN) return undefined;
    const sorted = [...this.gaps].sort((a, b) => a - b);
    return sorted[sorted.length >> 1];
  }

  /**
   * The `stop` of a walk starting now: past one frame interval, when a live source's next frame has
   * come and its start code ends the frame as soon, so a longer walk only delays it and every frame
   * behind it. The interval is the longer of the stream's declared one (`declaredMs`: its VUI timing
   * or an fps option) and the pacing of the pauses (a camera slower than it declares, in low light);
   * undefined (no bound) while neither is known, as a rate assumed or read off the arrivals (a
   * joining burst) says nothing of when the next frame comes. The first walks of a stream are the
   * slowest, before the JIT has compiled the walker: a 1080p High keyframe's first walk took 41-100
   * ms in Chromium's worker, and 108 ms in Node against 6 ms from the fifth on.
   */
  deadline(now: () => number, declaredMs: number | undefined): (() => boolean) | undefined {
    const pacing = this.pacingMs;
    if (declaredMs === undefined && pacing === undefined) return undefined;
    const limit = now() + Math.max(declaredMs ?? 0, pacing ?? 0);
    return () => now() > limit;
  }

  /** A walk ran from `start` to `end` (ms, one clock). */
  spent(start: number, end: number): void {
    if (this.stopped !== undefined) return;
    if (this.lastStart !== undefined) {
      this.gaps.push(start - this.lastStart);
      if (this.gaps.length > PACING_WALKS) this.gaps.shift();
    }
    this.lastStart = start;
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
