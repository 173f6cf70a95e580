// Streams made at test time with ffmpeg + libx264, for the browser tests that need more than the
// corpus: long files, interlaced 1080i, streams cut and concatenated the way users cut recordings.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOk, withTempDir } from '../../helpers/ffmpeg.js';

export interface Encoding {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** Seconds of the test pattern to encode, from `start`. */
  readonly seconds: number;
  readonly start?: number;
  /** Extra libx264 options for ffmpeg (after the codec), e.g. ['-bf', '3']. */
  readonly x264: readonly string[];
}

/** One raw Annex-B stream of `testsrc2`, with SPS/PPS in front. */
export async function encodeH264(e: Encoding): Promise<Buffer> {
  return withTempDir(async (dir) => {
    const out = join(dir, 'out.h264');
    const source = `testsrc2=size=${e.width}x${e.height}:rate=${e.fps}`;
    await runOk('ffmpeg', [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', source],
      ...(e.start ? ['-ss', String(e.start)] : []),
      ...['-t', String(e.seconds), '-pix_fmt', 'yuv420p', '-c:v', 'libx264', ...e.x264],
      ...['-f', 'h264', out],
    ]);
    return readFile(out);
  });
}
