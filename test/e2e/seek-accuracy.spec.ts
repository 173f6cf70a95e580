// Seeks land on the right picture, and open-GOP restarts decode (the core prunes reference marking that names
// pictures before the start: Chromium failed the stream with PIPELINE_ERROR_DECODE). A 40 s open-GOP B-frame file (x264 --open-gop: keyframes are
// recovery points whose leading B-frames are decoded after them and presented before them) carries its
// frame number as a barcode. After a seek far beyond what was read (the source restarts at a keyframe),
// the picture shown at currentTime t must be frame floor(t × 30): the restart is placed at the
// keyframe's presentation time, which is its decode frame plus its leading pictures.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { debug, expect, test } from './support/fixtures.js';

const FPS = 30;
const BITS = 11;
const BOX = 24;

/** 320x240, 30 fps, 40 s, x264 open GOP (keyint 60, 3 B-frames), frame number as a barcode. */
function openGopBarcodeStream(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'h264mux-seek-'));
  try {
    const out = join(dir, 'open-gop.h264');
    const boxes = Array.from(
      { length: BITS },
      (_, b) =>
        `drawbox=x=${b * BOX}:y=0:w=${BOX}:h=16:color=white:t=fill:enable='mod(floor(n/${2 ** b}),2)'`,
    );
    const filter = ['drawbox=x=0:y=0:w=320:h=16:color=black:t=fill', ...boxes].join(',');
    const r = spawnSync(
      'ffmpeg',
      [
        ...['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=320x240:rate=${FPS}`],
        ...['-t', '40', '-vf', filter, '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18'],
        ...['-x264-params', 'open-gop=1:keyint=60:min-keyint=60:scenecut=0:bframes=3'],
        ...['-f', 'h264', out],
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Seeks, waits until the picture at the new position is shown, returns its time and barcode. */
function seekAndRead(page: Page, time: number): Promise<{ time: number; frame: number }> {
  return page.evaluate(
    async ({ time, bits, box }) => {
      const video = document.querySelector('video');
      if (!video) throw new Error('no <video>');
      video.pause();
      video.currentTime = time;
      // A seek that cannot complete fails with what the element says, not a test timeout.
      const diag = (step: string) => {
        const b = video.buffered;
        const r = [];
        for (let i = 0; i < b.length; i++)
          r.push(`${b.start(i).toFixed(3)}-${b.end(i).toFixed(3)}`);
        return `${step}: err=${video.error?.code}:${video.error?.message} t=${video.currentTime} rs=${video.readyState} seeking=${video.seeking} buffered=${r.join(',')}`;
      };
      await Promise.race([
        new Promise<void>((resolve) =>
          video.addEventListener('seeked', () => resolve(), { once: true }),
        ),
        new Promise((_, rej) => setTimeout(() => rej(new Error(diag('seeked'))), 30_000)),
      ]);
      // The seek may restart the source: wait until the picture at currentTime is decoded.
      const waitFrom = performance.now();
      while (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) {
        if (performance.now() - waitFrom > 30_000) throw new Error(diag('readyState'));
        await new Promise((r) => setTimeout(r, 20));
      }
      // Paused: the element shows the picture at currentTime once it has it; two animation frames
      // let it reach the compositor.
      for (let i = 0; i < 2; i++) await new Promise((r) => requestAnimationFrame(r));
      const canvas = document.createElement('canvas');
      canvas.width = bits * box;
      canvas.height = 16;
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      if (!ctx) throw new Error('no 2d context');
      ctx.drawImage(video, 0, 0, canvas.width, 16, 0, 0, canvas.width, 16);
      const data = ctx.getImageData(0, 0, canvas.width, 16).data;
      let frame = 0;
      for (let b = 0; b < bits; b++) {
        if ((data[(8 * canvas.width + b * box + box / 2) * 4] ?? 0) > 128) frame |= 1 << b;
      }
      return { time: video.currentTime, frame };
    },
    { time, bits: BITS, box: BOX },
  );
}

test('open-GOP B-frame file: after seeks that restart at a recovery point, the picture shown is the frame at currentTime', async ({
  page,
  appUrl,
}) => {
  test.setTimeout(120_000);
  const bytes = openGopBarcodeStream();
  await page.goto(appUrl);
  await page.setInputFiles('input[type=file]', {
    name: 'open-gop.h264',
    mimeType: 'application/octet-stream',
    buffer: bytes,
  });
  await expect.poll(async () => (await debug(page)).state, { timeout: 20_000 }).toBe('playing');
  // Far targets (beyond what was read: restarts), one inside the leading pictures of a recovery
  // point (keyframes at frames 60k; their leading B-frames are frames 60k-3 .. 60k-1), one back.
  for (const target of [32.05, 37.95, 26.9, 3.5]) {
    const shown = await seekAndRead(page, target);
    expect(shown.frame, `seek to ${target}: currentTime ${shown.time}`).toBe(
      Math.floor(shown.time * FPS + 1e-6),
    );
  }
  const stats = (await debug(page)).stats as { player?: { restarts?: number } } | undefined;
  expect(stats?.player?.restarts ?? 0).toBeGreaterThan(0);
  expect((await debug(page)).errors).toEqual([]);
});
