import { unescapeRbsp } from '../bytes/bit-reader.js';
import { BitWriter, escapeRbsp } from '../bytes/bit-writer.js';
import { maxDecFrameBuffering, type Sps } from './sps.js';

/** What to do with a part of vui_parameters() (§E.1.1) when rewriting an SPS. */
export interface VuiEdit {
  /** timing_info: keep it (default) or drop it (timing_info_present_flag 0). */
  readonly timing?: 'keep' | 'drop';
  /**
   * bitstream_restriction(): keep it (default), drop it, or write one that declares this many frames of
   * reordering (max_num_reorder_frames, §E.2.1), every other field at the value a decoder infers when it is absent.
   */
  readonly restriction?: 'keep' | 'drop' | { readonly maxNumReorderFrames: number };
}

/**
 * The SPS NAL unit `nal` (header byte included; `sps` is its parse) with its VUI edited, every other syntax element
 * bit for bit as it was: the RBSP up to the VUI is copied, the VUI is rewritten part by part (unchanged parts
 * copied), then rbsp_trailing_bits (§7.3.2.11) and emulation prevention (§7.4.1). An SPS without a VUI gets one
 * whose other flags are all 0.
 */
export function rewriteSps(nal: Uint8Array, sps: Sps, edit: VuiEdit): Uint8Array {
  const rbsp = unescapeRbsp(nal).subarray(1);
  const vui = sps.vui;
  const w = new BitWriter().copy(rbsp, 0, sps.vuiAt);
  w.u(1, 1); // vui_parameters_present_flag
  if (vui) {
    w.copy(rbsp, sps.vuiAt + 1, vui.layout.timing); // aspect ratio .. chroma location, as they were
  } else {
    // aspect_ratio_info, overscan_info, video_signal_type, chroma_loc_info: none.
    w.u(4, 0);
  }
  if (vui?.timingInfoPresent && edit.timing !== 'drop') {
    w.copy(rbsp, vui.layout.timing, vui.layout.hrd);
  } else {
    w.u(1, 0); // timing_info_present_flag
  }
  if (vui) {
    w.copy(rbsp, vui.layout.hrd, vui.layout.restriction); // HRD, low_delay_hrd_flag, pic_struct_present_flag
  } else {
    w.u(3, 0); // nal_hrd_parameters_present_flag, vcl_hrd_parameters_present_flag, pic_struct_present_flag
  }
  const restriction = edit.restriction ?? 'keep';
  if (restriction === 'keep') {
    if (vui?.bitstreamRestriction) w.copy(rbsp, vui.layout.restriction, vui.layout.end);
    else w.u(1, 0);
  } else if (restriction === 'drop') {
    w.u(1, 0);
  } else {
    writeReorderRestriction(w, sps, restriction.maxNumReorderFrames);
  }
  const header = nal[0] as number;
  const payload = escapeRbsp(w.finish());
  const out = new Uint8Array(1 + payload.length);
  out[0] = header;
  out.set(payload, 1);
  return out;
}

/**
 * bitstream_restriction_flag 1 and bitstream_restriction() (§E.1.1) with `maxNumReorderFrames`, and every other
 * field at the value §E.2.1 infers when the structure is absent, so that nothing else changes for a decoder:
 * motion vectors may cross picture boundaries, max_bytes_per_pic_denom 2, max_bits_per_mb_denom 1,
 * log2_max_mv_length_horizontal/vertical 15, max_dec_frame_buffering MaxDpbFrames (never below
 * max_num_ref_frames or the reorder bound it must hold).
 */
function writeReorderRestriction(w: BitWriter, sps: Sps, maxNumReorderFrames: number): void {
  const reorder = Math.min(16, Math.max(0, maxNumReorderFrames));
  const buffering = Math.min(16, Math.max(maxDecFrameBuffering(sps), sps.maxNumRefFrames, reorder));
  w.u(1, 1); // bitstream_restriction_flag
  w.u(1, 1); // motion_vectors_over_pic_boundaries_flag
  w.ue(2); // max_bytes_per_pic_denom
  w.ue(1); // max_bits_per_mb_denom
  w.ue(15); // log2_max_mv_length_horizontal
  w.ue(15); // log2_max_mv_length_vertical
  w.ue(reorder); // max_num_reorder_frames
  w.ue(buffering); // max_dec_frame_buffering
}

/**
 * The SPS as the output declares it: with a bitstream_restriction() declaring `maxNumReorderFrames` when it has
 * none (decoders otherwise hold up to MaxDpbFrames frames before output, §C.4.5.3), else unchanged (`nal` itself).
 */
export function withReorderBound(
  nal: Uint8Array,
  sps: Sps,
  maxNumReorderFrames: number,
): Uint8Array {
  if (sps.vui?.bitstreamRestriction) return nal;
  return rewriteSps(nal, sps, { restriction: { maxNumReorderFrames } });
}
