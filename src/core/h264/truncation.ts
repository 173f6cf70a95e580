import type { LastPicture } from './access-unit.js';
import { nalBytes } from './nal.js';
import { walkSliceData, type SliceDataParameterSets } from './slice-data.js';
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
