// Streams made at test time by other encoders and other settings than the fixtures': libx264 through ffmpeg,
// GStreamer's openh264enc (the encoder inside most WebRTC stacks) and x264enc, and x264 output whose SPS lost its
// VUI timing_info and bitstream_restriction (as many hardware encoders write it), rewritten with the core's SPS
// writer.
import { readFile, writeFile } from 'node:fs/promises';
import { concatBytes } from '../../src/core/bytes/concat.js';
import { AnnexBSplitter } from '../../src/core/h264/annexb.js';
import { NalType, nalBytes } from '../../src/core/h264/nal.js';
import { rewriteSps } from '../../src/core/h264/sps-writer.js';
import { parseSps } from '../../src/core/h264/sps.js';
import { runOk } from './ffmpeg.js';

/** Test picture size and rate of every made stream (small: the oracle decodes each several times). */
export const SIZE = '320x240';
export const RATE = 25;

/** `frames` pictures of ffmpeg's testsrc2 encoded by libx264 with `args`, as raw H.264, into `out`. */
export async function x264(out: string, args: readonly string[], frames: number): Promise<void> {
  await runOk('ffmpeg', [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${SIZE}:rate=${RATE}`,
    '-frames:v',
    String(frames),
    '-c:v',
    'libx264',
    ...args,
    '-f',
    'h264',
    '-y',
    out,
  ]);
}

/**
 * `frames` pictures of GStreamer's videotestsrc (4:2:0) through `encoder` (an element with its properties, e.g.
 * `openh264enc num-slices=4`), then h264parse to an Annex-B byte stream, into `out`.
 */
export async function gstreamer(
  out: string,
  encoder: string,
  frames: number,
  caps = '',
): Promise<void> {
  const [w, h] = SIZE.split('x');
  const pipeline = [
    `videotestsrc num-buffers=${frames} pattern=ball`,
    `video/x-raw,format=I420,width=${w},height=${h},framerate=${RATE}/1`,
    encoder,
    ...(caps ? [caps] : []),
    'h264parse',
    'video/x-h264,stream-format=byte-stream',
    `filesink location=${out}`,
  ].join(' ! ');
  await runOk('gst-launch-1.0', ['-q', ...pipeline.split(' ')]);
}

const START = Uint8Array.of(0, 0, 0, 1);

/** The units of an Annex-B stream, each behind a 4-byte start code, every SPS passed through `sps`. */
function mapSps(data: Uint8Array, sps: (unit: Uint8Array) => Uint8Array): Uint8Array {
  const splitter = new AnnexBSplitter();
  const parts: Uint8Array[] = [];
  for (const unit of [...splitter.push(data), ...splitter.flush()]) {
    const bytes = nalBytes(unit);
    parts.push(START, unit.type === NalType.Sps ? sps(bytes) : bytes);
  }
  return concatBytes(parts);
}

/** The stream with VUI timing_info and bitstream_restriction removed from every SPS, all else as it was. */
export function withoutTimingAndBound(data: Uint8Array): Uint8Array {
  return mapSps(data, (unit) =>
    rewriteSps(unit, parseSps(unit), { timing: 'drop', restriction: 'drop' }),
  );
}

/** Writes the files one after the other into `out` (each starts with its SPS, PPS and an IDR). */
export async function concatFiles(out: string, files: readonly string[]): Promise<void> {
  const parts = await Promise.all(files.map(async (f) => new Uint8Array(await readFile(f))));
  await writeFile(out, concatBytes(parts));
}
