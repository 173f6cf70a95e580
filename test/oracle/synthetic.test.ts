// Field-coded (PAFF) streams, which no encoder here makes, built bit by bit (test/helpers/synth.ts):
// first fields of I_PCM macroblocks, second fields of skipped P macroblocks (top or bottom first),
// pairs of non-reference skipped fields, frame pictures in between, pic_order_cnt_lsb wrapping. ffmpeg must decode the raw stream cleanly (that proves it valid); then
// our MP4 must hold one sample per field pair or frame, decode to the same frame hashes with a silent
// `ffmpeg -v error`, on the exact frame grid, the same whatever the chunking; a cut inside the final
// field drops that frame alone.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeErrors, framemd5, writeParts } from '../helpers/ffmpeg.js';
import { compareWithRaw } from '../helpers/oracle.js';
import {
  paffStream,
  progressiveStream,
  MULTI_ID_FRAMES,
  type CodedFrame,
  type PictureKind,
} from '../helpers/synth.js';
import { concatSegments, frameCount, transmux } from '../helpers/transmux.js';

// Top-first and bottom-first reference pairs, non-reference pairs, frame pictures; ends top-first.
const PICTURES: readonly PictureKind[] = [
  'fields',
  'nonref',
  'bff',
  'fields',
  'frame',
  'bff',
  'nonref',
  'frame',
  'fields',
  'nonref',
  'fields',
  'fields',
];
const FPS = 25;
const stream = paffStream({ widthMbs: 4, fieldHeightMbs: 2, pictures: PICTURES, fps: FPS });

let dir = '';
let raw = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'h264mux-synth-'));
  raw = join(dir, 'paff.h264');
  await writeFile(raw, stream);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Start of the last NAL unit's header byte. */
function lastNalStart(data: Uint8Array): number {
  for (let i = data.length - 4; i >= 0; i--)
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) return i + 3;
  throw new Error('no start code');
}

describe('PAFF: field pairs (top or bottom first, reference or not) and frame pictures mixed', () => {
  it('the hand-built stream is valid: ffmpeg decodes every frame, its decoder silent', async () => {
    const { code, stderr } = await decodeErrors(raw);
    expect(code).toBe(0);
    // ffmpeg's raw H.264 demuxer guesses timestamps per field and repeats one at each frame picture,
    // which its muxer then reports; the decoder itself must say nothing.
    const decoderLines = stderr
      .split('\n')
      .filter((l) => l !== '' && !/non monotonically increasing dts to muxer/.test(l));
    expect(decoderLines).toEqual([]);
    expect((await framemd5(raw)).length).toBe(PICTURES.length);
  });

  it('one sample per field pair or frame, the same pictures, on the frame grid', async () => {
    const tx = transmux(stream);
    expect(tx.warnings).toEqual([]);
    expect(frameCount(tx)).toBe(PICTURES.length);
    const out = join(dir, 'paff.mp4');
    await writeParts(out, [concatSegments(tx.outputs)]);
    const c = await compareWithRaw(out, raw, FPS);
    expect(c.ours).toEqual(c.theirs);
    expect(c.errors).toEqual({ code: 0, stderr: '' });
    expect(c.pts.length).toBe(PICTURES.length);
    expect(c.grid).toBeUndefined();
  });

  it('the same bytes out whatever the chunking (a field split anywhere)', () => {
    const whole = concatSegments(transmux(stream).outputs);
    for (const size of [1, 7, 333])
      expect(Buffer.compare(concatSegments(transmux(stream, {}, size).outputs), whole)).toBe(0);
  });

  it("a cut inside the final bottom field's header: the whole top field stays that frame", async () => {
    // The header does not parse, so the slice is skipped (as ffmpeg skips it); what is left is a
    // complete top field, which decodes without an error.
    const start = lastNalStart(stream);
    const cut = transmux(stream.subarray(0, start + 3));
    expect(frameCount(cut)).toBe(PICTURES.length);
    expect(cut.warnings.map((w) => w.code)).toEqual(['CORRUPT_NAL']);
    const out = join(dir, 'paff-cut.mp4');
    await writeParts(out, [concatSegments(cut.outputs)]);
    expect(await decodeErrors(out)).toEqual({ code: 0, stderr: '' });
  });

  it('a cut inside a final top field of I_PCM macroblocks drops that frame', () => {
    // The stream up to the middle of the last top field's PCM samples.
    const data = stream.subarray(0, lastNalStart(stream) - 4);
    const start = lastNalStart(data);
    const cut = transmux(data.subarray(0, start + Math.floor((data.length - start) / 2)));
    expect(frameCount(cut)).toBe(PICTURES.length - 1);
    expect(cut.warnings.map((w) => w.code)).toEqual(['TRUNCATED_FRAME_DROPPED']);
  });
});

describe('parameter-set ids, slices and MMCO 5 (progressive Main)', () => {
  const frames = MULTI_ID_FRAMES;
  const data = progressiveStream({ widthMbs: 4, heightMbs: 3, fps: 30, frames });
  let rawPath = '';
  beforeAll(async () => {
    rawPath = join(dir, 'ids.h264');
    await writeFile(rawPath, data);
  });

  it('is valid for ffmpeg, and ours decodes to the same frames in the same order', async () => {
    expect(await decodeErrors(rawPath)).toEqual({ code: 0, stderr: '' });
    // One file: the switched SPS and its PPS stay in-band (as `h264mux convert` writes it).
    const tx = transmux(data, { parameterSetChanges: 'in-band' });
    expect(tx.warnings).toEqual([]);
    expect(frameCount(tx)).toBe(frames.length);
    const out = join(dir, 'ids.mp4');
    await writeParts(out, [concatSegments(tx.outputs)]);
    const c = await compareWithRaw(out, rawPath, 30);
    expect(c.theirs.length).toBe(frames.length);
    expect(c.ours).toEqual(c.theirs);
    expect(c.errors).toEqual({ code: 0, stderr: '' });
    expect(c.grid).toBeUndefined();
  });

  it('both PPS of each SPS go into its avcC; the SPS switch brings a new init segment', () => {
    const tx = transmux(data);
    const inits = tx.parts.map((p) => p.init);
    expect(inits.length).toBe(2);
    for (const [i, boxes] of inits.entries()) {
      // avcC: numOfPictureParameterSets after the one SPS
      const at = Buffer.from(boxes).indexOf('avcC') + 4;
      const spsLength = (boxes[at + 6] as number) * 256 + (boxes[at + 7] as number);
      expect(boxes[at + 5]! & 0x1f).toBe(1);
      expect(boxes[at + 8 + spsLength]).toBe(2);
      // seq_parameter_set_id of the SPS in this avcC: ue(v) right after profile, flags and level
      expect((boxes[at + 8 + 4] as number) >> 7).toBe(i === 0 ? 1 : 0);
    }
  });
});

describe('picture order count types 1 and 2 (progressive Main)', () => {
  const type1: CodedFrame[] = [];
  for (let g = 0; g < 2; g++) {
    type1.push({ type: 'I', idr: true, poc: 0 });
    for (let k = 1; k <= 4; k++) {
      type1.push({ type: 'P', poc: 6 * k });
      type1.push({ type: 'B', poc: 6 * k - 4 });
      type1.push({ type: 'B', poc: 6 * k - 2, ref: k % 2 === 0 });
    }
  }
  // Type 2: output order is decoding order; non-reference P pictures between reference ones.
  const type2: CodedFrame[] = Array.from({ length: 24 }, (_, i) => ({
    type: i % 8 === 0 ? 'I' : 'P',
    idr: i === 0,
    ref: i % 3 !== 2,
    poc: 2 * i,
  }));
  for (const [name, frames, pocType] of [
    ['type 1 with B-frames (one a reference)', type1, 1],
    ['type 2 with non-reference P pictures', type2, 2],
  ] as const) {
    it(`${name}: valid for ffmpeg; ours gives the same frames in order on the grid`, async () => {
      const data = progressiveStream({ widthMbs: 4, heightMbs: 3, fps: 30, frames, pocType });
      const raw = join(dir, `poc${pocType}.h264`);
      await writeFile(raw, data);
      expect(await decodeErrors(raw)).toEqual({ code: 0, stderr: '' });
      const tx = transmux(data);
      expect(tx.warnings).toEqual([]);
      const out = join(dir, `poc${pocType}.mp4`);
      await writeParts(out, [concatSegments(tx.outputs)]);
      const c = await compareWithRaw(out, raw, 30);
      expect(c.theirs.length).toBe(frames.length);
      expect(c.ours).toEqual(c.theirs);
      expect(c.errors).toEqual({ code: 0, stderr: '' });
      expect(c.grid).toBeUndefined();
    });
  }
});
