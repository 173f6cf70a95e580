/**
 * Reference marking after a start at a recovery point.
 *
 * A decoder that starts at a recovery point (§D.2.8) has none of the pictures decoded before it, yet the
 * reference pictures that follow may still mark such pictures unused with memory_management_control_operation
 * 1 (§8.2.5.4.1): x264's open-GOP P-frames do. ffmpeg logs "mmco: unref short failure" and goes on; Chromium's
 * decoder fails the whole stream on it (a seek into an open-GOP file ended in PIPELINE_ERROR_DECODE). Marking a
 * picture the decoder never had as unused changes nothing in its decoded picture buffer, so those operations
 * are taken out of the slice header: every decoded picture stays bit-identical.
 *
 * Which pictures a decoder holds at such a start is not the spec's business (it infers a loss, §8.2.5.2); the
 * FFmpeg decoder inside Chromium, Firefox and WebKitGTK fills the frame_num gap before the start picture with
 * "non-existing" frames (at most max_num_ref_frames, and none below frame_num 0), then marks the start picture
 * by sliding window. It fails on an operation naming a frame it lacks and, as surely, on an overflowing buffer
 * when an operation naming a filler frame is taken out: so only the operations naming frames below the fillers go.
 */
import { BitReader, unescapeRbsp } from '../bytes/bit-reader.js';
import { BitWriter, escapeRbsp } from '../bytes/bit-writer.js';
import { NalType } from './nal.js';
import { parseFullSliceHeader } from './slice-data-header.js';
import type { MarkingOperation, ParameterSetLookup } from './slice.js';
import type { Sps } from './sps.js';

/** Where the stream was started: the recovery point picture. */
export interface RecoveryStart {
  readonly frameNum: number;
  /** Frames before it that the decoder holds (gap fillers): see `earlierFramesHeld`. */
  readonly earlierHeld: number;
}

/**
 * Frames with frame_num below `frameNum` that an FFmpeg-family decoder holds once a start picture at `frameNum`
 * is marked: min(max_num_ref_frames, frameNum) fillers, less one if the start picture's sliding window
 * (§8.2.5.3) then overflows the buffer.
 */
export function earlierFramesHeld(frameNum: number, sps: Sps): number {
  const fillers = Math.min(sps.maxNumRefFrames, frameNum);
  return fillers + 1 > Math.max(1, sps.maxNumRefFrames) ? fillers - 1 : fillers;
}

/**
 * The slice NAL unit (header byte included, with emulation prevention) without the operations 1 that name a
 * picture decoded before `start`; `undefined` when it has none (or is a slice this cannot rewrite exactly:
 * IDR, data partitions, slice-group change cycles).
 */
export function pruneUnavailableUnrefs(
  nal: Uint8Array,
  sets: ParameterSetLookup,
  start: RecoveryStart,
): Uint8Array | undefined {
  const nalType = (nal[0] as number) & 0x1f;
  const nalRefIdc = ((nal[0] as number) >> 5) & 3;
  if (nalType !== (NalType.SliceNonIdr as number) || nalRefIdc === 0) return undefined;
  const rbsp = unescapeRbsp(nal).subarray(1);
  const r = new BitReader(rbsp);
  r.ue(); // first_mb_in_slice
  r.ue(); // slice_type
  const pps = sets.pps(r.ue());
  const sps = pps && sets.sps(pps.spsId);
  // slice_group_change_cycle (§7.3.3) is not parsed by parseFullSliceHeader.
  if (!pps || !sps || pps.numSliceGroups > 1) return undefined;
  const h = new BitReader(rbsp);
  const header = parseFullSliceHeader(h, nalType, nalRefIdc, sps, pps);
  const marking = header.adaptiveMarking;
  if (!marking) return undefined;
  const kept = marking.operations.filter((op) => !namesPictureBefore(op, header, sps, start));
  if (kept.length === marking.operations.length) return undefined;
  const headerEnd = h.bitOffset; // the start of slice_data()

  const w = new BitWriter();
  w.copy(rbsp, 0, marking.startBit);
  w.u(1, 1); // adaptive_ref_pic_marking_mode_flag: still 1, so no sliding window either (§8.2.5.3)
  for (const op of kept) writeOperation(w, op);
  w.ue(0);
  w.copy(rbsp, marking.endBit, headerEnd);
  let body: Uint8Array;
  if (pps.entropyCodingModeFlag) {
    // cabac_alignment_one_bit up to the byte boundary, then slice_data() byte for byte (§7.3.4).
    while (!w.aligned) w.u(1, 1);
    w.bytesOut(rbsp.subarray(Math.ceil(headerEnd / 8)));
    body = w.take();
  } else {
    w.copy(rbsp, headerEnd, lastSetBit(rbsp));
    body = w.finish(); // rbsp_slice_trailing_bits()
  }
  const escaped = escapeRbsp(body);
  const out = new Uint8Array(1 + escaped.length);
  out[0] = nal[0] as number;
  out.set(escaped, 1);
  return out;
}

/** Operation 1 naming a frame below those the decoder holds from the start (§8.2.4.1, §8.2.5.4.1). */
function namesPictureBefore(
  op: MarkingOperation,
  fields: { readonly frameNum: number; readonly fieldPic: boolean },
  sps: Sps,
  start: RecoveryStart,
): boolean {
  if (op.op !== 1 || op.differenceOfPicNumsMinus1 === undefined) return false;
  const maxFrameNum = 2 ** sps.log2MaxFrameNum;
  const currPicNum = fields.fieldPic ? 2 * fields.frameNum + 1 : fields.frameNum;
  const picNumX = currPicNum - (op.differenceOfPicNumsMinus1 + 1);
  // A frame's PicNum is its FrameNumWrap; a field's is 2 * FrameNumWrap (+ 1 for the same parity).
  const frameNumWrap = fields.fieldPic ? Math.floor(picNumX / 2) : picNumX;
  const startWrap =
    start.frameNum > fields.frameNum ? start.frameNum - maxFrameNum : start.frameNum;
  return frameNumWrap < startWrap - start.earlierHeld;
}

function writeOperation(w: BitWriter, op: MarkingOperation): void {
  w.ue(op.op);
  if (op.differenceOfPicNumsMinus1 !== undefined) w.ue(op.differenceOfPicNumsMinus1);
  if (op.longTermPicNum !== undefined) w.ue(op.longTermPicNum);
  if (op.longTermFrameIdx !== undefined) w.ue(op.longTermFrameIdx);
  if (op.maxLongTermFrameIdxPlus1 !== undefined) w.ue(op.maxLongTermFrameIdxPlus1);
}

/** Bit position of the rbsp_stop_one_bit: the last set bit. */
function lastSetBit(rbsp: Uint8Array): number {
  for (let i = rbsp.length - 1; i >= 0; i--) {
    const b = rbsp[i] as number;
    if (b !== 0) return i * 8 + (7 - Math.log2(b & -b));
  }
  return 0;
}
