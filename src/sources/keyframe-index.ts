/**
 * Keyframe index of a raw H.264 file, built while it is read: the byte offset and decode-order frame
 * number of every keyframe, so that a seek can restart reading at the keyframe before the target
 * (`File.slice`) instead of reading the whole file up to it.
 *
 * - Access units are delimited as in ITU-T H.264 §7.4.1.2.3: after a VCL NAL unit, an AUD, SPS, PPS,
 *   SEI or NAL unit of type 14..18, or a slice with first_mb_in_slice == 0 (§7.4.1.2.4: the first
 *   slice of a new primary coded picture), starts the next access unit.
 * - A keyframe is an IDR picture (nal_unit_type 5) or a picture preceded by a recovery point SEI
 *   (§D.2.8, payloadType 6), as the core Transmuxer counts them.
 * - Frames are numbered from the first keyframe on (0), like the Transmuxer's decode index (it skips
 *   what comes before the first keyframe).
 * - When a keyframe's access unit carries no SPS, the SPS and PPS in force are kept with the entry, so
 *   a restart there can send them first.
 *
 * Only start codes are searched (native `indexOf`), and only the first bytes of each NAL unit are
 * copied (the whole unit for SPS/PPS), so indexing costs little next to transmuxing. The index is
 * bounded: past MAX_ENTRIES entries every other one is dropped and the spacing doubles.
 */

export interface KeyframeEntry {
  /** Decode-order frame number (0 = the file's first keyframe). */
  readonly frame: number;
  /** Byte offset of the access unit's first start code. */
  readonly offset: number;
  /** Annex-B SPS+PPS in force, when the access unit does not carry an SPS itself. */
  readonly parameterSets: Uint8Array | undefined;
}

/** NAL unit bytes kept for header parsing (SEI payload types, first_mb_in_slice). */
const HEAD_BYTES = 32;
/** SPS and PPS are kept whole up to this size (larger ones are not kept). */
const PARAMETER_SET_BYTES = 1024;
const MAX_ENTRIES = 16384;
/** nal_unit_type values (H.264 Table 7-1) the index looks at. */
const Nal = {
  SliceNonIdr: 1,
  SliceDataA: 2,
  SliceIdr: 5,
  Sei: 6,
  Sps: 7,
  Pps: 8,
  Aud: 9,
} as const;
/** sei_message payloadType of recovery_point (§D.1.1). */
const SEI_RECOVERY_POINT = 6;
const START_CODE = Uint8Array.of(0, 0, 0, 1);

interface OpenNal {
  /** Offset of its start code. */
  readonly start: number;
  /** Offset of its first byte (the NAL header). */
  readonly payload: number;
  head: Uint8Array;
  length: number;
  cap: number;
}

export class KeyframeIndex {
  /** Offset of the next byte to index (bytes are indexed once, in order). */
  position = 0;
  /** Frames (access units) counted from the first keyframe on. */
  frames = 0;
  /** The whole file has been indexed. */
  ended = false;

  private entries: KeyframeEntry[] = [];
  private minSpacing = 1;
  private started = false;
  /** The last three bytes before `position` (start codes may span chunks). */
  private tail = new Uint8Array(0);
  private nal: OpenNal | undefined;
  // The access unit being assembled.
  private auStart = 0;
  private seenVcl = false;
  private auHasSps = false;
  private auRecovery = false;
  // Parameter sets in force: the latest SPS and the PPSs that followed it.
  private sets: Uint8Array[] = [];
  private setsBytes: Uint8Array | undefined;

  /** Keyframes indexed so far, in file order. */
  get keyframes(): readonly KeyframeEntry[] {
    return this.entries;
  }

  /** True when the index knows every keyframe up to and including `frame`. */
  covers(frame: number): boolean {
    return this.ended || this.frames > frame;
  }

  /** The last indexed keyframe at or before `frame`, if any. */
  keyframeBefore(frame: number): KeyframeEntry | undefined {
    let lo = 0;
    let hi = this.entries.length - 1;
    let found: KeyframeEntry | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const entry = this.entries[mid] as KeyframeEntry;
      if (entry.frame <= frame) {
        found = entry;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Frames in the file, extrapolated from the bytes indexed so far (exact once `ended`). */
  estimateFrames(fileSize: number): number {
    if (this.ended || this.position === 0) return this.frames;
    return Math.max(this.frames, Math.round((this.frames * fileSize) / this.position));
  }

  /** Indexes the bytes at `offset` (a read position); bytes already indexed are skipped. */
  pushAt(offset: number, chunk: Uint8Array): void {
    const end = offset + chunk.length;
    if (this.ended || end <= this.position || offset > this.position) return;
    this.push(chunk.subarray(this.position - offset));
  }

  /** The next bytes of the file, in order. */
  push(chunk: Uint8Array): void {
    const base = this.position;
    let i = 0;
    for (;;) {
      const j = chunk.indexOf(1, i);
      const stop = j < 0 ? chunk.length : j + 1;
      if (this.nal) this.collect(chunk, i, stop);
      if (j < 0) break;
      const zeros = this.zerosBefore(chunk, j);
      if (zeros >= 2) {
        const start = base + j - Math.min(zeros, 3);
        if (this.nal) this.closeNal(start);
        this.nal = {
          start,
          payload: base + j + 1,
          head: new Uint8Array(HEAD_BYTES),
          length: 0,
          cap: HEAD_BYTES,
        };
      }
      i = j + 1;
    }
    this.keepTail(chunk);
    this.position = base + chunk.length;
  }

  /** End of file: the last NAL unit ends here. */
  end(): void {
    if (this.ended) return;
    if (this.nal) this.closeNal(this.position);
    this.nal = undefined;
    this.ended = true;
  }

  /** Zero bytes (up to 3) right before `chunk[j]`, looking into the previous chunk's tail. */
  private zerosBefore(chunk: Uint8Array, j: number): number {
    let zeros = 0;
    for (let k = 1; k <= 3; k++) {
      const at = j - k;
      const byte = at >= 0 ? chunk[at] : this.tail[this.tail.length + at];
      if (byte !== 0) break;
      zeros++;
    }
    return zeros;
  }

  private keepTail(chunk: Uint8Array): void {
    if (chunk.length >= 3) {
      this.tail = chunk.slice(chunk.length - 3);
      return;
    }
    const joined = new Uint8Array(this.tail.length + chunk.length);
    joined.set(this.tail);
    joined.set(chunk, this.tail.length);
    this.tail = joined.slice(Math.max(0, joined.length - 3));
  }

  /** Copies NAL bytes `chunk[from, to)` into the open unit's head, up to its cap. */
  private collect(chunk: Uint8Array, from: number, to: number): void {
    const nal = this.nal as OpenNal;
    if (nal.length === 0 && from < to) {
      const type = (chunk[from] as number) & 0x1f;
      if (type === Nal.Sps || type === Nal.Pps) {
        nal.cap = PARAMETER_SET_BYTES + 8;
        nal.head = new Uint8Array(nal.cap);
      }
    }
    const room = nal.cap - nal.length;
    if (room <= 0) {
      nal.length += to - from;
      return;
    }
    const take = Math.min(room, to - from);
    nal.head.set(chunk.subarray(from, from + take), nal.length);
    nal.length += to - from;
  }

  /** The open NAL unit ends where the next start code (or the file) begins. */
  private closeNal(end: number): void {
    const nal = this.nal as OpenNal;
    this.nal = undefined;
    const size = end - nal.payload;
    if (size <= 0) return;
    const head = nal.head.subarray(0, Math.min(size, nal.length, nal.cap));
    this.onNal(nal.start, head, size <= nal.cap ? head : undefined);
  }

  /** `whole` is the complete unit when it fits its cap. */
  private onNal(start: number, head: Uint8Array, whole: Uint8Array | undefined): void {
    const type = (head[0] as number) & 0x1f;
    const vcl = type === Nal.SliceNonIdr || type === Nal.SliceIdr || type === Nal.SliceDataA;
    // first_mb_in_slice is the first ue(v) of the slice header: value 0 is the single bit '1'.
    const firstSlice = vcl && head.length > 1 && ((head[1] as number) & 0x80) !== 0;
    const starter =
      (!vcl && ((type >= Nal.Sei && type <= Nal.Aud) || (type >= 14 && type <= 18))) || firstSlice;
    if (this.seenVcl && starter) {
      this.auStart = start;
      this.seenVcl = false;
      this.auHasSps = false;
      this.auRecovery = false;
    }
    switch (type) {
      case Nal.Sps:
        this.auHasSps = true;
        this.sets = whole ? [whole.slice()] : [];
        this.setsBytes = undefined;
        break;
      case Nal.Pps:
        if (whole && this.sets.length > 0 && this.sets.length < 16) {
          this.sets.push(whole.slice());
          this.setsBytes = undefined;
        }
        break;
      case Nal.Sei:
        if (hasRecoveryPoint(head)) this.auRecovery = true;
        break;
    }
    if (!vcl || this.seenVcl) return;
    // The first slice of a new picture.
    this.seenVcl = true;
    const keyframe = type === Nal.SliceIdr || this.auRecovery;
    if (!this.started) {
      if (!keyframe) return;
      this.started = true;
    }
    if (keyframe) this.addEntry(this.frames, this.auStart);
    this.frames++;
  }

  private addEntry(frame: number, offset: number): void {
    const last = this.entries[this.entries.length - 1];
    if (last && frame - last.frame < this.minSpacing) return;
    this.entries.push({
      frame,
      offset,
      parameterSets: this.auHasSps ? undefined : this.parameterSets(),
    });
    if (this.entries.length > MAX_ENTRIES) {
      this.entries = this.entries.filter((_, i) => i % 2 === 0);
      this.minSpacing *= 2;
    }
  }

  private parameterSets(): Uint8Array | undefined {
    if (this.sets.length < 2) return undefined;
    if (!this.setsBytes) {
      let size = 0;
      for (const s of this.sets) size += START_CODE.length + s.length;
      const out = new Uint8Array(size);
      let o = 0;
      for (const s of this.sets) {
        out.set(START_CODE, o);
        out.set(s, o + START_CODE.length);
        o += START_CODE.length + s.length;
      }
      this.setsBytes = out;
    }
    return this.setsBytes;
  }
}

/**
 * True when an SEI NAL unit (header byte first) holds a recovery_point message among the messages
 * that fit in `head` (§7.3.2.3.1: payloadType and payloadSize are sums of 0xFF bytes plus a last byte).
 */
function hasRecoveryPoint(head: Uint8Array): boolean {
  const rbsp = unescape(head.subarray(1));
  let i = 0;
  while (i < rbsp.length && rbsp[i] !== 0x80) {
    let payloadType = 0;
    while (rbsp[i] === 0xff) {
      payloadType += 255;
      i++;
    }
    if (i >= rbsp.length) return false;
    payloadType += rbsp[i++] as number;
    if (payloadType === SEI_RECOVERY_POINT) return true;
    let payloadSize = 0;
    while (rbsp[i] === 0xff) {
      payloadSize += 255;
      i++;
    }
    if (i >= rbsp.length) return false;
    payloadSize += rbsp[i++] as number;
    i += payloadSize;
  }
  return false;
}

/** Drops emulation_prevention_three_byte (00 00 03 -> 00 00), §7.4.1. */
function unescape(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  let zeros = 0;
  for (const b of bytes) {
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    zeros = b === 0 ? zeros + 1 : 0;
    out[n++] = b;
  }
  return out.subarray(0, n);
}
