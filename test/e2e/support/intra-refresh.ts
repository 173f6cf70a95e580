// A camera with periodic intra refresh for the e2e tests: p17 (x264 --intra-refresh: an IDR picture,
// then recovery points on P pictures every 30 frames) looped in real time, handed over once its clock is
// past the loop's IDR picture and before its next recovery point: a viewer joining now starts at a
// recovery point on a P picture (src/core/h264/added-pictures.ts).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { FIXTURES } from './fixtures.js';
import { startStreamServer } from './stream-server.mjs';
import type { StreamServer } from './stream-server.mjs';

/** Frames of p17: one loop. */
export const P17_FRAMES = 150;

export async function intraRefreshCamera(): Promise<StreamServer> {
  const server = await startStreamServer({
    file: join(FIXTURES, 'p17_intra_refresh_vga30.h264'),
    fps: 30,
    loop: true,
  });
  const inLoop = (): number => server.currentFrame() % P17_FRAMES;
  while (inLoop() <= 3 || inLoop() > 20) await new Promise((resolve) => setTimeout(resolve, 20));
  return server;
}

/**
 * Writes `seconds` of x264 --intra-refresh at 30 fps to `file` (testsrc2 at `size`): one IDR picture, at
 * the start, and a recovery point on a P picture every second, as a low-latency camera records.
 */
export function encodeIntraRefresh(file: string, seconds: number, size = '320x240'): void {
  const encoded = spawnSync('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${size}:rate=30`,
    '-t',
    String(seconds),
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-x264-params',
    'intra-refresh=1:keyint=30',
    '-pix_fmt',
    'yuv420p',
    '-f',
    'h264',
    '-y',
    file,
  ]);
  if (encoded.status !== 0) throw new Error(`ffmpeg: ${encoded.stderr.toString()}`);
}
