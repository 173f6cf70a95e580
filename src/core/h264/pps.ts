import { BitReader, unescapeRbsp } from '../bytes/bit-reader.js';

/** Picture parameter set: the fields slice headers depend on, H.264 §7.3.2.2. */
export interface Pps {
  readonly id: number;
  readonly spsId: number;
  readonly entropyCodingModeFlag: boolean;
  readonly bottomFieldPicOrderInFramePresent: boolean;
  readonly numSliceGroups: number;
  readonly numRefIdxL0DefaultActive: number;
  readonly numRefIdxL1DefaultActive: number;
  readonly weightedPredFlag: boolean;
  readonly weightedBipredIdc: number;
  readonly redundantPicCntPresent: boolean;
}

/** Parses a PPS NAL unit (header byte included). Throws on a short or malformed unit. */
export function parsePps(nal: Uint8Array): Pps {
  const r = new BitReader(unescapeRbsp(nal).subarray(1));
  const id = r.ue();
  const spsId = r.ue();
  if (id > 255 || spsId > 31) throw new RangeError('parameter set id out of range');
  const entropyCodingModeFlag = r.flag();
  const bottomFieldPicOrderInFramePresent = r.flag();
  const numSliceGroups = r.ue() + 1;
  if (numSliceGroups > 8) throw new RangeError('num_slice_groups_minus1 out of range');
  if (numSliceGroups > 1) {
    const mapType = r.ue();
    if (mapType === 0) {
      for (let i = 0; i < numSliceGroups; i++) r.ue(); // run_length_minus1
    } else if (mapType === 2) {
      for (let i = 0; i < numSliceGroups - 1; i++) {
        r.ue(); // top_left
        r.ue(); // bottom_right
      }
    } else if (mapType >= 3 && mapType <= 5) {
      r.skip(1); // slice_group_change_direction_flag
      r.ue(); // slice_group_change_rate_minus1
    } else if (mapType === 6) {
      const units = r.ue() + 1;
      const bits = Math.ceil(Math.log2(numSliceGroups));
      r.skip(units * bits); // slice_group_id[]
    }
  }
  const numRefIdxL0DefaultActive = r.ue() + 1;
  const numRefIdxL1DefaultActive = r.ue() + 1;
  if (numRefIdxL0DefaultActive > 32 || numRefIdxL1DefaultActive > 32) {
    throw new RangeError('num_ref_idx_default_active out of range');
  }
  const weightedPredFlag = r.flag();
  const weightedBipredIdc = r.bits(2);
  r.se(); // pic_init_qp_minus26
  r.se(); // pic_init_qs_minus26
  r.se(); // chroma_qp_index_offset
  r.skip(1); // deblocking_filter_control_present_flag
  r.skip(1); // constrained_intra_pred_flag
  const redundantPicCntPresent = r.flag();
  return {
    id,
    spsId,
    entropyCodingModeFlag,
    bottomFieldPicOrderInFramePresent,
    numSliceGroups,
    numRefIdxL0DefaultActive,
    numRefIdxL1DefaultActive,
    weightedPredFlag,
    weightedBipredIdc,
    redundantPicCntPresent,
  };
}

/** The pps id of a PPS unit without parsing the rest (to store it even when its SPS is not known yet). */
export function peekPpsIds(nal: Uint8Array): { id: number; spsId: number } {
  const r = new BitReader(unescapeRbsp(nal, 16).subarray(1));
  return { id: r.ue(), spsId: r.ue() };
}
