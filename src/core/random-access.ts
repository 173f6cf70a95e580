import type { SampleInfo } from './types.js';

/**
 * Whether every engine's MSE takes the sample as a random access point: a sync sample that is an IDR
 * picture or has a recovery point SEI with recovery_frame_cnt 0. Chromium's MSE takes no other
 * (media/formats/mp4/avc.cc), whatever the sample's flags say, and a removal ending at one it does not
 * take removes every frame up to the next one it does.
 */
export function isRandomAccess(sample: SampleInfo): boolean {
  return sample.keyframe && (sample.pictureType === 'IDR' || sample.recoveryFrameCnt === 0);
}
