/**
 * A start picture (../core/h264/added-pictures.ts) for a decoder that starts afresh at a recovery point
 * that is not an IDR picture (§D.2.8): a fresh WebCodecs decoder, or a new MediaSource after a media
 * error or a renderer switch. Chromium's VideoDecoder takes only an IDR picture as the first chunk after
 * configure() ("EncodedVideoChunk was marked as type key but wasn't a key frame": periodic intra
 * refresh, joined after its one IDR picture), and Chromium's MSE starts only where
 * ../core/random-access.ts says.
 */
import type { AddedPicture } from '../core/h264/added-pictures.js';
import { grayIdr } from '../core/h264/added-pictures.js';
import { peekPpsIds } from '../core/h264/pps.js';
import { parseSps } from '../core/h264/sps.js';
import { mediaSegment } from '../core/mp4/fragment.js';
import { addedUnits, startPictureSample } from '../core/added-sample.js';
import { parameterSetsOf } from '../core/mp4/init.js';
import type { MediaSegment } from '../core/types.js';

/** The start picture under the record's SPS; undefined where its writer does not cover the SPS. */
function startPicture(description: Uint8Array): AddedPicture | undefined {
  const sets = parameterSetsOf(description);
  const spsNal = sets.sps[0];
  if (!spsNal) return undefined;
  return grayIdr(
    parseSps(spsNal),
    sets.pps.map((pps) => peekPpsIds(pps).id),
  );
}

/**
 * A media segment of the start picture alone, one tick before `next`'s first sample (decode and
 * presentation time), for a new SourceBuffer that would start at `next`; undefined where `next` starts
 * at an IDR picture or a start picture already, or has no tick before it.
 */
export function startPictureSegment(
  description: Uint8Array,
  next: MediaSegment,
): MediaSegment | undefined {
  const first = next.samples[0];
  if (!first || first.pictureType === 'IDR' || next.baseDecodeTime < 1 || first.pts < 1)
    return undefined;
  const picture = startPicture(description);
  if (!picture) return undefined;
  const { sample, info } = startPictureSample(picture, {
    index: first.index,
    dts: first.dts - 1,
    pts: first.pts - 1,
  });
  return {
    type: 'media',
    data: mediaSegment(next.sequence, next.baseDecodeTime - 1, [sample]),
    sequence: next.sequence,
    frames: 0,
    keyframe: true,
    baseDecodeTime: next.baseDecodeTime - 1,
    duration: 1,
    startPts: first.pts - 1,
    endPts: first.pts,
    timescale: next.timescale,
    samples: [info],
  };
}

/**
 * A chunk's data (4-byte NAL lengths, as the init segments' avcC says) holding a PPS of its own and a
 * mid-gray IDR picture under the stream's SPS; undefined where the SPS is one the picture's writer does
 * not cover (field or MBAFF coding, 4:4:4), or the record holds none.
 */
export function startPictureData(description: Uint8Array): Uint8Array | undefined {
  const picture = startPicture(description);
  if (!picture) return undefined;
  const units = addedUnits(picture);
  const out = new Uint8Array(units.reduce((n, u) => n + 4 + u.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const unit of units) {
    view.setUint32(at, unit.length);
    out.set(unit, at + 4);
    at += 4 + unit.length;
  }
  return out;
}
