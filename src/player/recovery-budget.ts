/**
 * How often a renderer may recover from a decode error before it gives up. A decoder that fails once
 * (a damaged frame, a decoder upset by a loaded machine) is rebuilt and playback resumes at the next
 * keyframe, as hls.js recovers a media error; one that keeps failing is failing on the stream itself,
 * and a loop of rebuilds would only hide that. Both renderers (MSE and WebCodecs) use it.
 */

/** Recoveries allowed within RECOVERY_WINDOW_MS; the next error within the window is final. */
export const MAX_RECOVERIES = 3;
export const RECOVERY_WINDOW_MS = 60_000;

export class RecoveryBudget {
  /** Recoveries granted so far (the whole session). */
  granted = 0;
  private recent: number[] = [];

  constructor(
    private readonly max = MAX_RECOVERIES,
    private readonly windowMs = RECOVERY_WINDOW_MS,
  ) {}

  /** A decode error at `now` (ms): true when a recovery is allowed (and counted). */
  take(now: number): boolean {
    this.recent = this.recent.filter((t) => now - t < this.windowMs);
    if (this.recent.length >= this.max) return false;
    this.recent.push(now);
    this.granted++;
    return true;
  }
}
