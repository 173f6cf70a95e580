/** Thrown when a header runs past the end of its RBSP; callers treat it as a corrupt or partial NAL unit. */
export class EndOfDataError extends Error {
  override readonly name = 'EndOfDataError';
}

/**
 * MSB-first bit reader with Exp-Golomb helpers (H.264 §7.2, §9.1) over an RBSP
 * (emulation-prevention bytes already removed, see `unescapeRbsp`).
 */
export class BitReader {
  private bytePos = 0;
  private bitPos = 0; // 0..7, bits already consumed in data[bytePos]

  constructor(private readonly data: Uint8Array) {}

  get bitsLeft(): number {
    return (this.data.length - this.bytePos) * 8 - this.bitPos;
  }

  get bitOffset(): number {
    return this.bytePos * 8 + this.bitPos;
  }

  /** u(1) */
  flag(): boolean {
    return this.bit() === 1;
  }

  bit(): number {
    const byte = this.data[this.bytePos];
    if (byte === undefined) throw new EndOfDataError('read past end of RBSP');
    const value = (byte >> (7 - this.bitPos)) & 1;
    if (++this.bitPos === 8) {
      this.bitPos = 0;
      this.bytePos++;
    }
    return value;
  }

  /** u(n), n ≤ 32 */
  bits(n: number): number {
    let value = 0;
    while (n > 0) {
      const byte = this.data[this.bytePos];
      if (byte === undefined) throw new EndOfDataError('read past end of RBSP');
      const avail = 8 - this.bitPos;
      const take = Math.min(avail, n);
      const chunk = (byte >> (avail - take)) & ((1 << take) - 1);
      value = value * (1 << take) + chunk; // multiplication keeps 32-bit values positive
      n -= take;
      this.bitPos += take;
      if (this.bitPos === 8) {
        this.bitPos = 0;
        this.bytePos++;
      }
    }
    return value;
  }

  skip(n: number): void {
    const total = this.bitPos + n;
    this.bytePos += Math.floor(total / 8);
    this.bitPos = total % 8;
    if (this.bitsLeft < 0) throw new EndOfDataError('skip past end of RBSP');
  }

  /** ue(v), §9.1 */
  ue(): number {
    let leadingZeros = 0;
    while (this.bit() === 0) {
      if (++leadingZeros > 31) throw new EndOfDataError('Exp-Golomb code longer than 32 bits');
    }
    if (leadingZeros === 0) return 0;
    return (2 ** leadingZeros - 1 + this.bits(leadingZeros)) >>> 0;
  }

  /** se(v), §9.1.1 */
  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -k / 2 || 0;
  }

  /** more_rbsp_data(), §7.2: true while data remains before the rbsp_stop_one_bit. */
  moreRbspData(): boolean {
    let last = this.data.length - 1;
    while (last >= this.bytePos && this.data[last] === 0) last--;
    if (last < this.bytePos) return false;
    const lastByte = this.data[last] ?? 0;
    let stopBit = 0; // position of the lowest set bit, counted from the MSB
    for (let b = 7; b >= 0; b--) {
      if (lastByte & (1 << (7 - b))) {
        stopBit = b;
        break;
      }
    }
    return this.bytePos < last || this.bitPos < stopBit;
  }
}

/**
 * Removes emulation-prevention bytes (00 00 03 → 00 00), H.264 §7.4.1: finds the 03 bytes with the
 * native `indexOf` and copies the runs between them (a view when there are none). `limit` bounds the
 * output length: headers need only the first bytes of a slice.
 */
export function unescapeRbsp(nal: Uint8Array, limit = nal.length): Uint8Array {
  // Enough input for `limit` output bytes: at most one escape byte per two others.
  const end = Math.min(nal.length, limit + Math.ceil(limit / 2) + 3);
  let out: Uint8Array | undefined;
  let o = 0;
  let from = 0; // first input byte not yet copied
  for (let i = nal.indexOf(3, 2); i >= 0 && i < end; i = nal.indexOf(3, i + 1)) {
    if (nal[i - 1] !== 0 || nal[i - 2] !== 0) continue;
    out ??= new Uint8Array(end);
    out.set(nal.subarray(from, i), o);
    o += i - from;
    from = i + 1;
  }
  if (!out) return nal.subarray(0, Math.min(limit, nal.length));
  out.set(nal.subarray(from, end), o);
  o += end - from;
  return out.subarray(0, Math.min(o, limit));
}
