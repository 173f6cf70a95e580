/**
 * What a fresh WebCodecs decoder is given before a stream that starts at a recovery point that is not
 * an IDR picture (§D.2.8; ../core/h264/gray-idr.ts): Chromium takes only an IDR picture as the first
 * chunk after configure() and failed such a stream ("EncodedVideoChunk was marked as type key but
 * wasn't a key frame": periodic intra refresh, joined after its one IDR picture).
 */
import { grayIdr } from '../core/h264/gray-idr.js';
import { peekPpsIds } from '../core/h264/pps.js';
import { parseSps } from '../core/h264/sps.js';
import { parameterSetsOf } from '../core/mp4/init.js';

/**
 * A chunk's data (4-byte NAL lengths, as the init segments' avcC says) holding a PPS of its own and a
 * mid-gray IDR picture under the stream's SPS; undefined where the SPS is one the picture's writer does
 * not cover (field or MBAFF coding, 4:4:4), or the record holds none.
 */
export function startPictureData(description: Uint8Array): Uint8Array | undefined {
  const sets = parameterSetsOf(description);
  const spsNal = sets.sps[0];
  if (!spsNal) return undefined;
  const picture = grayIdr(
    parseSps(spsNal),
    sets.pps.map((pps) => peekPpsIds(pps).id),
  );
  if (!picture) return undefined;
  const units = [picture.pps, picture.slice];
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
