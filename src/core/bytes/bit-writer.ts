/** MSB-first bit writer with the Exp-Golomb codes of H.264 §9.1: builds an RBSP. */
export class BitWriter {
  private readonly bytes: number[] = [];
  private current = 0;
  private count = 0;

  /** u(n): the `bits` low bits of `value`, most significant first (n ≤ 32). */
  u(bits: number, value: number): this {
    for (let i = bits - 1; i >= 0; i--) this.bit(Math.floor(value / 2 ** i) & 1);
    return this;
  }

  /** ue(v), §9.1 */
  ue(value: number): this {
    const code = value + 1;
    const len = Math.floor(Math.log2(code));
    return this.u(len, 0).u(len + 1, code);
  }

  /** se(v), §9.1.1 */
  se(value: number): this {
    return this.ue(value > 0 ? 2 * value - 1 : -2 * value);
  }

  /** Bits `from` (inclusive) to `to` (exclusive) of `data`, counted from its first byte's MSB, as they are. */
  copy(data: Uint8Array, from: number, to: number): this {
    for (let p = from; p < to; p++) this.bit(((data[p >> 3] ?? 0) >> (7 - (p & 7))) & 1);
    return this;
  }

  get aligned(): boolean {
    return this.count === 0;
  }

  /** Zero bits up to the next byte boundary (e.g. pcm_alignment_zero_bit). */
  align(): this {
    while (this.count !== 0) this.bit(0);
    return this;
  }

  bytesOut(data: ArrayLike<number>): this {
    if (!this.aligned) throw new Error('bytesOut needs byte alignment');
    for (let i = 0; i < data.length; i++) this.bytes.push(data[i] as number);
    return this;
  }

  /** The bytes written so far, which must end on a byte boundary (no trailing bits added). */
  take(): Uint8Array {
    if (!this.aligned) throw new Error('take needs byte alignment');
    return Uint8Array.from(this.bytes);
  }

  /** rbsp_trailing_bits() (§7.3.2.11), then the RBSP. */
  finish(): Uint8Array {
    this.bit(1);
    this.align();
    return Uint8Array.from(this.bytes);
  }

  private bit(b: number): void {
    this.current = (this.current << 1) | b;
    if (++this.count === 8) {
      this.bytes.push(this.current);
      this.current = 0;
      this.count = 0;
    }
  }
}

/**
 * A NAL unit's payload from its RBSP with emulation prevention (§7.4.1): an emulation_prevention_three_byte after
 * every two zero bytes that a byte ≤ 3 follows, and after a final zero byte. The NAL header byte (never 0) goes
 * before the result as it is.
 */
export function escapeRbsp(rbsp: Uint8Array): Uint8Array {
  const out: number[] = [];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  if (zeros > 0) out.push(3);
  return Uint8Array.from(out);
}
