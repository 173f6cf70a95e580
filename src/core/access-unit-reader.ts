import { AccessUnitAssembler, type Picture } from './h264/access-unit.js';
import { AnnexBSplitter } from './h264/annexb.js';
import { NalType, type NalUnit } from './h264/nal.js';
import { ParameterSets } from './h264/parameter-sets.js';
import type { PictureType } from './types.js';

/** One access unit as Annex-B bytes, for relays that forward H.264 without muxing it. */
export interface RawAccessUnit {
  /** The access unit's NAL units, each behind a 4-byte start code, in input order. */
  readonly data: Uint8Array;
  /** IDR or recovery point: a viewer can start here (after `parameterSets`). */
  readonly keyframe: boolean;
  readonly idr: boolean;
  readonly pictureType: PictureType;
  /** The SPS and PPS active for this access unit, Annex-B framed: what a joining viewer needs first. */
  readonly parameterSets: Uint8Array;
  /** Frame rate from the stream's VUI timing info, when it has one. */
  readonly vuiFps: number | undefined;
}

const START_CODE = [0, 0, 0, 1] as const;

function annexB(units: readonly (readonly Uint8Array[])[]): Uint8Array {
  let size = 0;
  for (const parts of units) for (const p of parts) size += p.length + 0;
  size += 4 * units.length;
  const out = new Uint8Array(size);
  let o = 0;
  for (const parts of units) {
    out.set(START_CODE, o);
    o += 4;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
  }
  return out;
}

/**
 * Splits a raw H.264 byte stream into whole access units (§7.4.1.2.3) without muxing: for relays, GOP
 * caches and inspectors. Units that cannot be decoded yet (before any SPS/PPS) are skipped.
 */
export class AccessUnitReader {
  private readonly sets = new ParameterSets();
  private readonly splitter = new AnnexBSplitter();
  private readonly assembler: AccessUnitAssembler;
  private out: RawAccessUnit[] = [];

  constructor() {
    this.assembler = new AccessUnitAssembler(
      this.sets,
      (picture) => this.onPicture(picture),
      () => undefined,
    );
  }

  push(chunk: Uint8Array, endOfAccessUnit = false): RawAccessUnit[] {
    for (const nal of this.splitter.push(chunk)) this.assembler.push(nal);
    if (endOfAccessUnit) {
      for (const nal of this.splitter.flush()) this.assembler.push(nal);
      this.assembler.endOfAccessUnit();
    } else {
      this.assembler.limitUnitInProgress(this.splitter);
      const head = this.splitter.peekHead();
      if (head) this.assembler.peek(head);
    }
    return this.take();
  }

  flush(): RawAccessUnit[] {
    for (const nal of this.splitter.flush()) this.assembler.push(nal);
    this.assembler.flush();
    return this.take();
  }

  reset(): void {
    this.splitter.reset();
    this.assembler.reset();
  }

  private take(): RawAccessUnit[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  private onPicture(picture: Picture): void {
    const sps = this.sets.storedSps(picture.sps.id);
    const pps = this.sets.ppsFor(picture.sps.id);
    const sets: Uint8Array[][] = [];
    if (sps) sets.push([sps.bytes]);
    for (const p of pps) sets.push([p.bytes]);
    const vui = picture.sps.vui;
    this.out.push({
      data: annexB(picture.nals.map((n: NalUnit) => n.parts)),
      keyframe: picture.idr || picture.recoveryPoint !== undefined,
      idr: picture.idr,
      pictureType: picture.pictureType,
      parameterSets: annexB(sets),
      vuiFps:
        vui?.timingInfoPresent && vui.numUnitsInTick > 0
          ? vui.timeScale / (2 * vui.numUnitsInTick)
          : undefined,
    });
  }
}

export { NalType };
