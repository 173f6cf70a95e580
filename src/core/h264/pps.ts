import { BitReader, unescapeRbsp } from '../bytes/bit-reader.js';
import { skipScalingList } from './sps.js';
import { OutOfRangeError } from './validate.js';

/**
 * Picture parameter set: the fields slice headers and slice data depend on, and those validation checks,
 * H.264 §7.3.2.2.
 */
export interface Pps {
  readonly id: number;
  readonly spsId: number;
  readonly entropyCodingModeFlag: boolean;
  readonly bottomFieldPicOrderInFramePresent: boolean;
  readonly numSliceGroups: number;
  /** The largest map unit a slice group map names (run lengths, rectangles, change rate, map size); -1: none. */
  readonly sliceGroupMaxMapUnit: number;
  readonly numRefIdxL0DefaultActive: number;
  readonly numRefIdxL1DefaultActive: number;
  readonly weightedPredFlag: boolean;
  readonly weightedBipredIdc: number;
  readonly picInitQpMinus26: number;
  readonly picInitQsMinus26: number;
  readonly chromaQpIndexOffset: number;
  readonly deblockingFilterControlPresent: boolean;
  readonly redundantPicCntPresent: boolean;
  /** transform_8x8_mode_flag (0 when the PPS ends before it). */
  readonly transform8x8Mode: boolean;
  /** As chroma_qp_index_offset when absent; undefined when the PPS was read without its SPS. */
  readonly secondChromaQpIndexOffset: number | undefined;
}

/**
 * Parses a PPS NAL unit (header byte included). Throws on a short or malformed unit. The fields after
 * redundant_pic_cnt_present_flag depend on the SPS's chroma_format_idc: they are read only when it is given.
 */
export function parsePps(nal: Uint8Array, chromaFormatIdc?: number): Pps {
  const r = new BitReader(unescapeRbsp(nal).subarray(1));
  const id = r.ue();
  const spsId = r.ue();
  if (id > 255 || spsId > 31) throw new RangeError('parameter set id out of range');
  const entropyCodingModeFlag = r.flag();
  const bottomFieldPicOrderInFramePresent = r.flag();
  const numSliceGroups = r.ue() + 1;
  if (numSliceGroups > 8) throw new RangeError('num_slice_groups_minus1 out of range');
  let sliceGroupMaxMapUnit = -1;
  const mapUnit = (value: number): void => {
    sliceGroupMaxMapUnit = Math.max(sliceGroupMaxMapUnit, value);
  };
  if (numSliceGroups > 1) {
    const mapType = r.ue();
    if (mapType > 6) throw new OutOfRangeError('slice_group_map_type', mapType, '0..6');
    if (mapType === 0) {
      for (let i = 0; i < numSliceGroups; i++) mapUnit(r.ue()); // run_length_minus1
    } else if (mapType === 2) {
      for (let i = 0; i < numSliceGroups - 1; i++) {
        const topLeft = r.ue();
        const bottomRight = r.ue();
        if (topLeft > bottomRight)
          throw new OutOfRangeError('top_left', topLeft, '0..bottom_right');
        mapUnit(bottomRight);
      }
    } else if (mapType >= 3 && mapType <= 5) {
      r.skip(1); // slice_group_change_direction_flag
      mapUnit(r.ue()); // slice_group_change_rate_minus1
    } else if (mapType === 6) {
      const units = r.ue() + 1; // pic_size_in_map_units_minus1 + 1
      mapUnit(units - 1);
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
  const picInitQpMinus26 = r.se();
  const picInitQsMinus26 = r.se();
  const chromaQpIndexOffset = r.se();
  const deblockingFilterControlPresent = r.flag();
  r.skip(1); // constrained_intra_pred_flag
  const redundantPicCntPresent = r.flag();
  // transform_8x8_mode_flag is the first field after more_rbsp_data() (High profiles).
  const more = r.moreRbspData();
  const transform8x8Mode = more && r.flag();
  let secondChromaQpIndexOffset: number | undefined = chromaQpIndexOffset;
  if (chromaFormatIdc === undefined) secondChromaQpIndexOffset = undefined;
  else if (more) {
    if (r.flag()) {
      // pic_scaling_matrix_present_flag: 6 lists of 4x4, and 2 (6 for 4:4:4) of 8x8 with the 8x8 transform.
      const lists = 6 + (transform8x8Mode ? (chromaFormatIdc === 3 ? 6 : 2) : 0);
      for (let i = 0; i < lists; i++) {
        if (r.flag()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
    secondChromaQpIndexOffset = r.se();
  }
  return {
    id,
    spsId,
    entropyCodingModeFlag,
    bottomFieldPicOrderInFramePresent,
    numSliceGroups,
    sliceGroupMaxMapUnit,
    numRefIdxL0DefaultActive,
    numRefIdxL1DefaultActive,
    weightedPredFlag,
    weightedBipredIdc,
    picInitQpMinus26,
    picInitQsMinus26,
    chromaQpIndexOffset,
    deblockingFilterControlPresent,
    redundantPicCntPresent,
    transform8x8Mode,
    secondChromaQpIndexOffset,
  };
}

/** The pps id of a PPS unit without parsing the rest (to store it even when its SPS is not known yet). */
export function peekPpsIds(nal: Uint8Array): { id: number; spsId: number } {
  const r = new BitReader(unescapeRbsp(nal, 16).subarray(1));
  return { id: r.ue(), spsId: r.ue() };
}
