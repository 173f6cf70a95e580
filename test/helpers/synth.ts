// Hand-built H.264 streams for what no encoder here makes: field pictures (PAFF, §7.3.3
// field_pic_flag) mixed with frame pictures, I_PCM macroblocks (§7.3.5), all-skip P and B pictures,
// several SPS/PPS ids, MMCO 5. Written bit by bit from the syntax tables; ffmpeg decoding them
// cleanly is what proves them valid.
import { BitWriter, escapeRbsp } from '../../src/core/bytes/bit-writer.js';
import { concatBytes } from '../../src/core/bytes/concat.js';

/** A NAL unit with its 4-byte start code, emulation prevention applied (§7.4.1). */
export function nalUnit(type: number, refIdc: number, rbsp: Uint8Array): Uint8Array {
  return concatBytes([Uint8Array.of(0, 0, 0, 1, (refIdc << 5) | type), escapeRbsp(rbsp)]);
}

/**
 * 'fields': an I_PCM top field then a skipped P bottom field; 'bff': the same bottom field first;
 * 'nonref': two skipped non-reference P fields (a complementary non-reference field pair);
 * 'frame': an I_PCM frame picture.
 */
export type PictureKind = 'fields' | 'bff' | 'nonref' | 'frame';

export interface PaffOptions {
  /** Width in macroblocks. */
  readonly widthMbs: number;
  /** Height in field macroblock rows (a frame is twice as many MB rows). */
  readonly fieldHeightMbs: number;
  /** One entry per coded frame, in decoding order. The first must be 'fields' or 'bff' (its first field is the IDR). */
  readonly pictures: readonly PictureKind[];
  /** VUI frame rate (time_scale / (2 * num_units_in_tick)). */
  readonly fps: number;
}

const LOG2_MAX_FRAME_NUM = 4;
const LOG2_MAX_POC_LSB = 4; // pic_order_cnt_lsb wraps every 8 frames: the wrap is part of the test

interface SpsParams {
  readonly profileIdc: 77 | 100;
  /** constraint_set0..5 flags and reserved bits as one byte (default 0). */
  readonly constraintFlags?: number;
  /** High profile only: chroma_format_idc (default 1) and bit depths (default 8). */
  readonly chromaFormatIdc?: number;
  readonly bitDepthLuma?: number;
  readonly bitDepthChroma?: number;
  readonly levelIdc: number;
  readonly id: number;
  readonly log2MaxFrameNum: number;
  readonly pocType: 0 | 1 | 2;
  /** Type 0 only. */
  readonly log2MaxPocLsb: number;
  readonly maxRefs: number;
  readonly widthMbs: number;
  /** pic_height_in_map_units: macroblock rows of a frame, or of a field when not frameMbsOnly. */
  readonly heightMapUnits: number;
  readonly frameMbsOnly: boolean;
  /** VUI frame rate (time_scale / (2 * num_units_in_tick)). */
  readonly fps: number;
  /** Writes VUI bitstream_restriction with this max_num_reorder_frames; absent: none. */
  readonly maxNumReorderFrames?: number | undefined;
  /** bitstream_restriction's max_dec_frame_buffering (default: maxRefs). */
  readonly maxDecFrameBuffering?: number | undefined;
}

/** SPS fields a progressive stream may set to other values (for tests of out-of-range parameter sets). */
export type SpsOverrides = Partial<
  Pick<
    SpsParams,
    | 'constraintFlags'
    | 'levelIdc'
    | 'chromaFormatIdc'
    | 'bitDepthLuma'
    | 'bitDepthChroma'
    | 'log2MaxFrameNum'
    | 'log2MaxPocLsb'
    | 'maxRefs'
    | 'maxDecFrameBuffering'
  >
>;

/**
 * seq_parameter_set_rbsp() (§7.3.2.1.1) of 4:2:0 8-bit video without cropping or MBAFF, VUI with
 * timing only (and bitstream_restriction when asked). POC type 1 is a one-frame cycle of offset 2.
 */
function spsUnit(p: SpsParams): Uint8Array {
  const w = new BitWriter()
    .u(8, p.profileIdc)
    .u(8, p.constraintFlags ?? 0)
    .u(8, p.levelIdc)
    .ue(p.id);
  if (p.profileIdc === 100) {
    const chroma = p.chromaFormatIdc ?? 1;
    w.ue(chroma);
    if (chroma === 3) w.u(1, 0); // separate_colour_plane_flag
    w.ue((p.bitDepthLuma ?? 8) - 8)
      .ue((p.bitDepthChroma ?? 8) - 8)
      .u(1, 0) // qpprime_y_zero_transform_bypass_flag
      .u(1, 0); // seq_scaling_matrix_present_flag
  }
  w.ue(p.log2MaxFrameNum - 4).ue(p.pocType); // pic_order_cnt_type
  if (p.pocType === 0) w.ue(p.log2MaxPocLsb - 4);
  else if (p.pocType === 1) {
    w.u(1, 0) // delta_pic_order_always_zero_flag
      .se(0) // offset_for_non_ref_pic
      .se(0) // offset_for_top_to_bottom_field
      .ue(1) // num_ref_frames_in_pic_order_cnt_cycle
      .se(2); // offset_for_ref_frame[0]
  }
  w.ue(p.maxRefs)
    .u(1, 0) // gaps_in_frame_num_value_allowed_flag
    .ue(p.widthMbs - 1)
    .ue(p.heightMapUnits - 1)
    .u(1, p.frameMbsOnly ? 1 : 0);
  if (!p.frameMbsOnly) w.u(1, 0); // mb_adaptive_frame_field_flag
  w.u(1, 1) // direct_8x8_inference_flag
    .u(1, 0) // frame_cropping_flag
    .u(1, 1); // vui_parameters_present_flag
  // vui_parameters() (E.1.1)
  w.u(1, 0).u(1, 0).u(1, 0).u(1, 0); // aspect ratio, overscan, video signal, chroma loc
  w.u(1, 1)
    .u(32, 1)
    .u(32, 2 * p.fps)
    .u(1, 1); // timing_info: num_units_in_tick 1, time_scale, fixed
  w.u(1, 0).u(1, 0).u(1, 0); // nal/vcl HRD, pic_struct_present
  if (p.maxNumReorderFrames === undefined) w.u(1, 0);
  else {
    // bitstream_restriction
    w.u(1, 1).u(1, 1).ue(2).ue(1).ue(16).ue(16).ue(p.maxNumReorderFrames);
    w.ue(p.maxDecFrameBuffering ?? p.maxRefs);
  }
  return nalUnit(7, 3, w.finish());
}

/** PPS fields a progressive stream may set to other values (for tests of out-of-range parameter sets). */
export interface PpsOverrides {
  readonly numSliceGroupsMinus1?: number;
  /** Written when there are several slice groups; map type 0 gets run lengths of one map unit. */
  readonly sliceGroupMapType?: number;
  readonly numRefIdxL0DefaultActiveMinus1?: number;
  readonly weightedBipredIdc?: number;
  readonly picInitQpMinus26?: number;
  readonly picInitQsMinus26?: number;
  readonly chromaQpIndexOffset?: number;
  /** Writes the High-profile tail (no 8x8 transform, no scaling matrix) with this offset. */
  readonly secondChromaQpIndexOffset?: number;
}

/** CAVLC PPS, one reference index, deblocking control present (§7.3.2.2). */
function pps(id = 0, spsId = 0, chromaQpOffset = 0, o: PpsOverrides = {}): Uint8Array {
  const groups = o.numSliceGroupsMinus1 ?? 0;
  const w = new BitWriter()
    .ue(id) // pic_parameter_set_id
    .ue(spsId) // seq_parameter_set_id
    .u(1, 0) // entropy_coding_mode_flag: CAVLC
    .u(1, 0) // bottom_field_pic_order_in_frame_present_flag
    .ue(groups); // num_slice_groups_minus1
  if (groups > 0) {
    const mapType = o.sliceGroupMapType ?? 0;
    w.ue(mapType); // slice_group_map_type
    if (mapType === 0) for (let i = 0; i <= groups; i++) w.ue(0); // run_length_minus1
  }
  w.ue(o.numRefIdxL0DefaultActiveMinus1 ?? 0) // num_ref_idx_l0_default_active_minus1
    .ue(0) // num_ref_idx_l1_default_active_minus1
    .u(1, 0) // weighted_pred_flag
    .u(2, o.weightedBipredIdc ?? 0) // weighted_bipred_idc
    .se(o.picInitQpMinus26 ?? 0) // pic_init_qp_minus26
    .se(o.picInitQsMinus26 ?? 0) // pic_init_qs_minus26
    .se(o.chromaQpIndexOffset ?? chromaQpOffset) // chroma_qp_index_offset
    .u(1, 1) // deblocking_filter_control_present_flag
    .u(1, 0) // constrained_intra_pred_flag
    .u(1, 0); // redundant_pic_cnt_present_flag
  if (o.secondChromaQpIndexOffset !== undefined) {
    w.u(1, 0) // transform_8x8_mode_flag
      .u(1, 0) // pic_scaling_matrix_present_flag
      .se(o.secondChromaQpIndexOffset);
  }
  return nalUnit(8, 3, w.finish());
}

interface SliceSpec {
  readonly idr: boolean;
  /** nal_ref_idc != 0 */
  readonly ref: boolean;
  readonly intra: boolean;
  readonly frameNum: number;
  /** undefined: a frame picture; else the field's parity. */
  readonly bottom: boolean | undefined;
  readonly pocLsb: number;
}

/** slice_header() (§7.3.3) of a whole-picture slice. */
function sliceHeader(w: BitWriter, s: SliceSpec): void {
  w.ue(0) // first_mb_in_slice
    .ue(s.intra ? 7 : 5) // slice_type: I or P, all slices alike
    .ue(0) // pic_parameter_set_id
    .u(LOG2_MAX_FRAME_NUM, s.frameNum)
    .u(1, s.bottom === undefined ? 0 : 1); // field_pic_flag
  if (s.bottom !== undefined) w.u(1, s.bottom ? 1 : 0); // bottom_field_flag
  if (s.idr) w.ue(0); // idr_pic_id
  w.u(LOG2_MAX_POC_LSB, s.pocLsb);
  if (!s.intra) w.u(1, 0).u(1, 0); // num_ref_idx_active_override_flag, ref_pic_list_modification_flag_l0
  // dec_ref_pic_marking(), for reference pictures only
  if (s.idr)
    w.u(1, 0).u(1, 0); // no_output_of_prior_pics_flag, long_term_reference_flag
  else if (s.ref) w.u(1, 0); // adaptive_ref_pic_marking_mode_flag: sliding window
  w.se(0) // slice_qp_delta
    .ue(1); // disable_deblocking_filter_idc: off
}

/**
 * Macroblocks first..end - 1 as I_PCM (mb_type 25, pcm_alignment_zero_bits, 384 samples of 4:2:0):
 * a pattern that moves with `seed`, samples never 0.
 */
function pcmMacroblocks(
  w: BitWriter,
  first: number,
  end: number,
  widthMbs: number,
  seed: number,
): void {
  for (let mb = first; mb < end; mb++) {
    w.ue(25).align();
    const mx = mb % widthMbs;
    const my = Math.floor(mb / widthMbs);
    const luma = new Uint8Array(256);
    for (let i = 0; i < 256; i++) {
      const x = mx * 16 + (i % 16);
      const y = my * 16 + (i >> 4);
      luma[i] = 16 + ((x * 3 + y * 5 + seed * 37) % 200);
    }
    const chroma = new Uint8Array(128);
    for (let i = 0; i < 128; i++) chroma[i] = 64 + ((i + mb * 7 + seed * 29) % 128);
    w.bytesOut(luma).bytesOut(chroma);
  }
}

/** A slice of I_PCM macroblocks (mb_type 25, §7.3.5) with a picture that moves from frame to frame. */
function pcmSlice(s: SliceSpec, o: PaffOptions, seed: number): Uint8Array {
  const w = new BitWriter();
  sliceHeader(w, s);
  pcmMacroblocks(
    w,
    0,
    o.widthMbs * o.fieldHeightMbs * (s.bottom === undefined ? 2 : 1),
    o.widthMbs,
    seed,
  );
  return w.finish();
}

/** A P slice whose every macroblock is skipped (one mb_skip_run): a copy of reference index 0. */
function skipSlice(s: SliceSpec, o: PaffOptions): Uint8Array {
  const w = new BitWriter();
  sliceHeader(w, s);
  w.ue(o.widthMbs * o.fieldHeightMbs * (s.bottom === undefined ? 2 : 1)); // mb_skip_run
  return w.finish();
}

/**
 * A PAFF stream: SPS, PPS, then per coded frame either a top field (I_PCM; IDR for the first frame)
 * followed by a bottom field (P, all skipped), or an I_PCM frame picture. POC counts 2 per frame.
 */
export function paffStream(o: PaffOptions): Uint8Array {
  const units: Uint8Array[] = [
    spsUnit({
      profileIdc: 77,
      levelIdc: 30,
      id: 0,
      log2MaxFrameNum: LOG2_MAX_FRAME_NUM,
      pocType: 0,
      log2MaxPocLsb: LOG2_MAX_POC_LSB,
      maxRefs: 2,
      widthMbs: o.widthMbs,
      heightMapUnits: o.fieldHeightMbs,
      frameMbsOnly: false,
      fps: o.fps,
    }),
    pps(),
  ];
  const maxPoc = 1 << LOG2_MAX_POC_LSB;
  let frameNum = 0; // PrevRefFrameNum + 1 (§7.4.3): non-reference pictures do not advance it
  o.pictures.forEach((kind, n) => {
    const fn = frameNum % (1 << LOG2_MAX_FRAME_NUM);
    const poc = (2 * n) % maxPoc;
    const idr = n === 0;
    if (kind === 'frame') {
      const s = { idr, ref: true, intra: true, frameNum: fn, bottom: undefined, pocLsb: poc };
      units.push(nalUnit(idr ? 5 : 1, 2, pcmSlice(s, o, n)));
    } else if (kind === 'nonref') {
      for (const bottom of [false, true]) {
        const s = {
          idr: false,
          ref: false,
          intra: false,
          frameNum: fn,
          bottom,
          pocLsb: poc + (bottom ? 1 : 0),
        };
        units.push(nalUnit(1, 0, skipSlice(s, o)));
      }
    } else {
      // The first field in decoding order is shown first: it has the lower count.
      const firstBottom = kind === 'bff';
      const first = { idr, ref: true, intra: true, frameNum: fn, bottom: firstBottom, pocLsb: poc };
      units.push(nalUnit(idr ? 5 : 1, 2, pcmSlice(first, o, n)));
      const second = {
        idr: false,
        ref: true,
        intra: false,
        frameNum: fn,
        bottom: !firstBottom,
        pocLsb: poc + 1,
      };
      units.push(nalUnit(1, 2, skipSlice(second, o)));
    }
    if (kind !== 'nonref') frameNum++;
  });
  return concatBytes(units);
}

/** One coded frame of a progressive stream, in decoding order. */
export interface CodedFrame {
  /** I: I_PCM macroblocks (an IDR when `idr`); P and B: every macroblock skipped. */
  readonly type: 'I' | 'P' | 'B';
  readonly idr?: boolean;
  /** nal_ref_idc != 0. I and P frames are references whatever this says. */
  readonly ref?: boolean;
  /** PicOrderCnt (2 per frame); pic_order_cnt_lsb is its low 8 bits, so it may grow without end. */
  readonly poc: number;
  /** Slices the picture is cut into (default 1); with `mixed`, every other slice is a skipped P slice. */
  readonly slices?: number;
  readonly mixed?: boolean;
  /** PPS 0 or 1 of the active SPS (they differ in chroma_qp_index_offset). */
  readonly pps?: 0 | 1;
  /** memory_management_control_operation 5 (§8.2.5.4.8): afterwards the picture counts as frame_num 0, POC 0. */
  readonly mmco5?: boolean;
  /** At an IDR: switch to SPS id 1 (another max_num_ref_frames) with its PPS ids 2 and 3, sent before it. */
  readonly sps1?: boolean;
}

export interface ProgressiveOptions {
  readonly widthMbs: number;
  readonly heightMbs: number;
  readonly frames: readonly CodedFrame[];
  readonly fps: number;
  /** Profile: 77 Main (default) or 100 High. */
  readonly profileIdc?: 77 | 100;
  /** Writes VUI bitstream_restriction with this max_num_reorder_frames; absent: no bitstream_restriction. */
  readonly maxNumReorderFrames?: number;
  /**
   * pic_order_cnt_type (§8.2.1), default 0. 1: a cycle of one reference frame 2 apart, each picture's
   * `poc` reached through delta_pic_order_cnt[0]. 2: output order is decoding order (no B-frames; a
   * non-reference picture counts one less than the next reference one, so give it that `poc`).
   */
  readonly pocType?: 0 | 1 | 2;
  /** Other values for fields of SPS 0 (slices follow its frame_num and POC lsb lengths). */
  readonly sps?: SpsOverrides;
  /** Other values for fields of PPS 0 and 1. */
  readonly pps?: PpsOverrides;
}

/**
 * Decoding order of a stream that exercises parameter-set ids, slices and MMCO 5: GOP 1 on SPS 0 with
 * pictures alternating PPS 0 and 1, some cut into 3 slices of which the middle one is a skipped P slice
 * inside an I picture, an MMCO 5 that restarts frame_num and the picture order count; GOP 2 switches
 * to SPS 1 (its PPS 2 and 3) at its IDR, with B-frames.
 */
export const MULTI_ID_FRAMES: readonly CodedFrame[] = [
  { type: 'I', idr: true, poc: 0 },
  { type: 'P', poc: 2, pps: 1 },
  { type: 'I', poc: 4, slices: 3, mixed: true },
  { type: 'P', poc: 6, pps: 1, slices: 2 },
  { type: 'P', poc: 8, mmco5: true },
  { type: 'P', poc: 2, pps: 1 },
  { type: 'I', poc: 8, slices: 3, mixed: true, pps: 1 },
  { type: 'B', poc: 4 },
  { type: 'B', poc: 6, pps: 1 },
  { type: 'I', idr: true, sps1: true, poc: 0 },
  { type: 'I', poc: 6, pps: 1, slices: 2 },
  { type: 'B', poc: 2, slices: 2 },
  { type: 'B', poc: 4, pps: 1 },
  { type: 'P', poc: 8 },
  { type: 'P', poc: 10, pps: 1 },
];

const PROG_LOG2_MAX_FRAME_NUM = 8;
const PROG_LOG2_MAX_POC_LSB = 8;

/**
 * A progressive Main/High stream of I_PCM, all-skip P and all-skip B frames (B_Skip: spatial direct,
 * the average of the nearest reference before and after), frame_num and POC as the spec wants them.
 * SPS 0 with PPS 0 and 1 lead the stream.
 */
export function progressiveStream(o: ProgressiveOptions): Uint8Array {
  const log2MaxFrameNum = o.sps?.log2MaxFrameNum ?? PROG_LOG2_MAX_FRAME_NUM;
  const log2MaxPocLsb = o.sps?.log2MaxPocLsb ?? PROG_LOG2_MAX_POC_LSB;
  const sps = (id: number, maxRefs: number): Uint8Array =>
    spsUnit({
      profileIdc: o.profileIdc ?? 77,
      levelIdc: 40,
      id,
      log2MaxFrameNum: PROG_LOG2_MAX_FRAME_NUM,
      pocType: o.pocType ?? 0,
      log2MaxPocLsb: PROG_LOG2_MAX_POC_LSB,
      maxRefs,
      widthMbs: o.widthMbs,
      heightMapUnits: o.heightMbs,
      frameMbsOnly: true,
      fps: o.fps,
      maxNumReorderFrames: o.maxNumReorderFrames,
      ...(id === 0 ? o.sps : undefined),
    });
  const units: Uint8Array[] = [sps(0, 4), pps(0, 0, 0, o.pps), pps(1, 0, 2, o.pps)];
  let frameNum = 0;
  let seed = 0;
  let ppsBase = 0;
  const mbs = o.widthMbs * o.heightMbs;
  for (const f of o.frames) {
    const ref = f.type !== 'B' || f.ref === true;
    if (f.idr) frameNum = 0;
    if (f.sps1) {
      units.push(sps(1, 3), pps(2, 1, 0), pps(3, 1, 2));
      ppsBase = 2;
    }
    const slices = f.slices ?? 1;
    if (f.type === 'I') seed++;
    for (let k = 0; k < slices; k++) {
      const first = Math.floor((k * mbs) / slices);
      const end = Math.floor(((k + 1) * mbs) / slices);
      const type = f.mixed && k % 2 === 1 ? 'P' : f.type;
      const w = new BitWriter();
      w.ue(first)
        .ue(type === 'I' ? 2 : type === 'P' ? 0 : 1) // slice_type (not "all alike" with mixed slices)
        .ue(ppsBase + (f.pps ?? 0))
        .u(log2MaxFrameNum, frameNum % 2 ** log2MaxFrameNum);
      if (f.idr) w.ue(0); // idr_pic_id
      if ((o.pocType ?? 0) === 0) w.u(log2MaxPocLsb, f.poc % 2 ** log2MaxPocLsb);
      else if (o.pocType === 1) {
        // §8.2.1.2 with a one-frame cycle of offset 2: expectedPicOrderCnt = 2 * absFrameNum, where
        // absFrameNum = FrameNumOffset + frame_num, one less for a non-reference picture.
        const abs = frameNum + (ref || frameNum === 0 ? 0 : -1);
        w.se(f.poc - 2 * abs); // delta_pic_order_cnt[0]
      }
      if (type === 'B') w.u(1, 1); // direct_spatial_mv_pred_flag
      if (type !== 'I') w.u(1, 0).u(1, 0); // num_ref_idx_active_override_flag, list modification l0
      if (type === 'B') w.u(1, 0); // ref_pic_list_modification_flag_l1
      if (ref) {
        if (f.idr) w.u(1, 0).u(1, 0);
        else if (f.mmco5)
          w.u(1, 1).ue(5).ue(0); // adaptive marking: MMCO 5, end
        else w.u(1, 0);
      }
      w.se(0).ue(1); // slice_qp_delta, deblocking off
      if (type === 'I') {
        pcmMacroblocks(w, first, end, o.widthMbs, seed);
      } else {
        w.ue(end - first); // mb_skip_run: the whole slice
      }
      units.push(nalUnit(f.idr ? 5 : 1, ref ? 2 : 0, w.finish()));
    }
    if (f.mmco5) frameNum = 0;
    if (ref) frameNum++;
  }
  return concatBytes(units);
}
