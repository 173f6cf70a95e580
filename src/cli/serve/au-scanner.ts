/**
 * Streaming access-unit boundary scanner for the relay.
 *
 * The relay never muxes: it only needs to know, as early as possible, where each access unit (AU) of
 * the raw Annex-B byte stream begins, whether it is a keyframe, and which SPS/PPS a joiner needs. It
 * hands the bytes on untouched (views into the pushed chunks), split exactly at AU starts.
 *
 * An AU is proven complete when the first NAL unit of the next AU arrives (H.264 §7.4.1.2.3): a NAL of
 * type 6-9 or 14-18 after a VCL NAL, or the first VCL NAL of a new primary picture. Only two bytes of
 * that NAL are needed (header + first slice-header byte), not the whole NAL, so the boundary is known
 * the moment the next frame's first bytes arrive. Where the transport proves the end (a file read AU by
 * AU), `push(chunk, true)` closes the AU at once.
 *
 * Simplification (documented): a new primary picture is recognised by first_mb_in_slice == 0
 * (§7.4.1.2.4 also compares frame_num, pps id, ...). That holds for every stream without arbitrary
 * slice order or redundant pictures, i.e. all cameras and encoders we target.
 */

import {
  BitReader,
  concatBytes,
  findRecoveryPoint,
  NalType,
  unescapeRbsp,
} from '../../core/index.js';

/** Handed to the sink when the current AU turns out to be a keyframe. */
export interface KeyframeInfo {
  /** IDR slice (true) or recovery point SEI (false). */
  readonly idr: boolean;
  /**
   * Annex-B SPS+PPS a decoder joining at this AU needs in front of it; empty when the AU carries
   * both itself (an `--inline` camera stream).
   */
  readonly parameterSets: Uint8Array;
  /** Where in the AU the parameter sets go: after a leading access unit delimiter (§7.4.1.2.3), else 0. */
  readonly insertAt: number;
}

export interface ScannerSink {
  /** The next bytes of the stream, in order; all of them belong to the current AU. */
  bytes(data: Uint8Array): void;
  /** The current AU is a keyframe (called at most once per AU, before its end). */
  keyframe(info: KeyframeInfo): void;
  /** The current AU is complete; following bytes start the next one. */
  accessUnitEnd(): void;
}

/** Largest SPS/PPS/SEI NAL collected for parsing; bigger ones are passed on but not parsed. */
const MAX_COLLECT = 64 * 1024;
const START_CODE = Uint8Array.of(0, 0, 0, 1);

export class AccessUnitScanner {
  /** Bytes of a possible start code (and NAL header) held from the end of the previous chunk. */
  private held: Uint8Array = new Uint8Array(0);
  /** NAL unit in progress: type (-1 before the first start code). */
  private nalType: NalType | -1 = -1;
  /** Bytes of the NAL in progress (after its start code) when it is an SPS, PPS or SEI. */
  private collect: Uint8Array[] | null = null;
  private collectSize = 0;
  /** Current AU state. */
  private auBytes = 0;
  private auHasVcl = false;
  private auHasSps = false;
  private auHasPps = false;
  private auKeyframe = false;
  private auFirstNal: NalType | -1 = -1;
  private auSecondNalAt = 0;
  private auNalCount = 0;
  private readonly sps = new Map<number, Uint8Array>();
  private readonly pps = new Map<number, Uint8Array>();
  /** Access units closed so far. */
  accessUnits = 0;

  constructor(private readonly sink: ScannerSink) {}

  /** Scans `chunk`; with `endOfAccessUnit` the chunk ends exactly at an AU end (proven by the transport). */
  push(chunk: Uint8Array, endOfAccessUnit = false): void {
    // The held bytes (at most 6) are rescanned with the new chunk; this is the only copy and it is
    // rare: a camera's chunks end with slice data, not with zeros or a start code.
    const buf = this.held.length > 0 ? concat([this.held, chunk]) : chunk;
    this.held = new Uint8Array(0);
    const n = buf.length;
    let emitted = 0; // buf[0, emitted) has been handed to the sink
    let collectFrom = this.collect ? 0 : -1;
    let holdFrom = n;
    let i = 0;
    while (i < n) {
      const j = buf.indexOf(1, i);
      if (j < 0) break;
      let z = 0;
      while (z < 3 && j - 1 - z >= 0 && buf[j - 1 - z] === 0) z++;
      if (z < 2) {
        i = j + 1;
        continue;
      }
      const s = j - z; // the NAL (with its zero_byte, §B.1.1) starts here
      const type = (j + 1 < n ? buf[j + 1]! & 0x1f : -1) as NalType | -1;
      const vcl =
        type === NalType.SliceNonIdr || type === NalType.SliceDataA || type === NalType.SliceIdr;
      if (!endOfAccessUnit && (type === -1 || (vcl && j + 2 >= n))) {
        holdFrom = s; // header bytes not here yet: decide with the next chunk
        break;
      }
      // The NAL in progress ends at s.
      this.emit(buf, emitted, s);
      emitted = s;
      if (collectFrom >= 0) this.addCollect(buf.subarray(collectFrom, s));
      this.endNal();
      // §7.4.1.2.3: these NAL types, or the first VCL NAL of a new primary picture, start a new AU.
      const firstMbZero = vcl && j + 2 < n && (buf[j + 2]! & 0x80) !== 0;
      const startsAu =
        type === NalType.Sei ||
        type === NalType.Sps ||
        type === NalType.Pps ||
        type === NalType.Aud ||
        (type >= NalType.PrefixNal && type <= NalType.Reserved18) ||
        firstMbZero;
      if (this.auHasVcl && startsAu) this.endAccessUnit();
      this.beginNal(type);
      collectFrom = this.collect ? j + 1 : -1;
      i = j + 2;
    }
    if (holdFrom === n && !endOfAccessUnit) {
      // Trailing zeros may be the start of the next start code.
      let z = 0;
      while (z < 3 && n - 1 - z >= emitted && buf[n - 1 - z] === 0) z++;
      holdFrom = n - z;
    }
    this.emit(buf, emitted, holdFrom);
    if (collectFrom >= 0 && collectFrom < holdFrom)
      this.addCollect(buf.subarray(collectFrom, holdFrom));
    if (holdFrom < n) this.held = new Uint8Array(buf.subarray(holdFrom)); // a copy (Buffer#slice is a view)
    if (endOfAccessUnit) {
      this.endNal();
      if (this.auBytes > 0) this.endAccessUnit();
    }
  }

  /** End of the stream: what remains is a complete AU. */
  flush(): void {
    if (this.held.length > 0) {
      const rest = this.held;
      this.held = new Uint8Array(0);
      this.sink.bytes(rest);
      this.auBytes += rest.length;
    }
    this.endNal();
    if (this.auBytes > 0) this.endAccessUnit();
  }

  /** The stream broke (source reconnect): forget the unfinished AU and all parameter sets. */
  reset(): void {
    this.held = new Uint8Array(0);
    this.nalType = -1;
    this.collect = null;
    this.collectSize = 0;
    this.resetAu();
    this.sps.clear();
    this.pps.clear();
  }

  /** Bytes of the AU in progress handed to the sink so far. */
  get pendingBytes(): number {
    return this.auBytes;
  }

  private emit(buf: Uint8Array, from: number, to: number): void {
    if (to <= from) return;
    this.auBytes += to - from;
    this.sink.bytes(buf.subarray(from, to));
  }

  private beginNal(type: NalType | -1): void {
    this.nalType = type;
    if (this.auNalCount === 1) this.auSecondNalAt = this.auBytes;
    if (this.auNalCount === 0) this.auFirstNal = type;
    this.auNalCount++;
    const collect = type === NalType.Sei || type === NalType.Sps || type === NalType.Pps;
    this.collect = collect ? [] : null;
    this.collectSize = 0;
    if (type === NalType.SliceNonIdr || type === NalType.SliceDataA || type === NalType.SliceIdr)
      this.auHasVcl = true;
    if (type === NalType.Sps) this.auHasSps = true;
    if (type === NalType.Pps) this.auHasPps = true;
    if (type === NalType.SliceIdr) this.markKeyframe(true);
  }

  private addCollect(part: Uint8Array): void {
    if (!this.collect || part.length === 0) return;
    this.collectSize += part.length;
    if (this.collectSize > MAX_COLLECT) {
      this.collect = null;
      return;
    }
    this.collect.push(new Uint8Array(part)); // a copy (Buffer#slice is a view)
  }

  private endNal(): void {
    const parts = this.collect;
    this.collect = null;
    if (!parts || parts.length === 0) return;
    let nal = concat(parts);
    let end = nal.length;
    while (end > 1 && nal[end - 1] === 0) end--; // trailing_zero_8bits, §B.1.1
    nal = nal.subarray(0, end);
    try {
      if (this.nalType === NalType.Sps) {
        this.sps.set(parameterSetId(nal, 3), withStartCode(nal));
      } else if (this.nalType === NalType.Pps) {
        this.pps.set(parameterSetId(nal, 0), withStartCode(nal));
      } else if (this.nalType === NalType.Sei && findRecoveryPoint(nal) !== undefined) {
        this.markKeyframe(false);
      }
    } catch {
      // A parameter set too damaged to read its id is passed on but not cached.
    }
  }

  private markKeyframe(idr: boolean): void {
    if (this.auKeyframe) return;
    this.auKeyframe = true;
    const parameterSets =
      this.auHasSps && this.auHasPps
        ? new Uint8Array(0)
        : concat([...this.sps.values(), ...this.pps.values()]);
    const insertAt =
      this.auFirstNal === NalType.Aud && this.auNalCount > 1 ? this.auSecondNalAt : 0;
    this.sink.keyframe({ idr, parameterSets, insertAt });
  }

  private endAccessUnit(): void {
    this.accessUnits++;
    this.sink.accessUnitEnd();
    this.resetAu();
  }

  private resetAu(): void {
    this.auBytes = 0;
    this.auHasVcl = false;
    this.auHasSps = false;
    this.auHasPps = false;
    this.auKeyframe = false;
    this.auFirstNal = -1;
    this.auSecondNalAt = 0;
    this.auNalCount = 0;
  }
}

/** Concatenates byte arrays (one allocation; a single part is returned as it is). */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  return parts.length === 1 ? (parts[0] as Uint8Array) : concatBytes(parts);
}

function withStartCode(nal: Uint8Array): Uint8Array {
  return concat([START_CODE, nal]);
}

/** seq_/pic_parameter_set_id: the first ue(v) after `skip` bytes of an SPS (profile, flags, level) or PPS. */
function parameterSetId(nal: Uint8Array, skip: number): number {
  const reader = new BitReader(unescapeRbsp(nal, 32).subarray(1 + skip));
  return reader.ue();
}
