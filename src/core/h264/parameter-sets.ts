import { nalBytes, type NalUnit } from './nal.js';
import { parsePps, type Pps } from './pps.js';
import type { ParameterSetLookup } from './slice.js';
import { parseSps, type Sps } from './sps.js';

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

  get hasAny(): boolean {
    return this.spsById.size > 0;
  }

  /** Stores an SPS unit; throws when it does not parse. Copies its (small) bytes. */
  addSps(nal: NalUnit): StoredSps {
    // A real copy: `slice` of a Node Buffer is a view, and callers may reuse their chunks.
    const bytes = new Uint8Array(nalBytes(nal));
    const sps = parseSps(bytes);
    const old = this.spsById.get(sps.id);
    if (old && sameBytes(old.bytes, bytes)) return old;
    const stored = { sps, bytes };
    this.spsById.set(sps.id, stored);
    return stored;
  }

  addPps(nal: NalUnit): StoredPps {
    const bytes = new Uint8Array(nalBytes(nal));
    const pps = parsePps(bytes);
    const old = this.ppsById.get(pps.id);
    if (old && sameBytes(old.bytes, bytes)) return old;
    const stored = { pps, bytes };
    this.ppsById.set(pps.id, stored);
    return stored;
  }

  clear(): void {
    this.spsById.clear();
    this.ppsById.clear();
  }
}

export { sameBytes };
