/**
 * The sample of a picture the transmuxer adds (./h264/added-pictures.ts): one tick at a recovery point's
 * place, its fragment entry and its SampleInfo. Written where output starts (the transmuxer) and where a
 * new SourceBuffer starts (the player's start picture before a live stream's next keyframe).
 */
import type { AddedPicture } from './h264/added-pictures.js';
import type { NalType } from './h264/nal.js';
import { SampleFlags, type FragmentSample } from './mp4/fragment.js';
import type { SampleInfo } from './types.js';

/** Where an added picture goes: the index of the frame it stands before, its decode and presentation time. */
export interface AddedAt {
  readonly index: number;
  readonly dts: number;
  readonly pts: number;
}

export interface AddedSample {
  readonly sample: FragmentSample;
  readonly info: SampleInfo;
}

/** The NAL units of `picture` in sample order: its PPS, an anchor's SEI, its slice. */
export function addedUnits(picture: AddedPicture): Uint8Array[] {
  return picture.sei ? [picture.pps, picture.sei, picture.slice] : [picture.pps, picture.slice];
}

/** A start picture's sample (TransmuxerOptions.startPicture): an IDR picture nothing precedes. */
export function startPictureSample(picture: AddedPicture, at: AddedAt): AddedSample {
  return addedSample(picture, at, SampleFlags.DependsOnNone, {
    recoveryPoint: false,
    pictureType: 'IDR',
    nalRefIdc: 3,
    frameNum: 0,
    poc: 0,
    startPicture: true,
  });
}

/**
 * An anchor's sample (TransmuxerOptions.anchorInterval): a non-reference P picture with a recovery point
 * SEI of its own, of count 0, numbered as the recovery point it stands before (`recovery`) and ordered
 * just before it.
 */
export function anchorSample(
  picture: AddedPicture,
  at: AddedAt,
  recovery: { readonly frameNum: number; readonly poc: number },
): AddedSample {
  return addedSample(picture, at, SampleFlags.DependsOnOthers | SampleFlags.NotDependedOn, {
    recoveryPoint: true,
    recoveryFrameCnt: 0,
    pictureType: 'P',
    nalRefIdc: 0,
    frameNum: recovery.frameNum,
    poc: recovery.poc - 1,
    anchor: true,
  });
}

function addedSample(
  picture: AddedPicture,
  at: AddedAt,
  flags: number,
  fields: Pick<SampleInfo, 'recoveryPoint' | 'pictureType' | 'nalRefIdc' | 'frameNum' | 'poc'> &
    Partial<Pick<SampleInfo, 'recoveryFrameCnt' | 'startPicture' | 'anchor'>>,
): AddedSample {
  const units = addedUnits(picture);
  const size = units.reduce((n, unit) => n + 4 + unit.length, 0);
  return {
    sample: { duration: 1, cts: at.pts - at.dts, flags, units: units.map((unit) => [unit]), size },
    info: {
      index: at.index,
      size,
      dts: at.dts,
      pts: at.pts,
      keyframe: true,
      nalTypes: units.map((unit) => ((unit[0] ?? 0) & 0x1f) as NalType),
      nalSizes: units.map((unit) => unit.length),
      ...fields,
    },
  };
}
