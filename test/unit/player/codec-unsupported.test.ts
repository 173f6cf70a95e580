// What the page says when the browser cannot decode the stream: the stream's profile, level and
// sampling, and what would play (src/player/errors.ts unsupported()). The facts are those the
// transmuxer reports for streams x264 makes (test/oracle/generated.test.ts makes them): Firefox 153 has
// no decoder for the 10-bit, 4:2:2 and 4:4:4 ones, by MSE or WebCodecs.
import { describe, expect, it } from 'vitest';
import type { CodecFacts } from '../../../src/player/errors.js';
import { unsupported } from '../../../src/player/errors.js';

const HIGH_10: CodecFacts = {
  codec: 'avc1.6E001E',
  profile: 'High 10',
  level: '3',
  levelIdc: 30,
  chromaFormatIdc: 1,
  bitDepthLuma: 10,
  bitDepthChroma: 10,
};

/** 8-bit 4:2:0 High, level 3: what every browser with an H.264 decoder takes. */
const HIGH: CodecFacts = {
  ...HIGH_10,
  codec: 'avc1.64001E',
  profile: 'High',
  bitDepthLuma: 8,
  bitDepthChroma: 8,
};

describe('unsupported()', () => {
  it('names a 10-bit stream and tells how to re-encode it to what browsers decode', () => {
    const error = unsupported('video/mp4; codecs="avc1.6E001E"', HIGH_10);
    expect(error.code).toBe('CODEC_UNSUPPORTED');
    expect(error.message).toBe(
      'This browser cannot decode this stream: H.264 High 10, level 3, 4:2:0 10-bit (avc1.6E001E; MediaSource.isTypeSupported says no). Many browsers decode 8-bit 4:2:0 H.264 only: re-encode it so (ffmpeg -i in.h264 -c:v libx264 -pix_fmt yuv420p -profile:v high out.h264), or try another browser.',
    );
    expect(error.detail).toEqual({
      mimeType: 'video/mp4; codecs="avc1.6E001E"',
      codec: 'avc1.6E001E',
    });
  });

  it('says which of its decoders refused: a WebCodecs configure', () => {
    const facts: CodecFacts = {
      ...HIGH,
      codec: 'avc1.7A001E',
      profile: 'High 4:2:2',
      chromaFormatIdc: 2,
    };
    expect(unsupported('video/mp4; codecs="avc1.7A001E"', facts, 'WebCodecs').message).toMatch(
      /^This browser cannot decode this stream: H\.264 High 4:2:2, level 3, 4:2:2 8-bit \(avc1\.7A001E; its WebCodecs decoder refused the configuration\)\. Many browsers decode 8-bit 4:2:0 H\.264 only/,
    );
  });

  it('points a level beyond 5.2 at a lower resolution', () => {
    const facts: CodecFacts = { ...HIGH, codec: 'avc1.64003C', level: '6', levelIdc: 60 };
    expect(unsupported('video/mp4; codecs="avc1.64003C"', facts).message).toContain(
      'Level 6 is beyond what most decoders take (5.2 and under): re-encode at a lower resolution or frame rate',
    );
  });

  it('says a browser that refuses plain 8-bit 4:2:0 H.264 has no H.264 decoder, and where one comes from', () => {
    const facts: CodecFacts = { ...HIGH, codec: 'avc1.42E01E', profile: 'Constrained Baseline' };
    expect(unsupported('video/mp4; codecs="avc1.42E01E"', facts).message).toContain(
      "It seems to have no H.264 decoder at all: Firefox on Linux decodes H.264 with the system's FFmpeg libraries",
    );
  });

  it('without the stream facts, names the MIME type', () => {
    expect(unsupported('video/webm; codecs="vp9"', undefined).message).toBe(
      'This browser cannot play video/webm; codecs="vp9" (MediaSource.isTypeSupported says no). Try another browser, or re-encode with a lower profile/level.',
    );
  });
});
