/**
 * A start picture for a decoder that cannot start at a recovery point: a mid-gray IDR picture of the
 * stream's size, under the stream's SPS and a PPS of its own.
 *
 * A stream with periodic intra refresh (x264 `--intra-refresh`, many low-latency encoders) has one IDR
 * picture, at its very start; a viewer who joins later starts at a recovery point (§D.2.8), a P picture.
 * Chromium's WebCodecs decoder takes only an IDR picture as the first chunk after configure() ("marked as
 * type key but wasn't a key frame"). Decoded after this picture, the P pictures that follow refer to it in
 * place of the pictures the viewer never had, and the refresh paints the real picture over it in the
 * refresh period, as a decoder joining such a broadcast shows it.
 *
 * The picture is one CAVLC slice (its own PPS: the stream's may be CABAC) of I_16x16 macroblocks
 * predicted DC from no neighbours, with no residual: every sample is 1 << (BitDepth - 1) (§8.3.3.3).
 */
import { BitWriter, escapeRbsp } from '../bytes/bit-writer.js';
import { NalType } from './nal.js';
import type { Sps } from './sps.js';

export interface GrayIdr {
  /** The PPS NAL unit (header byte included, escaped). */
  readonly pps: Uint8Array;
  /** The IDR slice NAL unit (header byte included, escaped). */
  readonly slice: Uint8Array;
}

/**
 * The picture for `sps`, its PPS numbered with the highest id not in `usedPpsIds` (the stream's);
 * undefined where this writer does not cover the SPS: field or MBAFF coding, 4:4:4 or separate colour
 * planes.
 */
export function grayIdr(sps: Sps, usedPpsIds: Iterable<number>): GrayIdr | undefined {
  if (!sps.frameMbsOnly || sps.separateColourPlane || sps.chromaFormatIdc > 2) return undefined;
  const used = new Set(usedPpsIds);
  let ppsId = 255; // §7.4.2.2: 0..255
  while (used.has(ppsId)) ppsId--;
  // §7.3.2.2 pic_parameter_set_rbsp
  const pps = new BitWriter()
    .ue(ppsId)
    .ue(sps.id)
    .u(1, 0) // entropy_coding_mode_flag: CAVLC
    .u(1, 0) // bottom_field_pic_order_in_frame_present_flag
    .ue(0) // num_slice_groups_minus1
    .ue(0) // num_ref_idx_l0_default_active_minus1
    .ue(0) // num_ref_idx_l1_default_active_minus1
    .u(1, 0) // weighted_pred_flag
    .u(2, 0) // weighted_bipred_idc
    .se(0) // pic_init_qp_minus26
    .se(0) // pic_init_qs_minus26
    .se(0) // chroma_qp_index_offset
    .u(1, 1) // deblocking_filter_control_present_flag
    .u(1, 0) // constrained_intra_pred_flag
    .u(1, 0) // redundant_pic_cnt_present_flag
    .finish();
  // §7.3.3 slice_header, an IDR I slice covering the picture.
  const w = new BitWriter()
    .ue(0) // first_mb_in_slice
    .ue(7) // slice_type: I, every slice of the picture
    .ue(ppsId)
    .u(sps.log2MaxFrameNum, 0) // frame_num
    .ue(0); // idr_pic_id
  if (sps.picOrderCntType === 0) w.u(sps.log2MaxPocLsb, 0);
  else if (sps.picOrderCntType === 1 && !sps.deltaPicOrderAlwaysZero) w.se(0);
  w.u(1, 0) // dec_ref_pic_marking: no_output_of_prior_pics_flag
    .u(1, 0) // long_term_reference_flag
    .se(0) // slice_qp_delta
    .ue(1); // disable_deblocking_filter_idc: off (nothing to filter)
  // §7.3.4 slice_data, §7.3.5 macroblock_layer: I_16x16_2_0_0 (mb_type 3: DC prediction, no coded
  // blocks), intra_chroma_pred_mode DC, mb_qp_delta 0, and the Intra16x16DCLevel block's coeff_token for
  // no coefficients with nC 0 (§9.2.1, Table 9-5: '1'); the neighbours have none either.
  const macroblocks = sps.picWidthInMbs * sps.picHeightInMapUnits;
  for (let mb = 0; mb < macroblocks; mb++) {
    w.ue(3);
    if (sps.chromaFormatIdc !== 0) w.ue(0);
    w.se(0).u(1, 1);
  }
  const slice = w.finish();
  return {
    pps: nal(NalType.Pps, pps),
    slice: nal(NalType.SliceIdr, slice),
  };
}

/** The NAL unit of type `type` with nal_ref_idc 3 carrying `rbsp`. */
function nal(type: NalType, rbsp: Uint8Array): Uint8Array {
  const payload = escapeRbsp(rbsp);
  const out = new Uint8Array(1 + payload.length);
  out[0] = 0x60 | type;
  out.set(payload, 1);
  return out;
}
