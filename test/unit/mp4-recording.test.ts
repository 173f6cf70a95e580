// The in-memory recording (src/worker/mp4-file.ts) in both layouts: one init, the right boxes, the byte
// bound, and the inspector's pure helpers on real transmuxer output.
import { describe, expect, it } from 'vitest';
import { Transmuxer } from '../../src/core/index.js';
import type { TransmuxerOutput } from '../../src/core/index.js';
import { fileTransmuxerOptions, Mp4Recording } from '../../src/worker/mp4-file.js';
import { describeParameterSets } from '../../src/app/h264-details.js';
import { parameterSetsOf } from '../../src/core/mp4/init.js';
import { readFixture } from '../helpers/fixtures.js';
import { topLevelBoxes } from '../helpers/mp4.js';
import { progressiveStream } from '../helpers/synth.js';

function outputsOf(name: string): TransmuxerOutput[] {
  const t = new Transmuxer(fileTransmuxerOptions(undefined));
  return [...t.push(readFixture(name)), ...t.flush()];
}

async function boxesOf(blob: Blob): Promise<string[]> {
  return topLevelBoxes(new Uint8Array(await blob.arrayBuffer())).map((b) => b.type);
}

describe('Mp4Recording', () => {
  const p10 = outputsOf('p10_spschange_360p_to_720p.h264');
  const frames = p10.reduce((n, o) => n + (o.type === 'media' ? o.frames : 0), 0);

  it('fragmented: one init for the whole file, even across an SPS change', async () => {
    const rec = new Mp4Recording('fragmented', Infinity);
    rec.add(p10);
    const boxes = await boxesOf(rec.finish() as Blob);
    expect(boxes.filter((b) => b === 'moov')).toHaveLength(1);
    expect(boxes.slice(0, 3)).toEqual(['ftyp', 'moov', 'moof']);
    expect(rec.frames).toBe(frames);
    expect(rec.firstKeyframe).toBe(true);
  });

  it('faststart: ftyp, moov, mdat', async () => {
    const rec = new Mp4Recording('faststart', Infinity);
    rec.add(p10);
    expect(await boxesOf(rec.finish() as Blob)).toEqual(['ftyp', 'moov', 'mdat']);
    expect(rec.frames).toBe(frames);
  });

  it('stops keeping media at the byte bound and says so', () => {
    const firstMedia = p10.find((o) => o.type === 'media');
    if (firstMedia?.type !== 'media') throw new Error('no media');
    const rec = new Mp4Recording('faststart', firstMedia.data.byteLength);
    rec.add(p10);
    expect(rec.capped).toBe(true);
    expect(rec.frames).toBe(firstMedia.frames);
    expect(rec.bytes).toBeLessThanOrEqual(firstMedia.data.byteLength);
  });

  it('has no file before an init segment and a frame', () => {
    expect(new Mp4Recording('fragmented', Infinity).finish()).toBeUndefined();
  });
});

describe('inspector parameter-set view', () => {
  it('reads the SPS/PPS of the init segment avcC', () => {
    const init = outputsOf('p03_main_bf3_pyramid_360p30.h264').find((o) => o.type === 'init');
    if (init?.type !== 'init') throw new Error('no init');
    const sets = parameterSetsOf(init.description);
    expect(sets.sps).toHaveLength(1);
    expect(sets.pps).toHaveLength(1);
    expect((sets.sps[0]?.[0] ?? 0) & 0x1f).toBe(7);
    const details = describeParameterSets(init);
    expect(details.sps?.width).toBe(640);
    expect(details.sps?.height).toBe(360);
    const rows = Object.fromEntries(details.rows);
    expect(rows['Profile / level']).toBe('Main (77) / 3 (30)');
    expect(rows['Cropping']).toBe('left 0, right 0, top 0, bottom 4 → 640×360');
    expect(rows['Reorder depth, declared by the stream']).toBe('2 (max_num_reorder_frames)');
    expect(rows['Reorder depth, written for the decoder']).toBe("2 (the stream's own)");
  });

  it('shows the reorder bound the stream declares and the one written for the decoder', () => {
    // Main, level 4 at 4x3 macroblocks, no bitstream_restriction: the spec lets a decoder hold 16 frames,
    // the stream reorders by one (each B-frame comes after the P-frame it precedes).
    const data = progressiveStream({
      widthMbs: 4,
      heightMbs: 3,
      fps: 30,
      frames: [
        { type: 'I', idr: true, poc: 0 },
        { type: 'P', poc: 4 },
        { type: 'B', poc: 2 },
        { type: 'P', poc: 8 },
        { type: 'B', poc: 6 },
      ],
    });
    const t = new Transmuxer(fileTransmuxerOptions(undefined));
    const init = [...t.push(data), ...t.flush()].find((o) => o.type === 'init');
    if (init?.type !== 'init') throw new Error('no init');
    expect(init.info).toMatchObject({
      streamReorderDepth: 16,
      streamDeclaresReorder: false,
      reorderDepth: 1,
    });
    const rows = Object.fromEntries(describeParameterSets(init).rows);
    expect(rows['Reorder depth, declared by the stream']).toBe(
      "16 (none declared: the spec's bound, §E.2.1)",
    );
    expect(rows['Reorder depth, written for the decoder']).toBe(
      '1 (max_num_reorder_frames written into the SPS)',
    );
  });
});
