import { unitLimits, type UnitLimits } from './limits.js';
import { nalBytes, type NalUnit } from './nal.js';
import { parsePps, peekPpsIds, type Pps } from './pps.js';
import type { ParameterSetLookup } from './slice.js';
import { parseSps, type Sps } from './sps.js';
import { validatePps, validateSps } from './validate.js';

export interface StoredSps {
  readonly sps: Sps;
  readonly bytes: Uint8Array;
}

export interface StoredPps {
  readonly pps: Pps;
  readonly bytes: Uint8Array;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Active SPS/PPS by id (§7.4.1.2.1: a later set with the same id replaces the earlier one). */
export class ParameterSets implements ParameterSetLookup {
  private readonly spsById = new Map<number, StoredSps>();
  private readonly ppsById = new Map<number, StoredPps>();
  private cachedLimits: UnitLimits | undefined;

  sps(id: number): Sps | undefined {
    return this.spsById.get(id)?.sps;
  }

  pps(id: number): Pps | undefined {
    return this.ppsById.get(id)?.pps;
  }

  storedSps(id: number): StoredSps | undefined {
    return this.spsById.get(id);
  }

  storedPps(id: number): StoredPps | undefined {
    return this.ppsById.get(id);
  }

  /** PPS units that refer to SPS `spsId`, by ascending id. */
  ppsFor(spsId: number): StoredPps[] {
    return [...this.ppsById.values()]
      .filter((p) => p.pps.spsId === spsId)
      .sort((a, b) => a.pps.id - b.pps.id);
  }

  /** The ids of the PPSs held. */
  ppsIds(): IterableIterator<number> {
    return this.ppsById.keys();
  }

  get hasAny(): boolean {
    return this.spsById.size > 0;
  }

  /** How long a NAL unit and a picture of a stream with these SPSs can be. */
  get limits(): UnitLimits {
    return (this.cachedLimits ??= unitLimits([...this.spsById.values()].map((s) => s.sps)));
  }

  /**
   * Stores an SPS unit; throws when it does not parse, and OutOfRangeError (a RangeError) when a field is
   * outside its range. Copies its (small) bytes.
   */
  addSps(nal: NalUnit): StoredSps {
    // A real copy: `slice` of a Node Buffer is a view, and callers may reuse their chunks.
    const bytes = new Uint8Array(nalBytes(nal));
    const sps = parseSps(bytes);
    validateSps(sps);
    const old = this.spsById.get(sps.id);
    if (old && sameBytes(old.bytes, bytes)) return old;
    const stored = { sps, bytes };
    this.spsById.set(sps.id, stored);
    this.cachedLimits = undefined;
    return stored;
  }

  /** As addSps, for a PPS (checked against its SPS when that is known). */
  addPps(nal: NalUnit): StoredPps {
    const bytes = new Uint8Array(nalBytes(nal));
    const sps = this.sps(peekPpsIds(bytes).spsId);
    const pps = parsePps(bytes, sps?.chromaFormatIdc);
    validatePps(pps, sps);
    const old = this.ppsById.get(pps.id);
    if (old && sameBytes(old.bytes, bytes)) return old;
    const stored = { pps, bytes };
    this.ppsById.set(pps.id, stored);
    return stored;
  }

  clear(): void {
    this.spsById.clear();
    this.ppsById.clear();
    this.cachedLimits = undefined;
  }
}

export { sameBytes };
