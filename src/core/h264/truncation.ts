import type { LastPicture } from './access-unit.js';
import { nalBytes } from './nal.js';
import { walkSliceData, type SliceDataParameterSets } from './slice-data.js';

/**
 * Why the stream's last picture is not whole, or undefined when it is whole or that cannot be told.
 * Annex B carries no lengths: a stream cut mid-NAL is only visible by walking its final slice (every earlier
 * one ended at a start code) through its slice data (§7.3.4): when the bits run out before the syntax ends,
 * the stream ended inside the picture.
 *
 * A final slice that ends where its syntax ends is whole, even when the picture's slices do not cover it
 * (PicSizeInMbs, §7.4.3): the stream lost slices, which a decoder conceals here as in any other picture, so the
 * frame is kept. (A CAVLC slice has no end marker, and now and then a cut leaves what parses as a shorter
 * whole slice: that frame is kept too.)
 */
export function lastPictureDamage(
  picture: LastPicture,
  sets: SliceDataParameterSets,
): string | undefined {
  const last = picture.slices.at(-1);
  if (!last) return undefined;
  const result = walkSliceData(nalBytes(last), sets);
  if (result.status === 'truncated') return result.reason ?? 'its last slice is cut short';
  return undefined;
}
