// 'gop' fragments of a GOP with no end in sight: closed at maxFragmentFrames / maxFragmentBytes without a
// keyframe, so that the input behind them is released, and still decoded by ffmpeg to the raw stream's pictures.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Transmuxer, type TransmuxerOptions, type TransmuxerOutput } from '../../src/core/index.js';
import { fileTransmuxerOptions, Mp4Recording, MP4_LAYOUTS } from '../../src/worker/mp4-file.js';
import { withTempDir, writeParts } from '../helpers/ffmpeg.js';
import { fixture, fixturePath, readFixture } from '../helpers/fixtures.js';
import { compareWithRaw } from '../helpers/oracle.js';
import { transmux } from '../helpers/transmux.js';
import { oracleFailures } from './oracle-suite.js';

// p16: an IDR at 0 and at 600 (20 s at 30 fps), 320x240, no B-frames.
const P16 = fixture('p16_');
const CHUNK = 4096;

/** Largest distance between the bytes pushed and `retainedFrom` after a push, pushing `data` in CHUNK-byte chunks. */
function mostRetained(data: Uint8Array, options: TransmuxerOptions): number {
  const t = new Transmuxer(options);
  let most = 0;
  for (let at = 0; at < data.length; at += CHUNK) {
    const end = Math.min(data.length, at + CHUNK);
    t.push(data.subarray(at, end));
    most = Math.max(most, end - t.retainedFrom);
  }
  t.flush();
  return most;
}

describe('fragment limits in a long GOP', () => {
  const data = readFixture(P16.name);

  it('the input behind a full fragment is released before the next keyframe', () => {
    const limit = 16 * 1024;
    const tx = transmux(data, { maxFragmentBytes: limit }, CHUNK);
    const samples = tx.parts.flatMap((p) => p.mediaSegments.flatMap((m) => m.samples));
    expect(samples).toHaveLength(P16.frames);
    const largest = Math.max(...samples.map((s) => s.size));
    // Held: the open fragment (under the limit), the picture still being assembled, the chunk being split.
    const bound = limit + largest + CHUNK;
    expect(mostRetained(data, { maxFragmentBytes: limit })).toBeLessThanOrEqual(bound);
    // The first GOP alone is about 495 kB: without the limit it is all referenced until the IDR at frame 600.
    const unlimited = { maxFragmentBytes: data.length, maxFragmentFrames: P16.frames };
    expect(mostRetained(data, unlimited)).toBeGreaterThan(10 * bound);
    const media = tx.parts.flatMap((p) => p.mediaSegments);
    expect(media.filter((m) => !m.keyframe).length).toBeGreaterThan(10);
  });

  for (const limits of [{ maxFragmentFrames: 50 }, { maxFragmentBytes: 16 * 1024 }]) {
    it(`${JSON.stringify(limits)}: the ffmpeg oracle passes, in ${CHUNK}-byte chunks`, async () => {
      const tx = transmux(data, limits, CHUNK);
      const media = tx.parts.flatMap((p) => p.mediaSegments);
      expect(media.filter((m) => !m.keyframe).length).toBeGreaterThan(10);
      const failures = await oracleFailures(expect, P16, 'gop', {
        chunkSize: CHUNK,
        options: limits,
      });
      expect(failures).toEqual([]);
    });
  }

  // Fragments that close while frames wait for reordering are written once every time is known.
  for (const [prefix, frames] of [
    ['p04_', 4],
    ['p14_', 7],
  ] as const) {
    const f = fixture(prefix);
    it(`${f.name}, B-frames, maxFragmentFrames ${frames}: the ffmpeg oracle passes`, async () => {
      const failures = await oracleFailures(expect, f, 'gop', {
        options: { maxFragmentFrames: frames },
      });
      expect(failures).toEqual([]);
    });
  }

  for (const layout of MP4_LAYOUTS) {
    it(`a recording (${layout}) of fragments that do not start at keyframes decodes as the raw stream`, async () => {
      const t = new Transmuxer({ ...fileTransmuxerOptions(undefined), maxFragmentFrames: 50 });
      const rec = new Mp4Recording(layout, Infinity);
      let withoutKeyframe = 0;
      const add = (outputs: TransmuxerOutput[]): void => {
        for (const o of outputs) if (o.type === 'media' && !o.keyframe) withoutKeyframe++;
        rec.add(outputs);
      };
      for (let at = 0; at < data.length; at += CHUNK) add(t.push(data.subarray(at, at + CHUNK)));
      add(t.flush());
      expect(withoutKeyframe).toBeGreaterThan(10);
      expect(rec.frames).toBe(P16.frames);
      const blob = rec.finish() as Blob;
      await withTempDir(async (dir) => {
        const file = join(dir, `p16-${layout}.mp4`);
        await writeParts(file, [new Uint8Array(await blob.arrayBuffer())]);
        const cmp = await compareWithRaw(file, fixturePath(P16.name), 30);
        expect(cmp.theirs).toHaveLength(P16.frames);
        expect(cmp.ours).toEqual(cmp.theirs);
        expect(cmp.errors).toEqual({ code: 0, stderr: '' });
        expect(cmp.grid).toBeUndefined();
      });
    });
  }
});
