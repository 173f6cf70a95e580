/**
 * A rate read from measurements that move (a camera's frame rate from the source's pace) counts only
 * once it has held: read again and again within `share` of itself for `holdMs`. Pure: readings in,
 * the held rate out.
 *
 * The source's pace (./source-pace.ts) can be tilted for a second or two by what it cannot tell from
 * a slower camera (frames lost while a busy machine holds others up); told at once, that was a false
 * SOURCE_PACE that stayed (src/play/player.ts), and a recording started then was timed by it.
 */
export class RateHold {
  private candidate: { readonly rate: number; readonly since: number } | undefined;

  constructor(
    private readonly holdMs: number,
    private readonly share: number,
  ) {}

  /**
   * The rate read at `now` (ms; undefined: none, which ends the hold). Returns it once readings within
   * `share` of the first have come for `holdMs`, else undefined.
   */
  read(now: number, rate: number | undefined): number | undefined {
    const candidate = this.candidate;
    if (rate === undefined) this.candidate = undefined;
    else if (!candidate || !this.near(rate, candidate.rate)) this.candidate = { rate, since: now };
    return this.held(now, rate);
  }

  /** What read() would return at `now` for `rate`, without taking it as a reading. */
  held(now: number, rate: number | undefined): number | undefined {
    const candidate = this.candidate;
    if (rate === undefined || !candidate || !this.near(rate, candidate.rate)) return undefined;
    return now - candidate.since >= this.holdMs ? rate : undefined;
  }

  private near(rate: number, to: number): boolean {
    return Math.abs(rate - to) <= this.share * to;
  }
}
