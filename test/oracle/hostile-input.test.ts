// Hostile and broken input against ffmpeg: 64 MB without a start code between two valid streams, and
// parameter sets at and past the limits of §7.4.2 and Annex A. What we keep must decode exactly as the
// raw stream does; what we skip, ffmpeg refuses too.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Transmuxer, type TransmuxerOutput } from '../../src/core/index.js';
import { concatBytes } from '../../src/core/bytes/concat.js';
import { run, writeParts } from '../helpers/ffmpeg.js';
import { readFixture } from '../helpers/fixtures.js';
import { compareWithRaw } from '../helpers/oracle.js';
import { progressiveStream, type CodedFrame, type ProgressiveOptions } from '../helpers/synth.js';
import { concatSegments, transmux } from '../helpers/transmux.js';

const MiB = 1 << 20;

/** How many pictures ffmpeg decodes from `file`, whatever its exit status. */
async function framesDecoded(file: string): Promise<number> {
  const r = await run('ffmpeg', [
    '-hide_banner',
    '-nostdin',
    '-v',
    'quiet',
    '-i',
    file,
    '-f',
    'framemd5',
    '-',
  ]);
  return r.stdout
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#')).length;
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'h264mux-hostile-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** 1 MiB without a zero byte (so without a start code), from a fixed seed. */
function junkChunk(seed: number): Uint8Array {
  const out = new Uint8Array(MiB);
  let x = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = (x >>> 16) | 1;
  }
  return out;
}

describe('a valid stream, 64 MB that never reach a start code, a valid stream', () => {
  it('holds no more than one NAL unit bound at any time and muxes both streams exactly', async () => {
    const stream = readFixture('p03_main_bf3_pyramid_360p30.h264');
    const junk = junkChunk(11);
    // The junk sits behind a start code and an SEI header byte, so the first stream's last frame is whole.
    const chunks = [
      stream,
      new Uint8Array([0, 0, 1, 0x06]),
      ...new Array<Uint8Array>(64).fill(junk),
    ];
    chunks.push(stream);
    const t = new Transmuxer();
    const outputs: TransmuxerOutput[] = [];
    let pushed = 0;
    let maxRetained = 0;
    for (const c of chunks) {
      outputs.push(...t.push(c));
      pushed += c.length;
      if (pushed > stream.length + 4) maxRetained = Math.max(maxRetained, pushed - t.retainedFrom);
    }
    outputs.push(...t.flush());
    // 40 x 23 macroblocks at 3200 bits each, emulation prevention and a header allowance: 0.6 MB.
    expect(maxRetained).toBeLessThan(MiB);
    expect(outputs.flatMap((o) => (o.type === 'warning' ? [o.code] : []))).toEqual([
      'NAL_TOO_LARGE',
    ]);
    const ours = join(dir, 'junk.mp4');
    const raw = join(dir, 'junk-reference.h264');
    await writeParts(ours, [concatSegments(outputs)]);
    await writeFile(raw, concatBytes([stream, stream]));
    const cmp = await compareWithRaw(ours, raw, 30);
    expect(cmp.theirs).toHaveLength(240);
    expect(cmp.ours).toEqual(cmp.theirs);
    expect(cmp.errors).toEqual({ code: 0, stderr: '' });
    expect(cmp.grid).toBeUndefined();
  });
});

const FRAMES: CodedFrame[] = [
  { type: 'I', idr: true, poc: 0 },
  { type: 'P', poc: 2 },
  { type: 'P', poc: 4 },
  { type: 'I', idr: true, poc: 0 },
  { type: 'P', poc: 2 },
];

type Variant = Omit<ProgressiveOptions, 'widthMbs' | 'heightMbs' | 'fps' | 'frames'> & {
  readonly widthMbs?: number;
  readonly heightMbs?: number;
};

const build = (v: Variant): Uint8Array =>
  progressiveStream({ widthMbs: 4, heightMbs: 3, fps: 30, frames: FRAMES, ...v });

// At the edge of the ranges, or past the level the SPS declares (level 1: 99 macroblocks, 396 in the DPB).
const KEPT: Record<string, Variant> = {
  'max_num_ref_frames 16': { sps: { maxRefs: 16 } },
  'log2_max_frame_num_minus4 12': { sps: { log2MaxFrameNum: 16 } },
  'log2_max_pic_order_cnt_lsb_minus4 12': { sps: { log2MaxPocLsb: 16 } },
  'pic_init_qp_minus26 -26, pic_init_qs_minus26 -26': {
    pps: { picInitQpMinus26: -26, picInitQsMinus26: -26 },
  },
  'pic_init_qp_minus26 25, pic_init_qs_minus26 25': {
    pps: { picInitQpMinus26: 25, picInitQsMinus26: 25 },
  },
  'chroma_qp_index_offset 12, second_chroma_qp_index_offset -12': {
    profileIdc: 100,
    pps: { chromaQpIndexOffset: 12, secondChromaQpIndexOffset: -12 },
  },
  'level 1 with 640x480 (MaxFS 99)': { widthMbs: 40, heightMbs: 30, sps: { levelIdc: 10 } },
  'level 1 with 16 reference frames (MaxDpbFrames 4)': { sps: { levelIdc: 10, maxRefs: 16 } },
  'max_num_reorder_frames above max_dec_frame_buffering': {
    maxNumReorderFrames: 3,
    sps: { maxDecFrameBuffering: 2 },
  },
};

// Outside every level or range: ffmpeg (and Chromium, which decodes with it) refuse these streams.
const SKIPPED: Record<string, [Variant, string]> = {
  'max_num_ref_frames 17': [{ sps: { maxRefs: 17 } }, 'max_num_ref_frames 17 is outside 0..16'],
  'max_num_ref_frames 32': [{ sps: { maxRefs: 32 } }, 'max_num_ref_frames 32 is outside 0..16'],
  'max_num_ref_frames 255': [{ sps: { maxRefs: 255 } }, 'max_num_ref_frames 255 is outside 0..16'],
  'max_num_reorder_frames 17': [
    { maxNumReorderFrames: 17, sps: { maxDecFrameBuffering: 16 } },
    'max_num_reorder_frames 17 is outside 0..16',
  ],
  'log2_max_frame_num_minus4 13': [
    { sps: { log2MaxFrameNum: 17 } },
    'log2_max_frame_num_minus4 13 is outside 0..12',
  ],
  'log2_max_pic_order_cnt_lsb_minus4 13': [
    { sps: { log2MaxPocLsb: 17 } },
    'log2_max_pic_order_cnt_lsb_minus4 13 is outside 0..12',
  ],
  'bit_depth_luma_minus8 7': [
    { profileIdc: 100, sps: { bitDepthLuma: 15 } },
    'bit_depth_luma_minus8 7 is outside 0..6',
  ],
  'bit_depth_chroma_minus8 7': [
    { profileIdc: 100, sps: { bitDepthChroma: 15 } },
    'bit_depth_chroma_minus8 7 is outside 0..6',
  ],
  'pic_init_qp_minus26 26': [
    { pps: { picInitQpMinus26: 26 } },
    'pic_init_qp_minus26 26 is outside -26..25',
  ],
  'pic_init_qp_minus26 -27 (8-bit)': [
    { pps: { picInitQpMinus26: -27 } },
    'pic_init_qp_minus26 -27 is outside -26..25',
  ],
  'chroma_qp_index_offset 13': [
    { pps: { chromaQpIndexOffset: 13 } },
    'chroma_qp_index_offset 13 is outside -12..12',
  ],
  'second_chroma_qp_index_offset 13': [
    { profileIdc: 100, pps: { secondChromaQpIndexOffset: 13 } },
    'second_chroma_qp_index_offset 13 is outside -12..12',
  ],
  'num_ref_idx_l0_default_active_minus1 32': [
    { pps: { numRefIdxL0DefaultActiveMinus1: 32 } },
    'num_ref_idx_default_active out of range',
  ],
  'slice_group_map_type 7': [
    { pps: { numSliceGroupsMinus1: 1, sliceGroupMapType: 7 } },
    'slice_group_map_type 7 is outside 0..6',
  ],
};

describe('parameter sets at and past the limits of the spec', () => {
  for (const [name, variant] of Object.entries(KEPT)) {
    it(`kept: ${name}; decodes as the raw stream does`, async () => {
      const data = build(variant);
      const t = transmux(data);
      expect(t.warnings.filter((w) => w.code === 'INVALID_PARAMETER_SET')).toEqual([]);
      const base = join(dir, `kept-${name.replace(/\W+/g, '-')}`);
      await writeFile(`${base}.h264`, data);
      await writeParts(`${base}.mp4`, [concatSegments(t.outputs)]);
      const cmp = await compareWithRaw(`${base}.mp4`, `${base}.h264`, 30);
      expect(cmp.theirs).toHaveLength(FRAMES.length);
      expect(cmp.ours).toEqual(cmp.theirs);
      expect(cmp.errors).toEqual({ code: 0, stderr: '' });
    });
  }

  for (const [name, [variant, message]] of Object.entries(SKIPPED)) {
    it(`skipped with a warning naming field and value: ${name}; ffmpeg decodes nothing of it`, async () => {
      const data = build(variant);
      const t = new Transmuxer();
      const outputs = t.push(data);
      const warnings = outputs.filter((o) => o.type === 'warning');
      expect(warnings.map((w) => w.code)).toContain('INVALID_PARAMETER_SET');
      expect(warnings.find((w) => w.code === 'INVALID_PARAMETER_SET')?.message).toContain(message);
      expect(() => t.flush()).toThrow(/No decodable frames: its SPS\/PPS break the H.264 spec/);
      const raw = join(dir, `skipped-${name.replace(/\W+/g, '-')}.h264`);
      await writeFile(raw, data);
      expect(await framesDecoded(raw)).toBe(0);
    });
  }
});
