// lowLatency (live): a stream that does not bound its reordering (no VUI bitstream_restriction, Main
// profile, as many cameras write it) comes out frame by frame instead of MaxDpbFrames behind; one that
// does reorder after all restarts at the next keyframe with the spec's bound, and what it outputs is
// still right for ffmpeg. Streams built bit by bit (test/helpers/synth.ts).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessUnitReader } from '../../src/core/access-unit-reader.js';
import { Transmuxer, type MediaSegment, type TransmuxerOutput } from '../../src/core/index.js';
import { decodeErrors, framemd5, probeFrames, writeParts } from '../helpers/ffmpeg.js';
import { progressiveStream, type CodedFrame } from '../helpers/synth.js';
import { concatSegments, transmux } from '../helpers/transmux.js';

const SIZE = { widthMbs: 4, heightMbs: 3, fps: 30 };

/** I and P frames only, an IDR every 10: no reordering, none declared. */
const NO_B: CodedFrame[] = Array.from({ length: 40 }, (_, i) => ({
  type: i % 5 === 0 ? 'I' : 'P',
  idr: i % 10 === 0,
  poc: 2 * (i % 10),
}));

/** IDR, then I B B triples (decode order I6 B2 B4, ...), an IDR every 12 frames: reordering, undeclared. */
function withB(gops: number): CodedFrame[] {
  const frames: CodedFrame[] = [];
  for (let g = 0; g < gops; g++) {
    frames.push({ type: 'I', idr: true, poc: 0 });
    for (let k = 1; k <= 3; k++) {
      frames.push({ type: 'I', poc: k * 6 });
      frames.push({ type: 'B', poc: k * 6 - 4 });
      frames.push({ type: 'B', poc: k * 6 - 2 });
    }
    frames.push({ type: 'P', poc: 20 });
    frames.push({ type: 'P', poc: 22 });
  }
  return frames;
}

function media(outs: readonly TransmuxerOutput[]): MediaSegment[] {
  return outs.filter((o): o is MediaSegment => o.type === 'media');
}

/** Frames out after each access unit, pushed one at a time with its end marked (a framed WebSocket). */
function framesOutPerAccessUnit(data: Uint8Array, lowLatency: boolean): number[] {
  const reader = new AccessUnitReader();
  const t = new Transmuxer({ fragment: 'frame', lowLatency });
  return [...reader.push(data), ...reader.flush()].map((au) =>
    media(t.push(au.data, { endOfAccessUnit: true })).reduce((n, s) => n + s.frames, 0),
  );
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'h264mux-lowlat-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('lowLatency', () => {
  it('a Main stream with no declared reordering: each frame out at once, not 16 frames later', () => {
    const data = progressiveStream({ ...SIZE, frames: NO_B });
    expect(framesOutPerAccessUnit(data, true)).toEqual(NO_B.map(() => 1));
    // The spec's inference (§E.2.1: MaxDpbFrames, 16 for so small a picture) holds every frame back
    // until the next IDR pushes them all out.
    const held = framesOutPerAccessUnit(data, false);
    expect(held.slice(0, 11)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10]);
  });

  it('a Main stream with no declared reordering: the same pictures, PTS = DTS on the grid', async () => {
    const data = progressiveStream({ ...SIZE, frames: NO_B });
    const raw = join(dir, 'no-b.h264');
    const out = join(dir, 'no-b.mp4');
    await writeFile(raw, data);
    const tx = transmux(data, { lowLatency: true });
    expect(tx.warnings).toEqual([]);
    await writeParts(out, [concatSegments(tx.outputs)]);
    const [ours, theirs] = await Promise.all([framemd5(out), framemd5(raw)]);
    expect(ours.map((h) => h.md5)).toEqual(theirs.map((h) => h.md5));
    const samples = media(tx.outputs).flatMap((s) => s.samples);
    expect(samples.map((s) => s.pts)).toEqual(samples.map((s) => s.dts));
    expect(samples.map((s) => s.dts)).toEqual(NO_B.map((_, i) => i * 3000));
  });

  it('reordering after all: restarts at the next keyframe with the bound, output still right', async () => {
    const frames = withB(3);
    const data = progressiveStream({ ...SIZE, frames });
    const raw = join(dir, 'with-b.h264');
    const out = join(dir, 'with-b.mp4');
    await writeFile(raw, data);
    const tx = transmux(data, { lowLatency: true });
    expect(tx.warnings.map((w) => w.code)).toEqual(['REORDER_DETECTED', 'WAITING_FOR_KEYFRAME']);
    // Out: the IDR and I6 (before the first B proved reordering), then every frame from the next IDR.
    const gop = frames.length / 3;
    const samples = media(tx.outputs).flatMap((s) => s.samples);
    expect(samples.length).toBe(2 + 2 * gop);
    await writeParts(out, [concatSegments(tx.outputs)]);
    expect(await decodeErrors(out)).toEqual({ code: 0, stderr: '' });
    const [ours, theirs] = await Promise.all([framemd5(out), framemd5(raw)]);
    const theirMd5 = theirs.map((h) => h.md5);
    // Presentation order: IDR, I6 (its B-frames never came), then GOPs 2 and 3 whole.
    expect(ours.map((h) => h.md5)).toEqual([
      theirMd5[0],
      theirMd5[3],
      ...theirMd5.slice(gop, 3 * gop),
    ]);
    const probed = await probeFrames(out);
    const pts = probed.frames.map((f) => f.pts ?? Number.NaN);
    for (let i = 1; i < pts.length; i++) expect(pts[i]).toBeGreaterThan(pts[i - 1] as number);
    const dts = samples.map((s) => s.dts);
    for (let i = 1; i < dts.length; i++) expect(dts[i]).toBeGreaterThan(dts[i - 1] as number);
    // The restart re-times nothing: presentation times are the output order on the grid, with no gap.
    expect(samples.map((s) => s.pts).sort((a, b) => a - b)).toEqual(
      samples.map((_, i) => i * 3000),
    );
    // What the decoder is told: no reordering at first, then the bound held from the restart on (MaxDpbFrames:
    // 16 for so small a picture), in a new init segment just before the resumed keyframe.
    const inits = tx.outputs.filter((o) => o.type === 'init');
    expect(inits.map((o) => o.info.reorderDepth)).toEqual([0, 16]);
    expect(tx.parts[1]?.mediaSegments[0]?.samples[0]?.pictureType).toBe('IDR');
  });

  it('declared reordering (bitstream_restriction) is used from the first frame: nothing dropped', async () => {
    const frames = withB(2);
    const data = progressiveStream({ ...SIZE, frames, maxNumReorderFrames: 2 });
    const tx = transmux(data, { lowLatency: true });
    expect(tx.warnings).toEqual([]);
    expect(media(tx.outputs).reduce((n, s) => n + s.frames, 0)).toBe(frames.length);
    const raw = join(dir, 'declared.h264');
    const out = join(dir, 'declared.mp4');
    await writeFile(raw, data);
    await writeParts(out, [concatSegments(tx.outputs)]);
    const [ours, theirs] = await Promise.all([framemd5(out), framemd5(raw)]);
    expect(ours.map((h) => h.md5)).toEqual(theirs.map((h) => h.md5));
  });
});
