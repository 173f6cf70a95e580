import type { LastPicture } from './access-unit.js';
import { nalBytes } from './nal.js';
import { walkSliceData, type SliceDataParameterSets } from './slice-data.js';
import { picSizeInMbs } from './sps.js';

/**
 * Why the stream's last picture is not whole, or undefined when it is whole or that cannot be told.
 * Annex B carries no lengths: a stream cut mid-NAL is only visible by walking the slice data to its last
 * macroblock (§7.3.4) and checking that the slices cover the picture (PicSizeInMbs, §7.4.3). Only the
 * stream's final slice can be cut short (every earlier one ended at a start code), so it alone is walked
 * when it reaches the picture's last macroblock, the usual case.
 */
export function lastPictureDamage(
  picture: LastPicture,
  sets: SliceDataParameterSets,
): string | undefined {
  const last = picture.slices.at(-1);
  if (!last) return undefined;
  const sps = picture.sps;
  const picSize = picSizeInMbs(sps, picture.fieldPic);
  const result = walkSliceData(nalBytes(last), sets);
  if (result.status === 'unsupported') return undefined;
  if (result.status === 'truncated') return result.reason ?? 'its last slice is cut short';
  // first_mb_in_slice counts macroblock pairs in an MBAFF frame (§7.4.3).
  const mbaff = sps.mbAdaptiveFrameField && !picture.fieldPic;
  if (result.firstMb * (mbaff ? 2 : 1) + result.macroblocks >= picSize) return undefined;
  // The last slice stops short of the picture's end: earlier slices may still cover the rest (arbitrary
  // slice order, §7.4.3): count them all.
  let macroblocks = result.macroblocks;
  for (const nal of picture.slices.slice(0, -1)) {
    const r = walkSliceData(nalBytes(nal), sets);
    if (r.status !== 'complete') return undefined;
    macroblocks += r.macroblocks;
  }
  return macroblocks < picSize
    ? `its slices cover ${macroblocks} of ${picSize} macroblocks`
    : undefined;
}
