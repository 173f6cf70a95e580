// The start picture's media segment (src/player/start-picture.ts) that a new MediaSource gets before a
// stream that resumes at a recovery point on a P picture (a media error or a renderer switch on a
// periodic-intra-refresh camera).
import { describe, expect, it } from 'vitest';
import { samplePayloads } from '../../../src/core/index.js';
import { startPictureSegment } from '../../../src/player/start-picture.js';
import { segmentsOf } from './segments.js';

describe('startPictureSegment', () => {
  const { init, media } = segmentsOf('p17', { fragment: 'frame' });

  it('one sample, a PPS of its own and an IDR slice, one tick before a recovery point on a P picture', () => {
    // p17: an IDR picture at 0, recovery points on P pictures every 30 frames.
    const next = media[30]!;
    expect(next.samples[0]).toMatchObject({ keyframe: true, pictureType: 'P' });
    const start = startPictureSegment(init.description, next)!;
    expect(start.samples).toHaveLength(1);
    expect(start.samples[0]).toMatchObject({
      startPicture: true,
      keyframe: true,
      pictureType: 'IDR',
      pts: next.samples[0]!.pts - 1,
      dts: next.samples[0]!.dts - 1,
    });
    expect(start).toMatchObject({
      frames: 0,
      baseDecodeTime: next.baseDecodeTime - 1,
      duration: 1,
      endPts: next.samples[0]!.pts,
    });
    const [payload] = samplePayloads(start.data);
    const view = new DataView(payload!.buffer, payload!.byteOffset);
    const second = 4 + view.getUint32(0);
    expect([payload![4]! & 0x1f, payload![second + 4]! & 0x1f]).toEqual([8, 5]);
  });

  it('none before an IDR picture, or where there is no tick before the segment', () => {
    expect(startPictureSegment(init.description, media[0]!)).toBeUndefined();
    expect(media[0]!.samples[0]!.pictureType).toBe('IDR');
  });
});
