// Files on a slow machine: Chromium's CPU throttled 4x and 6x through the DevTools protocol
// (Emulation.setCPUThrottlingRate), files played at 1x. Every frame must be decoded (under load the
// old player let 11 of 24 be decoded), the player must never move the playhead past frames, and the
// frames presented (requestVideoFrameCallback) must run to the last one. Frames the element drops
// slow the file down (src/player/decode-pace.ts, unit-tested): a reaction, so some are dropped
// before it; the figures are printed.
// Chosen to cover B-frames at 1080p, interlaced MBAFF (576i and 1080i with B-frames), one long GOP
// at a high bitrate; the engines' runners may extend it to every fixture.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { FIXTURES, debug, expect, test, videoState } from './support/fixtures.js';
import { encodeH264 } from './support/encode.js';

interface Stream {
  readonly frames: number;
  readonly fps: number;
  readonly data: () => Promise<Buffer>;
}

const fixture = (name: string, frames: number, fps: number): Stream => ({
  frames,
  fps,
  data: () => Promise.resolve(readFileSync(join(FIXTURES, name))),
});

const STREAMS: Readonly<Record<string, Stream>> = {
  'p04 1080p High, B-frames': fixture('p04_high_bf3_1080p30.h264', 60, 30),
  'p15 576i MBAFF, B-frames': fixture('p15_interlaced_mbaff_tff_576i25.h264', 50, 25),
  '1080i MBAFF, B-frames (x264, made here)': {
    frames: 24,
    fps: 25,
    data: () =>
      encodeH264({
        width: 1920,
        height: 1080,
        fps: 25,
        seconds: 24 / 25,
        x264: [
          ...['-preset', 'veryfast', '-profile:v', 'high', '-flags', '+ildct+ilme'],
          ...['-x264-params', 'tff=1:bframes=3:keyint=24'],
        ],
      }),
  },
  '720p one long GOP, high bitrate (x264, made here)': {
    frames: 90,
    fps: 30,
    data: () =>
      encodeH264({
        width: 1280,
        height: 720,
        fps: 30,
        seconds: 3,
        x264: [...['-preset', 'veryfast', '-qp', '12'], ...['-x264-params', 'keyint=600']],
      }),
  },
};

interface Presented {
  /** mediaTime of every frame a requestVideoFrameCallback saw, in order. */
  readonly times: number[];
  /** The compositor's count of frames presented, at the last callback. */
  frames: number;
  /** That count at the first callback. */
  firstFrames: number;
}

/** Opens the page at 1x with Chromium throttled, watching presented frames and 'ended'. */
async function openThrottled(page: Page, appUrl: string, rate: number): Promise<void> {
  await page.goto(appUrl);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate });
  await page.evaluate(() => {
    const video = document.querySelector('video');
    if (!video) throw new Error('no <video>');
    const w = window as unknown as { __ended: boolean; __presented: Presented };
    w.__ended = false;
    w.__presented = { times: [], frames: 0, firstFrames: 0 };
    video.addEventListener('ended', () => (w.__ended = true));
    const onFrame = (_now: number, meta: VideoFrameCallbackMetadata): void => {
      if (w.__presented.times.length === 0) w.__presented.firstFrames = meta.presentedFrames;
      w.__presented.times.push(meta.mediaTime);
      w.__presented.frames = meta.presentedFrames;
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  });
}

for (const [name, stream] of Object.entries(STREAMS)) {
  test(`4x and 6x CPU throttling: ${name} shows every frame`, async ({ page, appUrl }) => {
    const seconds = stream.frames / stream.fps;
    // The player may slow down to 0.25x: allow for it twice, and for the encode.
    test.setTimeout(2 * ((seconds / 0.25) * 1000 + 10_000) + 60_000);
    const data = await stream.data();
    for (const throttle of [4, 6]) {
      await openThrottled(page, appUrl, throttle);
      await page.setInputFiles('input[type=file]', {
        name: 'stream.h264',
        mimeType: 'video/h264',
        buffer: data,
      });
      await page.waitForFunction(
        () => {
          const w = window as unknown as { __ended: boolean; __h264mux: { state: string } };
          return w.__ended || w.__h264mux.state === 'error';
        },
        null,
        { timeout: (seconds / 0.25) * 1000 + 10_000 },
      );
      const state = await debug(page);
      const video = await videoState(page);
      const presented = await page.evaluate(
        () => (window as unknown as { __presented: Presented }).__presented,
      );
      const player = state.stats?.player as
        { jumps: number; slowdowns: number; playbackRate: number } | undefined;
      console.log(
        `throttled ${throttle}x ${name}: ${video.total}/${stream.frames} decoded, ${video.dropped} dropped, ` +
          `${presented.frames} presented, ${player?.slowdowns ?? '?'} slowdowns (rate ${player?.playbackRate.toFixed(2) ?? '?'})`,
      );
      expect(state.errors).toEqual([]);
      expect(state.state).toBe('ended');
      expect(video.error).toBeNull();
      // Every frame decoded: nothing skipped, nothing decoded twice.
      expect(video.total).toBe(stream.frames);
      // The player never moved the playhead.
      expect(player?.jumps).toBe(0);
      // Presented from the start up to the last frame. (How many were presented in between is
      // printed, not asserted: with the page's main thread throttled, requestVideoFrameCallback
      // misses frames and the compositor's counts are not exact: in CI, with a second browser test
      // beside it, the last callback came one frame early, 2.933 of 3 s.) That the last frame was
      // decoded is asserted above by the count.
      // The frames before the first callback were presented, not skipped: the compositor's count at
      // that callback covers them. (Its time itself says little: the throttled main thread runs the
      // callbacks late, the first at 0.48 and at 0.84 of the 24-frame 1080i stream's 0.96 s in
      // full suite runs.) A frame or two of slack for the counts' inexactness, and for frames dropped.
      const first = Math.min(...presented.times);
      expect(presented.firstFrames).toBeGreaterThanOrEqual(
        Math.round(first * stream.fps) + 1 - 2 - video.dropped,
      );
      expect(Math.max(...presented.times)).toBeGreaterThan(seconds - 2.5 / stream.fps);
    }
  });
}
