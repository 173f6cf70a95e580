// Streams from other encoders and settings, made at test time, through the full oracle (fragmented 'gop' and
// 'frame', and faststart): GStreamer's openh264enc and x264enc, libx264 with its VUI timing and reorder bound
// removed (as hardware encoders write it), and a stream whose parameter sets switch Baseline -> High with a
// B-pyramid -> Main with one B-frame -> Baseline, each part an encode of its own (the reorder depth must follow
// the active SPS: 0, 2, 1, 0).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { FragmentMode } from '../../src/core/index.js';
import {
  concatFiles,
  gstreamer,
  RATE,
  SIZE,
  withoutTimingAndBound,
  x264,
} from '../helpers/encoders.js';
import type { Fixture } from '../helpers/fixtures.js';
import { checkFaststart, oracleFailures } from './oracle-suite.js';

interface Recipe {
  readonly what: string;
  /** Pictures the stream holds (ffmpeg must decode them all). */
  readonly frames: number;
  readonly hasBFrames: boolean;
  /** Parameter-set changes: one init segment per part. */
  readonly parts: number;
  /** The stream carries VUI timing. */
  readonly timing: boolean;
  /**
   * Made from another stream by removing its VUI timing and reorder bound: ffmpeg decodes the pictures of that
   * stream, which has the bound (without it ffmpeg guesses the reordering and drops a picture where a B-pyramid
   * begins), to the reference hashes.
   */
  readonly stripped?: boolean;
  readonly make: (out: string, dir: string) => Promise<void>;
}

const FRAMES = 16;

/** libx264 settings of the parts of the switching stream. */
const BASELINE = ['-profile:v', 'baseline'];
const HIGH_PYRAMID = [
  '-profile:v',
  'high',
  '-bf',
  '3',
  '-b_strategy',
  '0',
  '-x264opts',
  'b-pyramid=normal',
];
const MAIN_ONE_B = ['-profile:v', 'main', '-bf', '1', '-b_strategy', '0'];

async function switching(out: string, dir: string, name: string): Promise<void> {
  const parts = [BASELINE, HIGH_PYRAMID, MAIN_ONE_B, BASELINE];
  const files = parts.map((_, i) => join(dir, `${name}-${i}.h264`));
  await Promise.all(parts.map((args, i) => x264(files[i] as string, args, FRAMES)));
  await concatFiles(out, files);
}

async function stripped(out: string, make: (raw: string) => Promise<void>): Promise<void> {
  const raw = `${out}.orig.h264`;
  await make(raw);
  await writeFile(out, withoutTimingAndBound(new Uint8Array(await readFile(raw))));
}

const RECIPES: Record<string, Recipe> = {
  'sps-switch': {
    what: 'x264: Baseline, High with a B-pyramid, Main with one B-frame, Baseline again, concatenated',
    frames: 4 * FRAMES,
    hasBFrames: true,
    parts: 4,
    timing: true,
    make: (out, dir) => switching(out, dir, 'switch'),
  },
  'sps-switch-no-bound': {
    what: 'the same with no VUI timing or bitstream_restriction in any SPS',
    frames: 4 * FRAMES,
    hasBFrames: true,
    parts: 4,
    timing: false,
    stripped: true,
    make: (out, dir) => stripped(out, (raw) => switching(raw, dir, 'switch-nb')),
  },
  'x264-pyramid-no-bound': {
    what: 'x264 High, 3 B-frames with a pyramid (adaptive), 8x8 transform, no VUI timing or bitstream_restriction',
    frames: 30,
    hasBFrames: true,
    parts: 1,
    timing: false,
    stripped: true,
    make: (out) => stripped(out, (raw) => x264(raw, ['-profile:v', 'high', '-bf', '3'], 30)),
  },
  'x264-mbaff-no-bound': {
    what: 'x264 CAVLC MBAFF with 2 B-frames, no VUI timing or bitstream_restriction',
    frames: 30,
    hasBFrames: true,
    parts: 1,
    timing: false,
    stripped: true,
    make: (out) =>
      stripped(out, (raw) =>
        x264(raw, ['-coder', '0', '-bf', '2', '-flags', '+ildct+ilme', '-x264opts', 'tff=1'], 30),
      ),
  },
  'openh264-slices': {
    what: 'GStreamer openh264enc: 4 slices per picture, an IDR every 10, AUDs, quality rate control',
    frames: 30,
    hasBFrames: false,
    parts: 1,
    timing: false,
    make: (out) => gstreamer(out, 'openh264enc slice-mode=n-slices num-slices=4 gop-size=10', 30),
  },
  'openh264-bitrate': {
    what: 'GStreamer openh264enc: one slice, bitrate rate control at 200 kbit/s with frame skipping off, screen content',
    frames: 30,
    hasBFrames: false,
    parts: 1,
    timing: false,
    make: (out) =>
      gstreamer(
        out,
        'openh264enc rate-control=bitrate bitrate=200000 enable-frame-skip=false usage-type=screen num-slices=1 complexity=high',
        30,
      ),
  },
  'x264enc-sliced-zerolatency': {
    what: 'GStreamer x264enc tune=zerolatency with sliced threads: 4 slices per picture, no B-frames',
    frames: 30,
    hasBFrames: false,
    parts: 1,
    timing: true,
    make: (out) => gstreamer(out, 'x264enc tune=zerolatency threads=4 sliced-threads=true', 30),
  },
  'x264enc-cavlc-8x8-pyramid': {
    what: 'GStreamer x264enc High CAVLC with the 8x8 transform, 3 B-frames with a pyramid, 4 references',
    frames: 30,
    hasBFrames: true,
    parts: 1,
    timing: true,
    make: (out) =>
      gstreamer(
        out,
        'x264enc bframes=3 b-pyramid=true cabac=false dct8x8=true ref=4',
        30,
        'video/x-h264,profile=high',
      ),
  },
};

/** IDR pictures: nal_unit_type 5 with first_mb_in_slice 0 (its ue(v) code starts with a 1 bit). */
function idrPictures(data: Uint8Array): number {
  let n = 0;
  for (let i = 0; i + 4 < data.length; i++) {
    if (data[i] !== 0 || data[i + 1] !== 0 || data[i + 2] !== 1) continue;
    if (((data[i + 3] as number) & 0x1f) === 5 && ((data[i + 4] as number) & 0x80) !== 0) n++;
  }
  return n;
}

/** avc1.PPCCLL from the bytes of the stream's first SPS (profile_idc, constraint flags, level_idc). */
function firstCodec(data: Uint8Array): string {
  for (let i = 0; i + 6 < data.length; i++) {
    if (
      data[i] === 0 &&
      data[i + 1] === 0 &&
      data[i + 2] === 1 &&
      ((data[i + 3] as number) & 0x1f) === 7
    ) {
      const hex = (b: number): string => b.toString(16).toUpperCase().padStart(2, '0');
      return `avc1.${hex(data[i + 4] as number)}${hex(data[i + 5] as number)}${hex(data[i + 6] as number)}`;
    }
  }
  throw new Error('no SPS');
}

let dir = '';
const made = new Map<string, Fixture>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'h264mux-encoders-'));
  await Promise.all(
    Object.entries(RECIPES).map(async ([name, recipe]) => {
      const file = join(dir, `${name}.h264`);
      await recipe.make(file, dir);
      const data = new Uint8Array(await readFile(file));
      const [width, height] = SIZE.split('x').map(Number) as [number, number];
      made.set(name, {
        name: file,
        what: recipe.what,
        width,
        height,
        fps: recipe.timing ? RATE : null,
        frames: recipe.frames,
        profile: '',
        hasBFrames: recipe.hasBFrames,
        accessUnits: recipe.frames,
        idr: idrPictures(data),
        recoverySei: 0,
        codec: firstCodec(data),
        sizes: Array.from({ length: recipe.parts }, () => SIZE),
        bytes: data.length,
        oracleArgs: recipe.timing ? {} : { fps: RATE },
      });
    }),
  );
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The raw stream ffmpeg's decode of ours is compared with (see Recipe.stripped). */
function reference(name: string, f: Fixture): string {
  return RECIPES[name]?.stripped ? `${f.name}.orig.h264` : f.name;
}

describe('streams from other encoders and settings through the oracle', () => {
  for (const name of Object.keys(RECIPES)) {
    for (const mode of ['gop', 'frame'] as FragmentMode[]) {
      it.concurrent(`${name}, fragment '${mode}'`, async ({ expect }) => {
        const f = made.get(name) as Fixture;
        const failures = await oracleFailures(expect, f, mode, {
          raw: f.name,
          reference: reference(name, f),
        });
        expect(failures, f.what).toEqual([]);
      });
    }
    it.concurrent(`${name}, faststart`, async ({ expect }) => {
      const f = made.get(name) as Fixture;
      await checkFaststart(expect, f, f.name, reference(name, f));
    });
  }
});
