import type { Pps } from './pps.js';
import { MAX_DPB_MBS, type Sps } from './sps.js';

/**
 * Range checks of SPS and PPS fields (§7.4.2.1.1, §7.4.2.2, §E.2.1), so that a parameter set no decoder
 * may accept is skipped instead of being written into an init segment that decoders then refuse.
 *
 * What a level allows is judged against the most permissive level (6.2), not the one the SPS declares:
 * encoders often write too low a level, and ffmpeg and Chromium play such streams (a 640x480 picture at
 * level 1, 16 reference frames at 64x48 and level 1: both decode). Past every level, or outside a
 * field's range, both refuse the stream (e.g. max_num_ref_frames 17, max_num_reorder_frames 17,
 * chroma_qp_index_offset 13, bit depth 15). Relations between VUI bitstream_restriction values
 * (max_num_reorder_frames <= max_dec_frame_buffering, max_dec_frame_buffering >= max_num_ref_frames) are
 * hints both decoders tolerate: not checked.
 */

/** A field of a parameter set outside the range the spec allows at any level. */
export class OutOfRangeError extends RangeError {
  constructor(
    readonly field: string,
    readonly value: number,
    readonly allowed: string,
  ) {
    super(`${field} ${value} is outside ${allowed}`);
  }
}

/** Table A-1, level 6.2: the largest frame (MaxFS) and decoded picture buffer (MaxDpbMbs) of any level. */
const MAX_FS = 139_264;
const MAX_DPB_MBS_ANY_LEVEL = MAX_DPB_MBS.get(62) as number;
/** §A.3.1 items f and g: PicWidthInMbs and FrameHeightInMbs <= Sqrt(MaxFS * 8). */
const MAX_DIMENSION_MBS = Math.floor(Math.sqrt(MAX_FS * 8));
const INT32_MAX = 2 ** 31 - 1;

function check(field: string, value: number, min: number, max: number): void {
  if (!(value >= min && value <= max)) throw new OutOfRangeError(field, value, `${min}..${max}`);
}

/** Throws OutOfRangeError for the first field of `sps` outside its range. */
export function validateSps(sps: Sps): void {
  check('bit_depth_luma_minus8', sps.bitDepthLuma - 8, 0, 6);
  check('bit_depth_chroma_minus8', sps.bitDepthChroma - 8, 0, 6);
  check('log2_max_frame_num_minus4', sps.log2MaxFrameNum - 4, 0, 12);
  if (sps.picOrderCntType === 0)
    check('log2_max_pic_order_cnt_lsb_minus4', sps.log2MaxPocLsb - 4, 0, 12);
  check('offset_for_non_ref_pic', sps.offsetForNonRefPic, -INT32_MAX, INT32_MAX);
  check('offset_for_top_to_bottom_field', sps.offsetForTopToBottomField, -INT32_MAX, INT32_MAX);
  for (const offset of sps.offsetForRefFrame)
    check('offset_for_ref_frame', offset, -INT32_MAX, INT32_MAX);
  const frameHeightInMbs = sps.picHeightInMapUnits * (sps.frameMbsOnly ? 1 : 2);
  check('pic_width_in_mbs_minus1', sps.picWidthInMbs - 1, 0, MAX_DIMENSION_MBS - 1);
  check('FrameHeightInMbs', frameHeightInMbs, 1, MAX_DIMENSION_MBS);
  const frameMbs = sps.picWidthInMbs * frameHeightInMbs;
  check('PicWidthInMbs * FrameHeightInMbs', frameMbs, 1, MAX_FS);
  // MaxDpbFrames, §A.3.1 item h / §A.3.2 item f, at level 6.2.
  const maxDpbFrames = Math.min(Math.floor(MAX_DPB_MBS_ANY_LEVEL / frameMbs), 16);
  check('max_num_ref_frames', sps.maxNumRefFrames, 0, maxDpbFrames);
  const vui = sps.vui;
  if (vui?.maxNumReorderFrames !== undefined)
    check('max_num_reorder_frames', vui.maxNumReorderFrames, 0, maxDpbFrames);
  if (vui?.maxDecFrameBuffering !== undefined)
    check('max_dec_frame_buffering', vui.maxDecFrameBuffering, 0, maxDpbFrames);
}

/**
 * Throws OutOfRangeError for the first field of `pps` outside its range. The ranges that depend on the SPS
 * (QpBdOffsetY, the map units of slice groups) are checked against `sps` when it is known, else against
 * the widest any SPS allows.
 */
export function validatePps(pps: Pps, sps: Sps | undefined): void {
  check('weighted_bipred_idc', pps.weightedBipredIdc, 0, 2);
  // QpBdOffsetY = 6 * bit_depth_luma_minus8 (§7.4.2.1.1), at most 36.
  const qpBdOffsetY = 6 * ((sps?.bitDepthLuma ?? 14) - 8);
  check('pic_init_qp_minus26', pps.picInitQpMinus26, -(26 + qpBdOffsetY), 25);
  check('pic_init_qs_minus26', pps.picInitQsMinus26, -26, 25);
  check('chroma_qp_index_offset', pps.chromaQpIndexOffset, -12, 12);
  if (pps.secondChromaQpIndexOffset !== undefined)
    check('second_chroma_qp_index_offset', pps.secondChromaQpIndexOffset, -12, 12);
  if (sps && pps.sliceGroupMaxMapUnit >= 0) {
    const mapUnits = sps.picWidthInMbs * sps.picHeightInMapUnits; // PicSizeInMapUnits
    check('slice group map unit', pps.sliceGroupMaxMapUnit, 0, mapUnits - 1);
  }
}
