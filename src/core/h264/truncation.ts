import type { LastPicture } from './access-unit.js';
import { nalBytes } from './nal.js';
import type { ParameterSets } from './parameter-sets.js';
import { parseSliceHeader } from './slice.js';
import { walkSliceData, type SliceDataParameterSets } from './slice-data.js';
import { picSizeInMbs } from './sps.js';
import type { LastPictureVerdict } from '../types.js';

/** Whether the stream's last picture is whole, and why not or why it cannot be told. */
export type LastPictureJudgement =
  | { readonly verdict: 'whole' }
  | { readonly verdict: Exclude<LastPictureVerdict, 'whole'>; readonly reason: string };

/**
 * Judges the picture still open when the stream ends. Annex B carries no lengths: a stream cut mid-NAL is only
 * visible by walking its final slice (every earlier one ended at a start code) through its slice data (§7.3.4):
 * when the bits run out before the syntax ends, the stream ended inside the picture ('truncated'). Where the walker
 * does not parse the slice (data partitioning, slice groups, SP/SI, a fault of its own) it cannot tell: 'unknown'.
 *
 * A final slice that ends where its syntax ends is whole, even when the picture's slices do not cover it
 * (PicSizeInMbs, §7.4.3): the stream lost slices, which a decoder conceals here as in any other picture, so the
 * frame is kept. (A CAVLC slice has no end marker, and now and then a cut leaves what parses as a shorter
 * whole slice: that frame is kept too.)
 */
export function judgeLastPicture(
  picture: LastPicture,
  sets: SliceDataParameterSets,
): LastPictureJudgement {
  const last = picture.slices.at(-1);
  if (!last) return { verdict: 'unknown', reason: 'the picture has no slice' };
  const result = walkSliceData(nalBytes(last), sets);
  switch (result.status) {
    case 'complete':
      return { verdict: 'whole' };
    case 'truncated':
      return { verdict: 'truncated', reason: result.reason ?? 'its last slice is cut short' };
    case 'unsupported':
      return { verdict: 'unknown', reason: result.reason ?? 'the slice walker cannot parse it' };
  }
}

/**
 * Whether `nal`, a NAL unit whose end no start code has shown yet (the input paused after it), is the
 * last slice of a whole frame, so that its access unit can end now instead of one frame later, when the
 * next frame's start code comes. True only when no other slice of the picture can follow it:
 * - it parses whole to its last bit (§7.3.4; the slice walker) and reaches the picture's last
 *   macroblock (PicSizeInMbs, §7.4.3);
 * - its slices come in macroblock order: arbitrary slice order exists only in Baseline profile
 *   without constraint_set1 (§A.2.1, §A.2.2), where only a slice starting at macroblock 0 counts;
 * - a frame, not a field (the second field of a pair may follow);
 * - no slice groups, redundant pictures or separate colour planes (other slices may follow).
 * Slices whose data the walker does not parse are never judged whole here.
 */
export function endsFrame(nal: Uint8Array, sets: ParameterSets): boolean {
  const type = (nal[0] ?? 0) & 0x1f;
  if (type !== 1 && type !== 5) return false;
  let header;
  try {
    header = parseSliceHeader(nal, sets, false);
  } catch {
    return false;
  }
  const pps = sets.pps(header.ppsId);
  const sps = sets.sps(header.spsId);
  if (!pps || !sps || header.fieldPic || sps.separateColourPlane) return false;
  if (pps.numSliceGroups > 1 || pps.redundantPicCntPresent) return false;
  const anyOrder = sps.profileIdc === 66 && (sps.constraintFlags & 0x40) === 0;
  if (anyOrder && header.firstMbInSlice !== 0) return false;
  const walked = walkSliceData(nal, sets);
  if (walked.status !== 'complete') return false;
  // first_mb_in_slice counts macroblock pairs in an MBAFF frame (§7.4.3), as `macroblocks` counts each.
  const firstAddr = header.firstMbInSlice * (sps.mbAdaptiveFrameField ? 2 : 1);
  return firstAddr + walked.macroblocks === picSizeInMbs(sps);
}
