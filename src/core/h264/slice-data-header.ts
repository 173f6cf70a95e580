import type { BitReader } from '../bytes/bit-reader.js';
import type { Pps } from './pps.js';
import type { Sps } from './sps.js';
import { readPictureFields, readRefListsAndMarking, SliceType } from './slice.js';
import type { RefListsAndMarking } from './slice.js';

/** The slice header fields the slice data syntax depends on, §7.3.3. */
export interface FullSliceHeader {
  readonly firstMbInSlice: number;
  /** slice_type % 5 (0 P, 1 B, 2 I, 3 SP, 4 SI). */
  readonly sliceType: number;
  readonly fieldPic: boolean;
  readonly bottomField: boolean;
  readonly numRefIdxL0: number;
  readonly numRefIdxL1: number;
  readonly cabacInitIdc: number;
  readonly sliceQp: number;
  readonly frameNum: number;
  /** dec_ref_pic_marking() in adaptive mode, with its position in the reader's bits. */
  readonly adaptiveMarking: RefListsAndMarking['adaptiveMarking'];
}

/**
 * Parses slice_header() (§7.3.3) from `r` (positioned after the NAL header byte) and leaves `r` at the start of
 * slice_data().
 */
export function parseFullSliceHeader(
  r: BitReader,
  nalType: number,
  nalRefIdc: number,
  sps: Sps,
  pps: Pps,
): FullSliceHeader {
  const firstMbInSlice = r.ue();
  const rawType = r.ue();
  if (rawType > 9) throw new RangeError('slice_type out of range');
  const sliceType = (rawType % 5) as SliceType;
  r.ue(); // pic_parameter_set_id
  const { frameNum, fieldPic, bottomField } = readPictureFields(r, sps, pps, nalType === 5);
  const { numRefIdxL0, numRefIdxL1, adaptiveMarking } = readRefListsAndMarking(
    r,
    sliceType,
    pps,
    sps,
    nalType,
    nalRefIdc,
  );
  let cabacInitIdc = 0;
  if (pps.entropyCodingModeFlag && sliceType !== SliceType.I && sliceType !== SliceType.SI) {
    cabacInitIdc = r.ue();
    if (cabacInitIdc > 2) throw new RangeError('cabac_init_idc out of range');
  }
  const sliceQp = 26 + pps.picInitQpMinus26 + r.se(); // slice_qp_delta
  if (sliceType === SliceType.SP || sliceType === SliceType.SI) {
    if (sliceType === SliceType.SP) r.skip(1); // sp_for_switch_flag
    r.se(); // slice_qs_delta
  }
  if (pps.deblockingFilterControlPresent) {
    const idc = r.ue(); // disable_deblocking_filter_idc
    if (idc !== 1) {
      r.se(); // slice_alpha_c0_offset_div2
      r.se(); // slice_beta_offset_div2
    }
  }
  return {
    firstMbInSlice,
    sliceType,
    fieldPic,
    bottomField,
    numRefIdxL0,
    numRefIdxL1,
    cabacInitIdc,
    sliceQp,
    frameNum,
    adaptiveMarking,
  };
}
