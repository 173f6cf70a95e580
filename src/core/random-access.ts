import type { SampleInfo } from './types.js';

/**
 * Whether Chromium's MSE begins decoding at a picture: an IDR picture, or one with a recovery point SEI
 * whose recovery_frame_cnt is 0 (media/formats/mp4/avc.cc), whatever the sample's flags say. Other
 * engines begin at any sync sample.
 */
export function chromiumStartsAt(idr: boolean, recoveryFrameCnt: number | undefined): boolean {
  return idr || recoveryFrameCnt === 0;
}

/**
 * Whether every engine's MSE takes the sample as a random access point: a sync sample Chromium begins
 * at (`chromiumStartsAt`). A removal ending at one it does not take removes every frame up to the next
 * one it does.
 */
export function isRandomAccess(sample: SampleInfo): boolean {
  return sample.keyframe && chromiumStartsAt(sample.pictureType === 'IDR', sample.recoveryFrameCnt);
}
