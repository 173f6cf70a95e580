import type { H264MuxWarningCode } from '../errors.js';
import type { PictureType } from '../types.js';
import type { AnnexBSplitter } from './annexb.js';
import { MAX_PREFIX_UNITS } from './limits.js';
import { isVcl, nalBytes, NalType, type NalUnit } from './nal.js';
import type { ParameterSets } from './parameter-sets.js';
import { PocDecoder } from './poc.js';
import type { Pps } from './pps.js';
import { findRecoveryPoint, type RecoveryPoint } from './sei.js';
import {
  MissingParameterSetError,
  parseSliceHeader,
  SliceType,
  type SliceHeader,
} from './slice.js';
import type { Sps } from './sps.js';

/** Whether every slice of a picture of this type is intra-coded: I or SI slices (an IDR picture has no others, §7.4.3). */
export function isIntraPicture(type: PictureType): boolean {
  return type === 'IDR' || type === 'I' || type === 'SI';
}

/** One sample to be: a coded frame, or a complementary field pair, with everything that belongs to it. */
export interface Picture {
  /** All NAL units of the access unit(s), in decoding order. */
  readonly nals: readonly NalUnit[];
  /** First slice header of the (first) field. */
  readonly header: SliceHeader;
  readonly sps: Sps;
  readonly pps: Pps;
  readonly idr: boolean;
  readonly recoveryPoint: RecoveryPoint | undefined;
  /** Some field of the picture carries memory_management_control_operation 5. */
  readonly mmco5: boolean;
  /** PicOrderCnt of the frame (the smaller of the two fields' counts). */
  readonly poc: number;
  readonly pictureType: PictureType;
  readonly nalRefIdc: number;
  /** 1 for a frame or a lone field, 2 for a complementary field pair. */
  readonly fields: number;
  readonly size: number;
}

export type WarnFn = (code: H264MuxWarningCode, message: string) => void;

/** NAL unit types that, after a VCL unit, start a new access unit (§7.4.1.2.3). */
function startsAccessUnit(type: NalType): boolean {
  return (
    type === NalType.Aud ||
    type === NalType.Sps ||
    type === NalType.Pps ||
    type === NalType.Sei ||
    type === NalType.SpsExtension ||
    type === NalType.PrefixNal ||
    type === NalType.SubsetSps ||
    type === NalType.Dps ||
    type === NalType.Reserved17 ||
    type === NalType.Reserved18
  );
}

/** §7.4.1.2.4: does slice `b` begin a new primary coded picture after slice `a`? */
export function isFirstSliceOfNewPicture(a: SliceHeader, b: SliceHeader, pocType: number): boolean {
  if (b.redundantPicCnt > 0) return false; // redundant slices belong to the current access unit
  return (
    a.frameNum !== b.frameNum ||
    a.ppsId !== b.ppsId ||
    a.fieldPic !== b.fieldPic ||
    a.bottomField !== b.bottomField ||
    (a.nalRefIdc !== b.nalRefIdc && (a.nalRefIdc === 0 || b.nalRefIdc === 0)) ||
    (pocType === 0 &&
      (a.picOrderCntLsb !== b.picOrderCntLsb ||
        a.deltaPicOrderCntBottom !== b.deltaPicOrderCntBottom)) ||
    (pocType === 1 &&
      (a.deltaPicOrderCnt0 !== b.deltaPicOrderCnt0 ||
        a.deltaPicOrderCnt1 !== b.deltaPicOrderCnt1)) ||
    a.idr !== b.idr ||
    (a.idr && b.idr && a.idrPicId !== b.idrPicId)
  );
}

/** The picture still open when the stream ends. */
export interface LastPicture {
  readonly slices: readonly NalUnit[];
  readonly sps: Sps;
  readonly fieldPic: boolean;
}

interface OpenPicture {
  readonly nals: NalUnit[];
  readonly first: SliceHeader;
  last: SliceHeader;
  readonly sps: Sps;
  readonly pps: Pps;
  sliceTypes: number; // bit set of SliceType
  sawFirstMb0: boolean;
  size: number;
}

interface ClosedField {
  readonly nals: NalUnit[];
  readonly header: SliceHeader;
  readonly sps: Sps;
  readonly pps: Pps;
  readonly poc: number;
  readonly sliceTypes: number;
  readonly recoveryPoint: RecoveryPoint | undefined;
  readonly size: number;
}

/**
 * Groups NAL units into access units (§7.4.1.2.3-7.4.1.2.4) without needing AUDs, decodes their picture
 * order count, and pairs complementary fields into one picture.
 */
export class AccessUnitAssembler {
  private prefix: NalUnit[] = [];
  private prefixSize = 0;
  private open: OpenPicture | undefined;
  private pendingField: ClosedField | undefined;
  private readonly poc = new PocDecoder();
  private missingWarned = false;
  /** End (stream position) of the last NAL unit pushed. */
  private lastEnd = 0;
  /** `peek` could not tell yet whether the unit in progress begins a new picture. */
  private peekUndecided = false;

  /**
   * `onLoss` runs when a picture is dropped because a unit of it was too long or it never ended (after
   * every complete picture before it has been emitted): later pictures may reference the lost one.
   */
  constructor(
    private readonly sets: ParameterSets,
    private readonly emit: (picture: Picture) => void,
    private readonly warn: WarnFn,
    private readonly onLoss: () => void = () => undefined,
  ) {}

  /** Stream position of the first NAL unit held for a picture not yet emitted (undefined: none). */
  get heldFrom(): number | undefined {
    let from: number | undefined;
    for (const nal of [this.pendingField?.nals[0], this.open?.nals[0], this.prefix[0]]) {
      if (nal && (from === undefined || nal.offset < from)) from = nal.offset;
    }
    return from;
  }

  /**
   * Stream position up to which every access-unit boundary is known: bytes from here on may still turn
   * out to begin a picture not emitted yet (the unit in progress when `peek` could not place it, or the
   * units after a field that waits for its pair). Infinity when there is no such doubt.
   */
  get boundariesKnownTo(): number {
    const last = this.pendingField?.nals.at(-1);
    if (last) return last.offset + last.size;
    return this.peekUndecided ? this.lastEnd : Infinity;
  }

  push(nal: NalUnit): void {
    this.lastEnd = nal.offset + nal.size;
    this.peekUndecided = false;
    if (nal.size > this.sets.limits.nalBytes) {
      this.loseUnit(nal.head);
      return;
    }
    const type = nal.type;
    if (isVcl(type)) {
      this.pushSlice(nal);
      return;
    }
    if (startsAccessUnit(type)) {
      if (this.open) this.closePicture();
      if (type === NalType.Sps) this.storeParameterSet(nal, 'SPS');
      else if (type === NalType.Pps) this.storeParameterSet(nal, 'PPS');
      this.addToPrefix(nal);
      return;
    }
    if (type === NalType.EndOfSequence || type === NalType.EndOfStream) {
      if (this.open) {
        this.open.nals.push(nal);
        this.closePicture();
      }
      this.flushField();
      return;
    }
    if (
      type === NalType.SliceDataB ||
      type === NalType.SliceDataC ||
      type === NalType.FillerData ||
      type >= NalType.AuxiliarySlice
    ) {
      if (this.open) this.addToOpen(this.open, nal);
      return;
    }
    // nal_unit_type 0 (or a forbidden_zero_bit set): not a NAL unit of this stream.
    if (type === NalType.Unspecified)
      this.warn('CORRUPT_NAL', `skipped a corrupt or unspecified NAL unit (${nal.size} bytes)`);
  }

  /**
   * Looks at the first bytes of the NAL unit still arriving: when it proves the open picture is complete
   * (it starts a new access unit), the picture is closed now instead of when that unit ends.
   */
  peek(head: Uint8Array): void {
    this.peekUndecided = false;
    if (!this.open) return;
    if (head.length === 0) {
      this.peekUndecided = true;
      return;
    }
    const type = ((head[0] as number) & 0x1f) as NalType;
    if ((head[0] as number) & 0x80) return;
    if (startsAccessUnit(type)) {
      this.closePicture();
      return;
    }
    if (type === NalType.SliceDataA) {
      this.peekUndecided = true; // decided from its header once the unit is complete
      return;
    }
    if (type !== NalType.SliceIdr && type !== NalType.SliceNonIdr) return;
    try {
      const header = parseSliceHeader(head, this.sets, false);
      if (this.isNewPicture(header)) this.closePicture();
    } catch {
      // Not enough bytes yet, or a slice that will be dropped: decide when the unit is complete.
      this.peekUndecided = true;
    }
  }

  /**
   * Gives up on the NAL unit still arriving in `splitter` once it is longer than any unit of this stream
   * can be (`ParameterSets.limits`): the splitter discards the rest of it as it arrives.
   */
  limitUnitInProgress(splitter: AnnexBSplitter): void {
    if (splitter.unitBytes <= this.sets.limits.nalBytes) return;
    this.loseUnit(splitter.peekHead() ?? new Uint8Array(0));
    splitter.skipUnit();
  }

  /** The transport proved the access unit ends here. */
  endOfAccessUnit(): void {
    this.peekUndecided = false;
    if (this.open) this.closePicture();
  }

  /** End of stream. */
  /**
   * End of the stream: emits what is held. `isWhole` may veto the last picture (e.g. its last slice was cut
   * short); a vetoed picture is dropped and `flush` returns true.
   */
  flush(isWhole?: (picture: LastPicture) => boolean): boolean {
    let dropped = false;
    const open = this.open;
    if (open && isWhole) {
      const slices = open.nals.filter((n) => isVcl(n.type));
      if (!isWhole({ slices, sps: open.sps, fieldPic: open.first.fieldPic })) {
        this.open = undefined;
        dropped = true;
      }
    }
    if (this.open) this.closePicture();
    this.flushField();
    this.prefix = [];
    this.prefixSize = 0;
    return dropped;
  }

  /** Discard everything in progress (a discontinuity in the input). */
  reset(): void {
    this.prefix = [];
    this.prefixSize = 0;
    this.open = undefined;
    this.pendingField = undefined;
    this.peekUndecided = false;
    this.poc.reset();
  }

  private storeParameterSet(nal: NalUnit, kind: 'SPS' | 'PPS'): void {
    try {
      if (kind === 'SPS') this.sets.addSps(nal);
      else this.sets.addPps(nal);
    } catch (error) {
      // A RangeError names a field outside its range; anything else is a unit cut short or garbled.
      if (error instanceof RangeError) {
        this.warn(
          'INVALID_PARAMETER_SET',
          `skipped a ${kind} that breaks the H.264 spec: ${error.message}`,
        );
      } else {
        this.warn(
          'CORRUPT_NAL',
          `ignored a ${kind} that does not parse: ${(error as Error).message}`,
        );
      }
    }
  }

  /** A NAL unit too long to keep was skipped: the picture it belongs to is lost. */
  private loseUnit(head: Uint8Array): void {
    // First the open picture, complete when the lost unit begins a new one (as when its head arrived).
    this.peek(head);
    const limit = this.sets.limits.nalBytes;
    this.warn(
      'NAL_TOO_LARGE',
      `skipped a NAL unit longer than ${limit} bytes (more than any picture of this stream can need) and the frame it belonged to`,
    );
    this.lose();
  }

  /** Drops the picture in progress and the units waiting for one; emits a lone first field. */
  private lose(): void {
    this.open = undefined;
    this.prefix = [];
    this.prefixSize = 0;
    this.flushField();
    this.onLoss();
  }

  private addToPrefix(nal: NalUnit): void {
    this.prefix.push(nal);
    this.prefixSize += nal.size;
    if (this.prefix.length > MAX_PREFIX_UNITS || this.prefixSize > this.sets.limits.pictureBytes) {
      this.warn(
        'ACCESS_UNIT_TOO_LARGE',
        `dropped ${this.prefix.length} NAL units (${this.prefixSize} bytes) that came before no picture`,
      );
      this.prefix = [];
      this.prefixSize = 0;
    }
  }

  /** Adds `nal` to the open picture, or drops the picture when it grows past what a picture can hold. */
  private addToOpen(open: OpenPicture, nal: NalUnit): void {
    const limits = this.sets.limits;
    if (open.nals.length >= limits.pictureUnits || open.size + nal.size > limits.pictureBytes) {
      this.warn(
        'ACCESS_UNIT_TOO_LARGE',
        `dropped a frame of more than ${limits.pictureUnits} NAL units or ${limits.pictureBytes} bytes: its access unit does not end`,
      );
      this.lose();
      return;
    }
    open.nals.push(nal);
    open.size += nal.size;
  }

  private isNewPicture(header: SliceHeader): boolean {
    const open = this.open;
    if (!open) return true;
    if (header.firstMbInSlice === 0 && header.redundantPicCnt === 0 && open.sawFirstMb0)
      return true;
    return isFirstSliceOfNewPicture(open.last, header, open.sps.picOrderCntType);
  }

  private pushSlice(nal: NalUnit): void {
    let header: SliceHeader;
    try {
      header = parseSliceHeader(nal.head, this.sets);
    } catch (error) {
      if (this.open) this.closePicture();
      this.prefix = [];
      this.prefixSize = 0;
      if (error instanceof MissingParameterSetError) {
        if (!this.missingWarned) {
          this.missingWarned = true;
          this.warn(
            'MISSING_PARAMETER_SET',
            `${error.message}; skipping slices until SPS/PPS arrive`,
          );
        }
      } else {
        this.warn(
          'CORRUPT_NAL',
          `skipped a slice whose header does not parse (${(error as Error).message})`,
        );
      }
      return;
    }
    if (this.open && this.isNewPicture(header)) this.closePicture();
    const sliceBit = 1 << header.sliceType;
    const open = this.open;
    if (open) {
      this.addToOpen(open, nal);
      if (this.open !== open) return;
      open.last = header;
      open.sliceTypes |= sliceBit;
      if (header.firstMbInSlice === 0) open.sawFirstMb0 = true;
      return;
    }
    const pps = this.sets.pps(header.ppsId) as Pps;
    const sps = this.sets.sps(pps.spsId) as Sps;
    const nals = this.prefix;
    this.prefix = [];
    this.prefixSize = 0;
    nals.push(nal);
    let size = 0;
    for (const n of nals) size += n.size;
    this.open = {
      nals,
      first: header,
      last: header,
      sps,
      pps,
      sliceTypes: sliceBit,
      sawFirstMb0: header.firstMbInSlice === 0,
      size,
    };
  }

  private closePicture(): void {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    let recoveryPoint: RecoveryPoint | undefined;
    for (const nal of open.nals) {
      if (nal.type === NalType.Sei && !recoveryPoint)
        recoveryPoint = findRecoveryPoint(nalBytes(nal));
    }
    // All slices of a picture carry the same dec_ref_pic_marking (§7.4.3.3): the first one speaks for all.
    const header = open.first;
    const poc = this.poc.decode(header, open.sps);
    const field: ClosedField = {
      nals: open.nals,
      header,
      sps: open.sps,
      pps: open.pps,
      poc,
      sliceTypes: open.sliceTypes,
      recoveryPoint,
      size: open.size,
    };
    const pending = this.pendingField;
    if (pending) {
      this.pendingField = undefined;
      if (header.fieldPic && pairs(pending.header, header)) {
        this.emitPicture(pending, field);
        return;
      }
      this.emitPicture(pending, undefined);
    }
    if (header.fieldPic) this.pendingField = field;
    else this.emitPicture(field, undefined);
  }

  private flushField(): void {
    const pending = this.pendingField;
    this.pendingField = undefined;
    if (pending) this.emitPicture(pending, undefined);
  }

  private emitPicture(first: ClosedField, second: ClosedField | undefined): void {
    const sliceTypes = first.sliceTypes | (second?.sliceTypes ?? 0);
    const idr = first.header.idr;
    let pictureType: PictureType;
    if (idr) pictureType = 'IDR';
    else if (sliceTypes & (1 << SliceType.B)) pictureType = 'B';
    else if (sliceTypes & (1 << SliceType.P)) pictureType = 'P';
    else if (sliceTypes & (1 << SliceType.SP)) pictureType = 'SP';
    else if (sliceTypes & (1 << SliceType.SI)) pictureType = 'SI';
    else pictureType = 'I';
    this.emit({
      nals: second ? [...first.nals, ...second.nals] : first.nals,
      header: first.header,
      sps: first.sps,
      pps: first.pps,
      idr,
      recoveryPoint: first.recoveryPoint ?? second?.recoveryPoint,
      mmco5: first.header.mmco5 || (second?.header.mmco5 ?? false),
      poc: second ? Math.min(first.poc, second.poc) : first.poc,
      pictureType,
      nalRefIdc: Math.max(first.header.nalRefIdc, second?.header.nalRefIdc ?? 0),
      fields: second ? 2 : 1,
      size: first.size + (second?.size ?? 0),
    });
  }
}

/** Second field of a complementary field pair (§3.30): opposite parity, same frame_num, not a new IDR. */
function pairs(first: SliceHeader, second: SliceHeader): boolean {
  return (
    first.fieldPic &&
    second.fieldPic &&
    first.bottomField !== second.bottomField &&
    first.frameNum === second.frameNum &&
    !first.mmco5 &&
    (!second.idr || first.idr)
  );
}
