import { HEAD_BYTES, type NalUnit } from './nal.js';

/**
 * Streaming Annex-B byte-stream splitter (H.264 Annex B.2): finds 3- and 4-byte start codes, also when
 * they are split across chunks, drops trailing zero bytes and leading garbage, and hands out each NAL unit
 * as views into the pushed chunks. Chunks must not be modified after `push`.
 */
export class AnnexBSplitter {
  /** Parts of the NAL unit in progress (after its start code); empty before the first start code. */
  private parts: Uint8Array[] = [];
  private partsSize = 0;
  private started = false;
  /** The unit in progress is being discarded up to the next start code (see `skipUnit`). */
  private skipping = false;
  /** Zero bytes seen at the very end of the previous chunk (a start code may continue in the next). */
  private pendingZeros = 0;
  /** Bytes skipped before the first start code (its zero bytes, and leading zeros, are not counted). */
  garbageBytes = 0;
  /** Stream position where the bytes before a start code began to be skipped (0, or the last reset). */
  private garbageFrom = 0;
  /** Stream position of the zeros that ended the last unit while what follows them is discarded. */
  private endedAtZerosFrom: number | undefined;
  /** Stream position of the current chunk's first byte, and of the unit in progress. */
  private base = 0;
  private unitOffset = 0;

  /** Stream position of the first byte still referenced (the unit in progress), or the end of input. */
  get heldFrom(): number {
    return this.started && !this.skipping ? this.unitOffset : this.base;
  }

  /** Bytes of the unit in progress so far (0 while one is skipped). */
  get unitBytes(): number {
    return this.partsSize;
  }

  /**
   * Bytes since three zero bytes ended the last unit (see `endAtZeros`) and no start code came: zeros,
   * or junk after them. 0 otherwise.
   */
  get bytesSinceEndedAtZeros(): number {
    return this.endedAtZerosFrom === undefined ? 0 : this.base - this.endedAtZerosFrom;
  }

  /** Splits `chunk`; returns the NAL units it completed. */
  push(chunk: Uint8Array): NalUnit[] {
    const out: NalUnit[] = [];
    const len = chunk.length;
    let nalStart = 0; // first byte of this chunk not yet appended to the unit in progress
    let i = 0;
    for (;;) {
      i = nextStartCodeCandidate(chunk, i, nalStart, this.started && !this.skipping);
      if (i >= len) break;
      if (chunk[i] === 0) {
        this.endAtZeros(chunk, i, nalStart, out);
        i++;
        continue;
      }
      // A start code's zeros may sit at the end of earlier chunks (pendingZeros).
      const one = i;
      i += 3;
      let j = one - 1;
      while (j >= nalStart && chunk[j] === 0) j--;
      const zeros = one - 1 - j + (j < nalStart ? this.pendingZeros : 0);
      if (zeros < 2) continue;
      // Before the first start code everything up to its zeros is garbage, wherever the chunks were cut.
      if (!this.started)
        this.garbageBytes += Math.max(0, this.base + one - zeros - this.garbageFrom);
      // After it, the unit ends here; endUnit trims its trailing zeros.
      this.appendPart(chunk.subarray(nalStart, one));
      this.endUnit(out);
      nalStart = one + 1;
      this.unitOffset = this.base + nalStart;
      this.pendingZeros = 0;
      this.started = true;
      this.endedAtZerosFrom = undefined;
    }
    if (nalStart < len) this.appendPart(chunk.subarray(nalStart));
    // Trailing zeros may be the beginning of the next start code.
    let k = len - 1;
    while (k >= nalStart && chunk[k] === 0) k--;
    this.pendingZeros = k < nalStart ? this.pendingZeros + (len - nalStart) : len - 1 - k;
    this.base += len;
    return out;
  }

  /**
   * `chunk[at]` is a zero byte: when the two bytes before it are zeros too, the unit in progress ended
   * before them, since three zero bytes never occur inside a NAL unit (§7.4.1); they are
   * trailing_zero_8bits or a start code's (B.2). Ended here, and what follows up to the next start code
   * discarded, the unit is not held (nor counted against a size limit) however many zeros follow: a
   * file padded with a megabyte of them lost its last frame to NAL_TOO_LARGE when read in chunks.
   */
  private endAtZeros(chunk: Uint8Array, at: number, nalStart: number, out: NalUnit[]): void {
    let zeros = 0;
    let j = at - 1;
    while (zeros < 2 && j >= nalStart && chunk[j] === 0) {
      zeros++;
      j--;
    }
    // All of this chunk's unit bytes before `at` are zeros: the previous chunk's count on (0 after a
    // start code in this chunk).
    if (j < nalStart) zeros += this.pendingZeros;
    if (zeros < 2) return;
    this.appendPart(chunk.subarray(nalStart, at));
    this.endUnit(out);
    this.skipping = true;
    this.endedAtZerosFrom = this.base + at;
  }

  /** End of stream (or a transport-proven unit end): the unit in progress is complete. */
  flush(): NalUnit[] {
    const out: NalUnit[] = [];
    if (this.started) this.endUnit(out);
    this.pendingZeros = 0;
    return out;
  }

  /** Drops the unit in progress and waits for the next start code. */
  reset(): void {
    this.parts = [];
    this.partsSize = 0;
    this.pendingZeros = 0;
    this.started = false;
    this.skipping = false;
    this.endedAtZerosFrom = undefined;
    this.garbageFrom = this.base;
  }

  /**
   * Gives up on the unit in progress: its bytes so far are released and the rest, up to the next start
   * code, is discarded as it arrives. It is not handed out.
   */
  skipUnit(): void {
    if (!this.started) return;
    this.parts = [];
    this.partsSize = 0;
    this.skipping = true;
  }

  /** The first bytes of the unit in progress (for deciding early that it starts a new access unit). */
  peekHead(): Uint8Array | undefined {
    if (!this.started || this.partsSize === 0) return undefined;
    // Trailing zeros may be part of the next start code or of an escape sequence not yet complete.
    const usable = this.partsSize - this.pendingZeros;
    if (usable <= 0) return undefined;
    return headOf(this.parts, Math.min(usable, HEAD_BYTES));
  }

  /**
   * The unit in progress so far, contiguous (a copy when it spans chunks); undefined when there is none,
   * and while the input ends in zero bytes: they may begin the next start code, which a unit ended here
   * would lose.
   */
  peekUnit(): Uint8Array | undefined {
    if (!this.started || this.skipping || this.pendingZeros > 0 || this.partsSize === 0)
      return undefined;
    return headOf(this.parts, this.partsSize);
  }

  private appendPart(part: Uint8Array): void {
    if (part.length === 0 || !this.started || this.skipping) return;
    this.parts.push(part);
    this.partsSize += part.length;
  }

  /** Closes the unit in progress, without the zero bytes that end it (start-code zeros, trailing_zero_8bits). */
  private endUnit(out: NalUnit[]): void {
    if (!this.started) return;
    if (this.skipping) {
      this.skipping = false;
      return;
    }
    const parts = this.parts;
    let size = this.partsSize;
    this.parts = [];
    this.partsSize = 0;
    // A NAL unit never ends in a zero byte (§7.4.1: rbsp_trailing_bits or cabac_zero_word 0x0000 03).
    while (parts.length > 0) {
      const last = parts[parts.length - 1] as Uint8Array;
      let end = last.length;
      while (end > 0 && last[end - 1] === 0) end--;
      size -= last.length - end;
      if (end > 0) {
        if (end < last.length) parts[parts.length - 1] = last.subarray(0, end);
        break;
      }
      parts.pop();
    }
    if (size === 0) return;
    const head = headOf(parts, HEAD_BYTES);
    const header = head[0] as number;
    // forbidden_zero_bit set (§7.4.1): not a NAL unit; handed on as type 0 so callers can count it.
    const valid = (header & 0x80) === 0;
    out.push({
      type: valid ? header & 0x1f : 0,
      refIdc: valid ? (header >> 5) & 3 : 0,
      size,
      parts,
      head,
      offset: this.unitOffset,
    });
  }
}

/** The first `n` bytes of a list of parts, contiguous (a view when the first part is long enough). */
export function headOf(parts: readonly Uint8Array[], n: number): Uint8Array {
  const first = parts[0];
  if (first === undefined) return new Uint8Array(0);
  if (first.length >= n || parts.length === 1) return first.subarray(0, Math.min(n, first.length));
  const out = new Uint8Array(n);
  let o = 0;
  for (const part of parts) {
    const take = Math.min(part.length, n - o);
    out.set(part.subarray(0, take), o);
    o += take;
    if (o === n) break;
  }
  return out.subarray(0, o);
}

/**
 * Index of the next byte 01 at or after `from` that ends 00 00 01, or that lies within two bytes of `lo`
 * (whose zeros may sit before `lo`: the caller counts them); with `zeroRuns`, of a zero byte so too
 * (00 00 00); `chunk.length` when there is none.
 *
 * Kept apart from `push`, with no rare paths, so that V8 optimises the scan once and early: inside `push`
 * the scan loop was compiled before the rare paths after it had run, and each of them deoptimised it
 * again (~30 ms of the CLI's first 12 MB).
 */
function nextStartCodeCandidate(
  chunk: Uint8Array,
  from: number,
  lo: number,
  zeroRuns: boolean,
): number {
  const len = chunk.length;
  // Scan for the 01 of 00 00 01, three bytes at a time where possible (as FFmpeg's start-code search):
  // a byte > 1 cannot be any of the three bytes of a start code that ends at or before i + 2.
  // Eight probes per step where no start code is near (most of the stream): fewer loop iterations.
  const fastEnd = len - 24;
  let i = from;
  for (;;) {
    while (
      i < fastEnd &&
      (chunk[i] as number) > 1 &&
      (chunk[i + 3] as number) > 1 &&
      (chunk[i + 6] as number) > 1 &&
      (chunk[i + 9] as number) > 1 &&
      (chunk[i + 12] as number) > 1 &&
      (chunk[i + 15] as number) > 1 &&
      (chunk[i + 18] as number) > 1 &&
      (chunk[i + 21] as number) > 1
    )
      i += 24;
    if (i >= len) return len;
    const b = chunk[i] as number;
    if (b > 1) i += 3;
    else if (i < lo + 2 || (chunk[i - 1] === 0 && chunk[i - 2] === 0)) {
      if (b === 1 || zeroRuns) return i;
      i++;
    } else i += b === 0 ? 1 : 3;
  }
}
