import { nalBytes, NalType, type NalUnit } from './h264/nal.js';
import { sameBytes } from './h264/parameter-sets.js';
import { peekPpsIds } from './h264/pps.js';
import { withReorderBound } from './h264/sps-writer.js';
import { peekSpsId, type Sps } from './h264/sps.js';

/**
 * An SPS as the output carries it: the reordering its pictures show and the bound declared to the decoder. Where
 * the stream's SPS has no bitstream_restriction, the output's copies get one (`withReorderBound`): decoders
 * otherwise hold up to MaxDpbFrames frames before output (§C.4.5.3, §E.2.1).
 */
export class SpsUse {
  /** Most frames of reordering any of its pictures needed so far (max_num_reorder_frames as §E.2.1 defines it). */
  measured = 0;
  private bound: number | undefined;
  private copy: Uint8Array;

  constructor(
    readonly sps: Sps,
    /** The SPS unit as the stream has it. */
    readonly bytes: Uint8Array,
  ) {
    this.copy = bytes;
  }

  /** The stream declares its own bound: the output carries the SPS unchanged. */
  get ownBound(): boolean {
    return this.sps.vui?.bitstreamRestriction === true;
  }

  /** The reorder bound the output declares (undefined: none declared yet). */
  get declared(): number | undefined {
    return this.ownBound ? (this.sps.vui?.maxNumReorderFrames ?? 0) : this.bound;
  }

  /** The SPS unit as the output carries it. */
  get written(): Uint8Array {
    return this.copy;
  }

  /** Would declaring `frames` raise the bound (never lowered)? */
  wouldRaise(frames: number): boolean {
    return !this.ownBound && (this.bound === undefined || frames > this.bound);
  }

  /** Declares at least `frames` of reordering from now on. */
  raise(frames: number): void {
    if (!this.wouldRaise(frames)) return;
    this.bound = frames;
    this.copy = withReorderBound(this.bytes, this.sps, frames);
  }
}

/** A sample's NAL units as written, with their types and sizes. */
export interface SampleUnits {
  readonly units: (readonly Uint8Array[])[];
  readonly nalTypes: number[];
  readonly nalSizes: number[];
  /** Payload size in the mdat: Σ (4 + unit size). */
  readonly size: number;
}

/**
 * The parameter sets the decoder holds (from the init segment, then from samples), to decide which SPS/PPS units a
 * sample carries: one the decoder already holds with the same content is left out, any other goes in (§7.4.1.2.1:
 * a later set with the same id replaces the earlier one). The picture's own SPS is carried as the output declares it.
 */
export class DecoderParameterSets {
  private readonly sps = new Map<number, Uint8Array>();
  private readonly pps = new Map<number, Uint8Array>();

  /** A new init segment: the decoder holds exactly these. */
  reset(sps: Uint8Array, pps: readonly Uint8Array[]): void {
    this.sps.clear();
    this.pps.clear();
    this.sps.set(peekSpsId(sps), sps);
    for (const p of pps) this.pps.set(peekPpsIds(p).id, p);
  }

  /**
   * The units of one sample. `use` is the SPS its picture decodes with; with `resend`, its SPS (as declared) and
   * the PPS units `resend` lists go in first unless the decoder already holds them (a fresh start in a single-file
   * output, where no new init segment can say it).
   */
  sample(nals: readonly NalUnit[], use: SpsUse, resend?: readonly Uint8Array[]): SampleUnits {
    const units: Uint8Array[][] = [];
    const nalTypes: number[] = [];
    const nalSizes: number[] = [];
    let size = 0;
    const push = (type: number, parts: readonly Uint8Array[], length: number): void => {
      units.push(parts as Uint8Array[]);
      nalTypes.push(type);
      nalSizes.push(length);
      size += 4 + length;
    };
    // SPS ids (re)sent in this sample: their PPS units go too, and each PPS only once.
    const spsSent = new Set<number>();
    const ppsSent = new Set<number>();
    const sendSps = (id: number, bytes: Uint8Array): void => {
      this.sps.set(id, bytes);
      spsSent.add(id);
      push(NalType.Sps, [bytes], bytes.length);
    };
    const sendPps = (id: number, bytes: Uint8Array, parts: readonly Uint8Array[]): void => {
      this.pps.set(id, bytes);
      ppsSent.add(id);
      push(NalType.Pps, parts, bytes.length);
    };
    const useId = use.sps.id;
    if (resend && !sameHeld(this.sps.get(useId), use.written)) {
      sendSps(useId, use.written);
      for (const p of resend) sendPps(peekPpsIds(p).id, p, [p]);
    }
    for (const nal of nals) {
      if (nal.type === NalType.Sps) {
        const bytes = nalBytes(nal);
        const id = parameterSetId(() => peekSpsId(bytes));
        if (id === undefined) continue; // not an SPS a decoder could use
        const written = sameBytes(bytes, use.bytes) ? use.written : bytes;
        if (sameHeld(this.sps.get(id), written)) continue;
        sendSps(id, written);
      } else if (nal.type === NalType.Pps) {
        const bytes = nalBytes(nal);
        const ids = parameterSetId(() => peekPpsIds(bytes));
        if (ids === undefined) continue;
        if (ppsSent.has(ids.id) && sameHeld(this.pps.get(ids.id), bytes)) continue;
        if (!spsSent.has(ids.spsId) && sameHeld(this.pps.get(ids.id), bytes)) continue;
        sendPps(ids.id, bytes, nal.parts);
      } else {
        push(nal.type, nal.parts, nal.size);
      }
    }
    return { units, nalTypes, nalSizes, size };
  }
}

function sameHeld(held: Uint8Array | undefined, bytes: Uint8Array): boolean {
  return held !== undefined && sameBytes(held, bytes);
}

/** The id of a parameter set unit, or undefined when its first fields do not even read. */
function parameterSetId<T>(peek: () => T): T | undefined {
  try {
    return peek();
  } catch {
    return undefined;
  }
}
