/**
 * Pictures the player's transmuxer adds to a stream that has no IDR picture where a decoder needs one
 * (periodic intra refresh, x264 `--intra-refresh` and many low-latency encoders: one IDR picture, at the
 * very start, then recovery points on P pictures, §D.2.8). Both are written under the stream's SPS and a
 * PPS of their own (CAVLC, one slice: the stream's PPS may be CABAC).
 *
 * - The start picture (`grayIdr`), for a decoder that starts at such a recovery point: a mid-gray IDR
 *   picture of the stream's size. Chromium's WebCodecs decoder takes only an IDR picture as the first
 *   chunk after configure() ("marked as type key but wasn't a key frame"). Decoded after it, the P
 *   pictures that follow refer to it in place of the pictures the viewer never had, and the refresh
 *   paints the real picture over it in the refresh period, as a decoder joining such a broadcast shows
 *   it. One slice of I_16x16 macroblocks predicted DC from no neighbours, with no residual: every sample
 *   is 1 << (BitDepth - 1) (§8.3.3.3).
 * - The anchor (`anchorPicture`), a random access point for Chromium's MSE before such a recovery point,
 *   for a decoder that is already running (see there).
 */
import { BitWriter, escapeRbsp } from '../bytes/bit-writer.js';
import { NalType } from './nal.js';
import type { Sps } from './sps.js';

export interface AddedPicture {
  /** The PPS NAL unit (header byte included, escaped). */
  readonly pps: Uint8Array;
  /** An anchor's recovery point SEI NAL unit (header byte included), written between the two. */
  readonly sei?: Uint8Array;
  /** The slice NAL unit (header byte included, escaped). */
  readonly slice: Uint8Array;
}

/**
 * The anchor's SEI: a recovery point (§D.1.8, payloadType 6) with recovery_frame_cnt 0, exact_match_flag 0,
 * broken_link_flag 1 (decoded from it, the refresh period's pictures stand on pictures the decoder never had) and
 * changing_slice_group_idc 0, then the payload's alignment bits and rbsp_trailing_bits.
 */
const ANCHOR_SEI = Uint8Array.of(NalType.Sei, 6, 1, 0b1010_0100, 0x80);

/**
 * The start picture for `sps`, its PPS numbered with the highest id not in `usedPpsIds` (the stream's);
 * undefined where this writer does not cover the SPS: field or MBAFF coding, 4:4:4 or separate colour
 * planes.
 */
export function grayIdr(sps: Sps, usedPpsIds: Iterable<number>): AddedPicture | undefined {
  const ppsId = addedPpsId(sps, usedPpsIds);
  if (ppsId === undefined) return undefined;
  // §7.3.3 slice_header, an IDR I slice covering the picture (idr_pic_id 0, pic_order_cnt_lsb 0).
  const w = sliceHeaderHead(sps, ppsId, { sliceType: 7, frameNum: 0, idr: true, pocLsb: 0 })
    .u(1, 0) // dec_ref_pic_marking: no_output_of_prior_pics_flag
    .u(1, 0); // long_term_reference_flag
  return {
    pps: nal(3, NalType.Pps, addedPps(sps, ppsId)),
    slice: nal(3, NalType.SliceIdr, grayMacroblocks(w, sps)),
  };
}

/**
 * A random access point for an engine that takes few pictures as one, placed just before a recovery point
 * (periodic intra refresh), for a decoder that is already running: a P picture of P_Skip macroblocks that
 * is not a reference picture, so that it changes nothing a continuing decoder holds (§8.2.5: only
 * reference pictures are marked), the recovery point decodes as it would without it, and where the engine
 * shows its tick it shows the last reference picture again (a gray I picture here flashed in Chromium
 * once per anchor). Chromium's MSE takes a sync sample as a random access point only where it is an IDR
 * picture or has a recovery point SEI with recovery_frame_cnt 0 (media/formats/mp4/avc.cc), and a removal
 * takes every frame up to the next one (W3C MSE §3.5.9 "coded frame removal"): without such pictures,
 * trimming the buffer behind the playhead removed the whole buffer (a live intra-refresh camera stopped
 * after 5 s; a file jumped to its end). The anchor has that SEI.
 *
 * `recovery` is the recovery point's slice header: the anchor takes its frame_num (a non-reference picture
 * after the previous reference picture has PrevRefFrameNum + 1, §7.4.3, as the recovery point has when it
 * follows it) and, with pic_order_cnt_type 0, the lsb one below its own, so that it comes out just before
 * it (types 1 and 2 place a non-reference picture before the reference picture of the same frame_num,
 * §8.2.1.2-3).
 */
export function anchorPicture(
  sps: Sps,
  usedPpsIds: Iterable<number>,
  recovery: { readonly frameNum: number; readonly picOrderCntLsb: number },
): AddedPicture | undefined {
  const ppsId = addedPpsId(sps, usedPpsIds);
  if (ppsId === undefined) return undefined;
  // §7.3.3 slice_header of a P slice with nal_ref_idc 0 (no dec_ref_pic_marking), under the added pictures' PPS
  // (one reference index, no weighting, CAVLC).
  const maxLsb = 2 ** sps.log2MaxPocLsb;
  const w = sliceHeaderHead(sps, ppsId, {
    sliceType: 5,
    frameNum: recovery.frameNum,
    idr: false,
    pocLsb: (recovery.picOrderCntLsb + maxLsb - 1) % maxLsb,
  })
    .u(1, 0) // num_ref_idx_active_override_flag
    .u(1, 0) // ref_pic_list_modification_flag_l0
    .se(0) // slice_qp_delta
    .ue(1) // disable_deblocking_filter_idc: off (a copy has nothing to filter)
    // §7.3.4 slice_data (CAVLC): one mb_skip_run over the picture, then no more data. A P_Skip
    // macroblock copies the co-located block of RefPicList0[0] (its predicted motion is 0: §8.4.1.1,
    // the first has no neighbours, the others neighbours with motion 0).
    .ue(sps.picWidthInMbs * sps.picHeightInMapUnits);
  return {
    pps: nal(3, NalType.Pps, addedPps(sps, ppsId)),
    sei: ANCHOR_SEI,
    slice: nal(0, NalType.SliceNonIdr, w.finish()),
  };
}

/**
 * §7.3.3 slice_header from first_mb_in_slice to the picture order count fields, for one slice of
 * `sliceType` (5 P, 7 I: every slice of the picture) that covers the picture, under the added pictures'
 * PPS (no bottom field order in frame, so no delta_pic_order_cnt_bottom): idr_pic_id 0 where `idr`;
 * `pocLsb` with pic_order_cnt_type 0, delta_pic_order_cnt[0] 0 with type 1.
 */
function sliceHeaderHead(
  sps: Sps,
  ppsId: number,
  h: {
    readonly sliceType: number;
    readonly frameNum: number;
    readonly idr: boolean;
    readonly pocLsb: number;
  },
): BitWriter {
  const w = new BitWriter()
    .ue(0) // first_mb_in_slice
    .ue(h.sliceType)
    .ue(ppsId)
    .u(sps.log2MaxFrameNum, h.frameNum);
  if (h.idr) w.ue(0); // idr_pic_id
  if (sps.picOrderCntType === 0) w.u(sps.log2MaxPocLsb, h.pocLsb);
  else if (sps.picOrderCntType === 1 && !sps.deltaPicOrderAlwaysZero) w.se(0);
  return w;
}

/** The added pictures' PPS id, the highest not in use; undefined for an SPS they do not cover. */
function addedPpsId(sps: Sps, usedPpsIds: Iterable<number>): number | undefined {
  if (!sps.frameMbsOnly || sps.separateColourPlane || sps.chromaFormatIdc > 2) return undefined;
  const used = new Set(usedPpsIds);
  let ppsId = 255; // §7.4.2.2: 0..255
  while (used.has(ppsId)) ppsId--;
  return ppsId < 0 ? undefined : ppsId;
}

/** §7.3.2.2 pic_parameter_set_rbsp: CAVLC, one slice group, no reference indices, no weighting. */
function addedPps(sps: Sps, ppsId: number): Uint8Array {
  return new BitWriter()
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
}

/** The slice header's end and the slice data after `header` (written up to its QP), finished. */
function grayMacroblocks(header: BitWriter, sps: Sps): Uint8Array {
  header
    .se(0) // slice_qp_delta
    .ue(1); // disable_deblocking_filter_idc: off (nothing to filter)
  // §7.3.4 slice_data, §7.3.5 macroblock_layer: I_16x16_2_0_0 (mb_type 3: DC prediction, no coded
  // blocks), intra_chroma_pred_mode DC, mb_qp_delta 0, and the Intra16x16DCLevel block's coeff_token for
  // no coefficients with nC 0 (§9.2.1, Table 9-5: '1'); the neighbours have none either.
  const macroblocks = sps.picWidthInMbs * sps.picHeightInMapUnits;
  for (let mb = 0; mb < macroblocks; mb++) {
    header.ue(3);
    if (sps.chromaFormatIdc !== 0) header.ue(0);
    header.se(0).u(1, 1);
  }
  return header.finish();
}

/** The NAL unit of type `type` with nal_ref_idc `refIdc` carrying `rbsp`. */
function nal(refIdc: number, type: NalType, rbsp: Uint8Array): Uint8Array {
  const payload = escapeRbsp(rbsp);
  const out = new Uint8Array(1 + payload.length);
  out[0] = (refIdc << 5) | type;
  out.set(payload, 1);
  return out;
}
