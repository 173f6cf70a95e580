/**
 * How far behind live a relay viewer is: the age of the oldest bytes the relay wrote to it that it has
 * not taken yet: by its receipts (our player over WebSocket, src/sources/relay-protocol.ts), else
 * those still queued in this process (`Viewer.buffered()`; the network's buffers are not seen).
 *
 * A viewer whose link carries less than the stream's bitrate takes its bytes ever later; counted in
 * bytes alone, its queue reaches a 4 MiB bound only after tens of seconds (a 1 Mbit/s stream on a
 * 0.6 Mbit/s link: 30 s behind after 90 s), all that time showing a picture seconds old. Counted in time,
 * the relay skips it to the next keyframe while it is still about live (./relay.ts).
 *
 * Writes are kept as marks (total bytes written, when), one per MERGE_MS: a source's tiny chunks add no
 * marks, and a viewer's marks stay as few as the milliseconds it is behind allow.
 */

/** Writes closer together than this (ms) share one mark. */
export const MERGE_MS = 10;

interface Mark {
  /** Bytes written to the viewer up to the end of this mark's writes. */
  end: number;
  /** When the mark's first write was made (ms). */
  readonly at: number;
}

export class ViewerLag {
  private marks: Mark[] = [];
  private head = 0;

  /** `total` bytes have now been written to the viewer, at `at` (ms). */
  wrote(total: number, at: number): void {
    const last = this.marks[this.marks.length - 1];
    if (last && this.marks.length > this.head && at - last.at < MERGE_MS) last.end = total;
    else this.marks.push({ end: total, at });
  }

  /**
   * How long (ms) the oldest write the viewer has not taken has waited, when it has taken the first
   * `taken` bytes written to it: 0 when it has them all.
   */
  lag(taken: number, now: number): number {
    while (this.head < this.marks.length && (this.marks[this.head] as Mark).end <= taken)
      this.head++;
    if (this.head > 64 && this.head * 2 > this.marks.length) {
      this.marks = this.marks.slice(this.head);
      this.head = 0;
    }
    const oldest = this.marks[this.head];
    return oldest ? Math.max(0, now - oldest.at) : 0;
  }

  /** Marks held (for tests: bounded by the time behind, not by the number of writes). */
  get size(): number {
    return this.marks.length - this.head;
  }
}
