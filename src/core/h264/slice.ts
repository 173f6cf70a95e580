import { BitReader, EndOfDataError, unescapeRbsp } from '../bytes/bit-reader.js';
import { NalType } from './nal.js';
import type { Pps } from './pps.js';
import type { Sps } from './sps.js';

/** slice_type % 5, Table 7-6. */
export enum SliceType {
  P = 0,
  B = 1,
  I = 2,
  SP = 3,
  SI = 4,
}

/** The slice header fields used for access-unit detection, POC and reference marking, §7.3.3. */
export interface SliceHeader {
  readonly nalType: NalType;
  readonly nalRefIdc: number;
  readonly idr: boolean;
  readonly firstMbInSlice: number;
  readonly sliceType: SliceType;
  readonly ppsId: number;
  readonly spsId: number;
  readonly frameNum: number;
  readonly fieldPic: boolean;
  readonly bottomField: boolean;
  readonly idrPicId: number;
  readonly picOrderCntLsb: number;
  readonly deltaPicOrderCntBottom: number;
  readonly deltaPicOrderCnt0: number;
  readonly deltaPicOrderCnt1: number;
  readonly redundantPicCnt: number;
  /** memory_management_control_operation 5 present (§7.4.3.3): resets frame_num and POC like an IDR. */
  readonly mmco5: boolean;
}

export interface ParameterSetLookup {
  pps(id: number): Pps | undefined;
  sps(id: number): Sps | undefined;
}

/** Thrown when the slice refers to a parameter set that has not been seen. */
export class MissingParameterSetError extends Error {
  override readonly name = 'MissingParameterSetError';
}

/** Parses a slice header from the first bytes of a slice NAL unit (header byte included). */
export function parseSliceHeader(
  head: Uint8Array,
  sets: ParameterSetLookup,
  /** false: stop after redundant_pic_cnt (enough for access-unit detection on a partial unit). */
  marking = true,
): SliceHeader {
  const nalType = (head[0] as number) & 0x1f;
  const nalRefIdc = ((head[0] as number) >> 5) & 3;
  const idr = nalType === (NalType.SliceIdr as number);
  const r = new BitReader(unescapeRbsp(head, head.length).subarray(1));
  const firstMbInSlice = r.ue();
  const rawSliceType = r.ue();
  if (rawSliceType > 9) throw new RangeError('slice_type out of range');
  const sliceType = (rawSliceType % 5) as SliceType;
  const ppsId = r.ue();
  const pps = sets.pps(ppsId);
  if (!pps)
    throw new MissingParameterSetError(`slice refers to PPS ${ppsId}, which has not been received`);
  const sps = sets.sps(pps.spsId);
  if (!sps)
    throw new MissingParameterSetError(
      `PPS ${ppsId} refers to SPS ${pps.spsId}, which has not been received`,
    );
  const fields = readPictureFields(r, sps, pps, idr);
  let mmco5 = false;
  if (marking && nalRefIdc !== 0) {
    try {
      mmco5 = readRefListsAndMarking(r, sliceType, pps, sps, nalType, nalRefIdc).mmco5;
    } catch (error) {
      // A header longer than the parsing window: the fields above are still right.
      if (!(error instanceof EndOfDataError)) throw error;
    }
  }
  return {
    nalType,
    nalRefIdc,
    idr,
    firstMbInSlice,
    sliceType,
    ppsId,
    spsId: sps.id,
    ...fields,
    mmco5,
  };
}

/** The slice header fields from colour_plane_id to redundant_pic_cnt (§7.3.3). */
export interface PictureFields {
  readonly frameNum: number;
  readonly fieldPic: boolean;
  readonly bottomField: boolean;
  readonly idrPicId: number;
  readonly picOrderCntLsb: number;
  readonly deltaPicOrderCntBottom: number;
  readonly deltaPicOrderCnt0: number;
  readonly deltaPicOrderCnt1: number;
  readonly redundantPicCnt: number;
}

/** Reads slice_header() from colour_plane_id to redundant_pic_cnt (after pic_parameter_set_id), §7.3.3. */
export function readPictureFields(r: BitReader, sps: Sps, pps: Pps, idr: boolean): PictureFields {
  if (sps.separateColourPlane) r.skip(2); // colour_plane_id
  const frameNum = r.bits(sps.log2MaxFrameNum);
  let fieldPic = false;
  let bottomField = false;
  if (!sps.frameMbsOnly) {
    fieldPic = r.flag();
    if (fieldPic) bottomField = r.flag();
  }
  const idrPicId = idr ? r.ue() : 0;
  let picOrderCntLsb = 0;
  let deltaPicOrderCntBottom = 0;
  let deltaPicOrderCnt0 = 0;
  let deltaPicOrderCnt1 = 0;
  if (sps.picOrderCntType === 0) {
    picOrderCntLsb = r.bits(sps.log2MaxPocLsb);
    if (pps.bottomFieldPicOrderInFramePresent && !fieldPic) deltaPicOrderCntBottom = r.se();
  }
  if (sps.picOrderCntType === 1 && !sps.deltaPicOrderAlwaysZero) {
    deltaPicOrderCnt0 = r.se();
    if (pps.bottomFieldPicOrderInFramePresent && !fieldPic) deltaPicOrderCnt1 = r.se();
  }
  const redundantPicCnt = pps.redundantPicCntPresent ? r.ue() : 0;
  return {
    frameNum,
    fieldPic,
    bottomField,
    idrPicId,
    picOrderCntLsb,
    deltaPicOrderCntBottom,
    deltaPicOrderCnt0,
    deltaPicOrderCnt1,
    redundantPicCnt,
  };
}

/** One memory_management_control_operation with its arguments, §7.3.3.3. */
export interface MarkingOperation {
  readonly op: number;
  /** difference_of_pic_nums_minus1 (ops 1, 3). */
  readonly differenceOfPicNumsMinus1?: number;
  /** long_term_pic_num (op 2). */
  readonly longTermPicNum?: number;
  /** long_term_frame_idx (ops 3, 6). */
  readonly longTermFrameIdx?: number;
  /** max_long_term_frame_idx_plus1 (op 4). */
  readonly maxLongTermFrameIdxPlus1?: number;
}

/** What slice_header() says between redundant_pic_cnt and the entropy-coding fields. */
export interface RefListsAndMarking {
  readonly numRefIdxL0: number;
  readonly numRefIdxL1: number;
  /** memory_management_control_operation 5 present. */
  readonly mmco5: boolean;
  /**
   * dec_ref_pic_marking() of a non-IDR reference picture in adaptive mode: its operations (without the
   * terminating 0) and where it lies in the reader's bits (adaptive_ref_pic_marking_mode_flag included).
   */
  readonly adaptiveMarking?: {
    readonly operations: readonly MarkingOperation[];
    readonly startBit: number;
    readonly endBit: number;
  };
}

/**
 * Reads slice_header() from direct_spatial_mv_pred_flag through dec_ref_pic_marking(): reference
 * counts, ref_pic_list_modification() (§7.3.3.1), pred_weight_table() (§7.3.3.2) and the marking
 * (§7.3.3.3, only in reference pictures).
 */
export function readRefListsAndMarking(
  r: BitReader,
  sliceType: SliceType,
  pps: Pps,
  sps: Sps,
  nalType: number,
  nalRefIdc: number,
): RefListsAndMarking {
  const isB = sliceType === SliceType.B;
  const isP = sliceType === SliceType.P || sliceType === SliceType.SP;
  if (isB) r.skip(1); // direct_spatial_mv_pred_flag
  let numRefIdxL0 = pps.numRefIdxL0DefaultActive;
  let numRefIdxL1 = pps.numRefIdxL1DefaultActive;
  if ((isP || isB) && r.flag()) {
    // num_ref_idx_active_override_flag
    numRefIdxL0 = r.ue() + 1;
    if (isB) numRefIdxL1 = r.ue() + 1;
  }
  if (numRefIdxL0 > 32 || numRefIdxL1 > 32) throw new RangeError('num_ref_idx_active out of range');
  if (sliceType !== SliceType.I && sliceType !== SliceType.SI) {
    skipRefPicListModification(r);
    if (isB) skipRefPicListModification(r);
  }
  if ((pps.weightedPredFlag && isP) || (pps.weightedBipredIdc === 1 && isB)) {
    const chromaArrayType = sps.separateColourPlane ? 0 : sps.chromaFormatIdc;
    r.ue(); // luma_log2_weight_denom
    if (chromaArrayType !== 0) r.ue(); // chroma_log2_weight_denom
    skipWeights(r, numRefIdxL0, chromaArrayType !== 0);
    if (isB) skipWeights(r, numRefIdxL1, chromaArrayType !== 0);
  }
  let mmco5 = false;
  let adaptiveMarking: RefListsAndMarking['adaptiveMarking'];
  if (nalRefIdc !== 0) {
    const startBit = r.bitOffset;
    if (nalType === (NalType.SliceIdr as number)) {
      r.skip(2); // no_output_of_prior_pics_flag, long_term_reference_flag
    } else if (r.flag()) {
      // adaptive_ref_pic_marking_mode_flag
      const operations: MarkingOperation[] = [];
      for (let n = 0; ; n++) {
        if (n > 100) throw new RangeError('too many memory_management_control_operations');
        const op = r.ue();
        if (op === 0) break;
        if (op > 6) throw new RangeError('memory_management_control_operation out of range');
        operations.push({
          op,
          ...(op === 1 || op === 3 ? { differenceOfPicNumsMinus1: r.ue() } : {}),
          ...(op === 2 ? { longTermPicNum: r.ue() } : {}),
          ...(op === 3 || op === 6 ? { longTermFrameIdx: r.ue() } : {}),
          ...(op === 4 ? { maxLongTermFrameIdxPlus1: r.ue() } : {}),
        });
        if (op === 5) mmco5 = true;
      }
      adaptiveMarking = { operations, startBit, endBit: r.bitOffset };
    }
  }
  return { numRefIdxL0, numRefIdxL1, mmco5, ...(adaptiveMarking ? { adaptiveMarking } : {}) };
}

function skipRefPicListModification(r: BitReader): void {
  if (!r.flag()) return;
  for (let n = 0; n < 100; n++) {
    const idc = r.ue();
    if (idc === 3) return;
    if (idc > 5) throw new RangeError('modification_of_pic_nums_idc out of range');
    r.ue(); // abs_diff_pic_num_minus1 / long_term_pic_num / abs_diff_view_idx_minus1
  }
  throw new RangeError('ref_pic_list_modification does not end');
}

function skipWeights(r: BitReader, count: number, chroma: boolean): void {
  for (let i = 0; i < count; i++) {
    if (r.flag()) {
      r.se(); // luma_weight
      r.se(); // luma_offset
    }
    if (chroma && r.flag()) {
      r.se();
      r.se();
      r.se();
      r.se();
    }
  }
}
