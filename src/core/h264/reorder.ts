/** max_num_reorder_frames can be at most 16 (§E.2.1: ≤ max_dec_frame_buffering ≤ MaxDpbFrames ≤ 16). */
const MAX_REORDER = 16;

/**
 * Measures how far a stream reorders, as max_num_reorder_frames defines it (§E.2.1): for each picture, the number of
 * pictures that precede it in decoding order and follow it in output order (a higher picture order count) within
 * the coded video sequence. Fed one picture at a time in decoding order.
 *
 * Only the 17 highest counts of the sequence are kept: a picture that more than 16 earlier ones follow needs the
 * maximum anyway, so the count is exact up to the bound and memory stays constant however long the sequence.
 */
export class ReorderMeter {
  /** The highest picture order counts of the sequence so far, highest first. */
  private readonly highest: number[] = [];

  /**
   * A new coded video sequence (IDR) or picture order count origin (memory_management_control_operation 5):
   * every earlier picture is output before the next one (§C.4.4).
   */
  restart(): void {
    this.highest.length = 0;
  }

  /** The next picture in decoding order: returns how many earlier pictures of the sequence follow it in output order. */
  add(poc: number): number {
    let later = 0;
    while (later < this.highest.length && (this.highest[later] as number) > poc) later++;
    this.highest.splice(later, 0, poc);
    if (this.highest.length > MAX_REORDER + 1) this.highest.length = MAX_REORDER + 1;
    return Math.min(later, MAX_REORDER);
  }
}
