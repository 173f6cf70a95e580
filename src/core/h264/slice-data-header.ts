import { BitReader, unescapeRbsp } from '../bytes/bit-reader.js';
import type { Pps } from './pps.js';
import type { Sps } from './sps.js';
import { readPictureFields, readRefListsAndMarking, SliceType } from './slice.js';

/** SPS fields the slice data depends on that `Sps` does not carry (§7.3.2.1.1). */
export interface SpsExtra {
  readonly direct8x8Inference: boolean;
}

/** PPS fields the slice data depends on that `Pps` does not carry (§7.3.2.2). */
export interface PpsExtra {
  readonly sliceGroupMapType: number;
  readonly picInitQp: number;
  readonly deblockingFilterControlPresent: boolean;
  readonly constrainedIntraPred: boolean;
  readonly transform8x8Mode: boolean;
}

const spsCache = new WeakMap<Uint8Array, SpsExtra>();
const ppsCache = new WeakMap<Uint8Array, PpsExtra>();

const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** scaling_list() syntax, §7.3.2.1.1.1. */
function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/** Reads seq_parameter_set_data() up to direct_8x8_inference_flag. */
export function spsExtra(bytes: Uint8Array): SpsExtra {
  const cached = spsCache.get(bytes);
  if (cached) return cached;
  const r = new BitReader(unescapeRbsp(bytes).subarray(1));
  const profileIdc = r.bits(8);
  r.skip(16); // constraint flags, level_idc
  r.ue(); // seq_parameter_set_id
  if (HIGH_PROFILES.has(profileIdc)) {
    const chromaFormatIdc = r.ue();
    if (chromaFormatIdc === 3) r.skip(1); // separate_colour_plane_flag
    r.ue(); // bit_depth_luma_minus8
    r.ue(); // bit_depth_chroma_minus8
    r.skip(1); // qpprime_y_zero_transform_bypass_flag
    if (r.flag()) {
      const lists = chromaFormatIdc === 3 ? 12 : 8;
      for (let i = 0; i < lists; i++) if (r.flag()) skipScalingList(r, i < 6 ? 16 : 64);
    }
  }
  r.ue(); // log2_max_frame_num_minus4
  const pocType = r.ue();
  if (pocType === 0) r.ue();
  else if (pocType === 1) {
    r.skip(1);
    r.se();
    r.se();
    const n = r.ue();
    if (n > 255) throw new RangeError('num_ref_frames_in_pic_order_cnt_cycle out of range');
    for (let i = 0; i < n; i++) r.se();
  }
  r.ue(); // max_num_ref_frames
  r.skip(1); // gaps_in_frame_num_value_allowed_flag
  r.ue(); // pic_width_in_mbs_minus1
  r.ue(); // pic_height_in_map_units_minus1
  if (!r.flag()) r.skip(1); // frame_mbs_only_flag, mb_adaptive_frame_field_flag
  const extra = { direct8x8Inference: r.flag() };
  spsCache.set(bytes, extra);
  return extra;
}

/** Reads pic_parameter_set_rbsp() for the fields of `PpsExtra`. */
export function ppsExtra(bytes: Uint8Array): PpsExtra {
  const cached = ppsCache.get(bytes);
  if (cached) return cached;
  const r = new BitReader(unescapeRbsp(bytes).subarray(1));
  r.ue(); // pic_parameter_set_id
  r.ue(); // seq_parameter_set_id
  r.skip(2); // entropy_coding_mode_flag, bottom_field_pic_order_in_frame_present_flag
  const numSliceGroups = r.ue() + 1;
  let sliceGroupMapType = 0;
  if (numSliceGroups > 1) {
    sliceGroupMapType = r.ue();
    if (sliceGroupMapType === 0) for (let i = 0; i < numSliceGroups; i++) r.ue();
    else if (sliceGroupMapType === 2)
      for (let i = 0; i < numSliceGroups - 1; i++) {
        r.ue();
        r.ue();
      }
    else if (sliceGroupMapType >= 3 && sliceGroupMapType <= 5) {
      r.skip(1);
      r.ue();
    } else if (sliceGroupMapType === 6) {
      const units = r.ue() + 1;
      r.skip(units * Math.ceil(Math.log2(numSliceGroups)));
    }
  }
  r.ue(); // num_ref_idx_l0_default_active_minus1
  r.ue(); // num_ref_idx_l1_default_active_minus1
  r.skip(3); // weighted_pred_flag, weighted_bipred_idc
  const picInitQp = 26 + r.se();
  r.se(); // pic_init_qs_minus26
  r.se(); // chroma_qp_index_offset
  const deblockingFilterControlPresent = r.flag();
  const constrainedIntraPred = r.flag();
  r.skip(1); // redundant_pic_cnt_present_flag
  // transform_8x8_mode_flag is the first field after more_rbsp_data() (High profiles).
  const transform8x8Mode = r.moreRbspData() ? r.flag() : false;
  const extra = {
    sliceGroupMapType,
    picInitQp,
    deblockingFilterControlPresent,
    constrainedIntraPred,
    transform8x8Mode,
  };
  ppsCache.set(bytes, extra);
  return extra;
}

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
  ppsX: PpsExtra,
): FullSliceHeader {
  const firstMbInSlice = r.ue();
  const rawType = r.ue();
  if (rawType > 9) throw new RangeError('slice_type out of range');
  const sliceType = (rawType % 5) as SliceType;
  r.ue(); // pic_parameter_set_id
  const { fieldPic, bottomField } = readPictureFields(r, sps, pps, nalType === 5);
  const { numRefIdxL0, numRefIdxL1 } = readRefListsAndMarking(
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
  const sliceQp = ppsX.picInitQp + r.se(); // slice_qp_delta
  if (sliceType === SliceType.SP || sliceType === SliceType.SI) {
    if (sliceType === SliceType.SP) r.skip(1); // sp_for_switch_flag
    r.se(); // slice_qs_delta
  }
  if (ppsX.deblockingFilterControlPresent) {
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
  };
}
