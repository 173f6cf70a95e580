// Streams the corpus lacks, made at test time with ffmpeg + libx264: CAVLC with B-frames and MBAFF,
// 4:2:2, 4:4:4, 10-bit, monochrome, lossless, several slices with weighted prediction. For each: our
// MP4 decodes to the raw stream's frame hashes with a silent `ffmpeg -v error`, every frame is kept
// (the end-of-stream slice walk must judge each final picture whole), and a cut inside the last slice
// drops exactly that frame.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { decodeErrors, framemd5, runOk, writeParts } from '../helpers/ffmpeg.js';
import { concatSegments, frameCount, transmux } from '../helpers/transmux.js';

const STREAMS: Record<string, string[]> = {
  'cavlc-bframes': ['-coder', '0', '-bf', '3', '-profile:v', 'main', '-pix_fmt', 'yuv420p'],
  'cavlc-mbaff': [
    '-coder',
    '0',
    '-bf',
    '2',
    '-flags',
    '+ildct+ilme',
    '-x264opts',
    'tff=1',
    '-pix_fmt',
    'yuv420p',
  ],
  'cabac-422': ['-profile:v', 'high422', '-pix_fmt', 'yuv422p', '-bf', '2'],
  'cavlc-422': ['-profile:v', 'high422', '-coder', '0', '-pix_fmt', 'yuv422p'],
  'cabac-444': ['-profile:v', 'high444', '-pix_fmt', 'yuv444p', '-bf', '2'],
  'cavlc-444': ['-profile:v', 'high444', '-coder', '0', '-pix_fmt', 'yuv444p', '-bf', '2'],
  'cabac-10bit': ['-profile:v', 'high10', '-pix_fmt', 'yuv420p10le', '-bf', '2'],
  'cavlc-10bit': ['-profile:v', 'high10', '-coder', '0', '-pix_fmt', 'yuv420p10le'],
  monochrome: ['-profile:v', 'high', '-pix_fmt', 'gray'],
  lossless: ['-qp', '0', '-pix_fmt', 'yuv420p'],
  'slices-weighted': ['-x264opts', 'slices=3:weightp=2', '-bf', '3', '-pix_fmt', 'yuv420p'],
};

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'h264mux-generated-'));
  await Promise.all(
    Object.entries(STREAMS).map(([name, args]) =>
      // 1.2 s at 25 fps: 30 frames, 320x240.
      runOk('ffmpeg', [
        '-hide_banner',
        '-nostdin',
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=320x240:rate=25',
        '-t',
        '1.2',
        '-c:v',
        'libx264',
        '-preset',
        'medium',
        ...args,
        '-f',
        'h264',
        join(dir, `${name}.h264`),
      ]),
    ),
  );
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Offset where the last slice NAL unit's header byte sits, and the input's end. */
function lastSlice(data: Uint8Array): { start: number; end: number } {
  let start = -1;
  for (let i = 0; i + 3 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      const type = (data[i + 3] as number) & 0x1f;
      if (type === 1 || type === 5) start = i + 3;
    }
  }
  return { start, end: data.length };
}

describe('generated streams: every frame kept, the same pictures as the raw stream', () => {
  for (const name of Object.keys(STREAMS)) {
    it.concurrent(name, async ({ expect }) => {
      const raw = join(dir, `${name}.h264`);
      const data = new Uint8Array(await readFile(raw));
      const tx = transmux(data);
      const warnings = tx.warnings.map((w) => w.code);
      expect(warnings).not.toContain('TRUNCATED_FRAME_DROPPED');
      const out = join(dir, `${name}.mp4`);
      await writeParts(out, [concatSegments(tx.outputs)]);
      const [ours, theirs] = await Promise.all([framemd5(out), framemd5(raw)]);
      expect(theirs.length).toBe(30);
      expect(ours.map((h) => h.md5)).toEqual(theirs.map((h) => h.md5));
      expect(await decodeErrors(out)).toEqual({ code: 0, stderr: '' });

      // Cut inside the final slice: that frame goes, with the warning; the rest stays.
      const { start, end } = lastSlice(data);
      const cut = transmux(data.subarray(0, start + Math.floor((end - start) / 2)));
      expect(frameCount(cut)).toBe(29);
      expect(cut.warnings.map((w) => w.code)).toContain('TRUNCATED_FRAME_DROPPED');
    });
  }
});
