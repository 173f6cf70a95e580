/**
 * Back-buffer trimming: which part of the buffer behind the playhead may go, and only up to a
 * keyframe. A removal ending exactly at a keyframe keeps the GOP after it whole (W3C MSE §3.5.9
 * removes dependent frames up to the next random access point, so a range ending mid-GOP would take
 * the rest of that GOP, maybe the frames being shown).
 *
 * It tracks the buffered keyframes' times. Appends carry the generation they were queued in: after a
 * restart (a file seek), an append that was still in flight brings keyframes of the old timeline,
 * which are ignored; and a buffer emptied by a removal forgets every keyframe (an empty buffer has no
 * start to compare with).
 */

/** Less than this behind the buffer start is not worth a removal. */
const MIN_REMOVAL_SECONDS = 0.5;
/** The periodic trim starts this much (s) beyond `keepBehind`, so it runs once per GOP or so. */
const TRIM_HYSTERESIS = 1;
/** Keyframes this close before the buffer start are the one it starts at. */
const START_SLACK = 0.01;

export class BackBuffer {
  /** Removals planned (trims and evictions for room). */
  evictions = 0;
  private times: number[] = [];
  private current = 0;

  constructor(private keepBehind: number) {}

  /** Keyframe times (s, the buffer's timeline) believed buffered, ascending. */
  get keyframes(): readonly number[] {
    return this.times;
  }

  /** The generation of appends queued from now on. */
  get generation(): number {
    return this.current;
  }

  setKeepBehind(seconds: number): void {
    this.keepBehind = seconds;
  }

  /** A restart: everything buffered goes; appends queued before are of another timeline. */
  restart(): void {
    this.current++;
    this.times = [];
  }

  /** An append of `generation` completed with keyframes at `times` (s, the buffer's timeline). */
  add(times: readonly number[], generation: number): void {
    if (generation !== this.current) return;
    for (const time of times) {
      const last = this.times[this.times.length - 1];
      if (last === undefined || time > last) this.times.push(time);
      else if (!this.times.includes(time)) {
        this.times.push(time);
        this.times.sort((a, b) => a - b);
      }
    }
  }

  /** A removal completed: forget the keyframes before the buffer's start (all, when it is empty). */
  removed(buffered: TimeRanges): void {
    if (buffered.length === 0) {
      this.times = [];
      return;
    }
    const start = buffered.start(0);
    this.times = this.times.filter((k) => k >= start - START_SLACK);
  }

  /** The periodic trim: what to remove to keep about `keepBehind` seconds behind the playhead. */
  trim(playhead: number, buffered: TimeRanges): [number, number] | undefined {
    if (buffered.length === 0) return undefined;
    if (buffered.start(0) >= playhead - this.keepBehind - TRIM_HYSTERESIS) return undefined;
    return this.upTo(playhead - this.keepBehind, buffered);
  }

  /** After QuotaExceededError: everything before the GOP being played. */
  evictable(playhead: number, buffered: TimeRanges): [number, number] | undefined {
    return this.upTo(playhead, buffered);
  }

  /** [0, the last keyframe at or before `limit`], when that frees enough. */
  private upTo(limit: number, buffered: TimeRanges): [number, number] | undefined {
    if (buffered.length === 0) return undefined;
    let keyframe: number | undefined;
    for (const k of this.times) {
      if (k <= limit) keyframe = k;
      else break;
    }
    if (keyframe === undefined || keyframe - buffered.start(0) < MIN_REMOVAL_SECONDS) {
      return undefined;
    }
    this.evictions++;
    return [0, keyframe];
  }

  destroy(): void {
    this.times = [];
  }
}
