// Seeking in a dropped file beyond what has been read: the file source indexes keyframe offsets
// while reading and restarts at the keyframe before the target (File.slice), on the file's timeline.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { FIXTURES, debug, expect, test, videoState } from './support/fixtures.js';
import { encodeIntraRefresh } from './support/intra-refresh.js';

interface Media {
  currentTime: number;
  duration: number;
  ranges: [number, number][];
  seeking: boolean;
  paused: boolean;
}

function media(page: Page): Promise<Media> {
  return page.evaluate(() => {
    const v = document.querySelector('video');
    if (!v) throw new Error('no <video>');
    const ranges: [number, number][] = [];
    for (let i = 0; i < v.buffered.length; i++)
      ranges.push([v.buffered.start(i), v.buffered.end(i)]);
    return {
      currentTime: v.currentTime,
      duration: v.duration,
      ranges,
      seeking: v.seeking,
      paused: v.paused,
    };
  });
}

/**
 * The duration (an estimate from the bytes read) once media is buffered, else 0. The estimate can
 * come before the first frame is buffered; a seek that early is not a restart (the player reports
 * seeks outside the buffer only once playback started): the source would read up to the target.
 */
async function estimatedDuration(page: Page): Promise<number> {
  const { duration, ranges } = await media(page);
  return ranges.length > 0 && Number.isFinite(duration) ? duration : 0;
}

async function restarts(page: Page): Promise<number> {
  const stats = (await debug(page)).stats as { player?: { restarts?: number } } | undefined;
  return stats?.player?.restarts ?? 0;
}

function seek(page: Page, time: number): Promise<void> {
  return page.evaluate((t) => {
    const v = document.querySelector('video');
    if (v) v.currentTime = t;
  }, time);
}

async function watchEnded(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __ended: boolean };
    w.__ended = false;
    document.querySelector('video')?.addEventListener('ended', () => (w.__ended = true));
  });
}

/** Waits for the 'ended' event that `watchEnded` listens for. */
async function untilEnded(page: Page, timeout = 20_000): Promise<void> {
  await expect
    .poll(() => page.evaluate(() => (window as unknown as { __ended: boolean }).__ended), {
      timeout,
    })
    .toBe(true);
}

/** Opens `times` copies of a fixture, back to back, as one dropped file (rate 2, 'ended' watched). */
async function openRepeated(
  page: Page,
  appUrl: string,
  fixture: string,
  times: number,
  name: string,
): Promise<void> {
  const one = readFileSync(join(FIXTURES, fixture));
  await page.goto(`${appUrl}?rate=2`);
  await watchEnded(page);
  await page.setInputFiles('input[type=file]', {
    name,
    mimeType: 'application/octet-stream',
    buffer: Buffer.concat(Array.from({ length: times }, () => one)),
  });
}

test('file p16 (21 s, one 20 s GOP): seek to 15 s at once, playback resumes there', async ({
  page,
  appUrl,
}) => {
  await page.goto(`${appUrl}?rate=2`);
  await watchEnded(page);
  await page.setInputFiles('input[type=file]', join(FIXTURES, 'p16_longgop_keyint600.h264'));
  // As soon as the page knows the file is longer than 15 s (estimated from the bytes read).
  await expect.poll(() => estimatedDuration(page), { timeout: 15_000 }).toBeGreaterThan(15);
  await seek(page, 15);
  await expect
    .poll(async () => (await media(page)).currentTime, { timeout: 15_000 })
    .toBeGreaterThan(15.5);
  const m = await media(page);
  expect(m.currentTime).toBeLessThan(19);
  await untilEnded(page);
  const end = await media(page);
  expect(end.duration).toBeCloseTo(21, 1);
  expect((await debug(page)).errors).toEqual([]);
  expect((await videoState(page)).error).toBeNull();
});

/**
 * A 60 s file, 50 s not read yet: seek there. Reading restarts once, at the keyframe at or before
 * 50 s (not before `keyframeFrom`), and the file ends exactly at 60 s on the same timeline.
 */
async function seekTo50AndPlayOut(page: Page, keyframeFrom: number): Promise<void> {
  await seek(page, 50);
  await expect
    .poll(async () => (await media(page)).currentTime, { timeout: 15_000 })
    .toBeGreaterThan(50.5);
  expect(await restarts(page)).toBe(1);
  // Nothing between was read into the buffer.
  const after = await media(page);
  expect(after.ranges[0]?.[0]).toBeGreaterThanOrEqual(keyframeFrom);
  expect(after.ranges[0]?.[0]).toBeLessThanOrEqual(50.01);
  await untilEnded(page);
  const end = await media(page);
  expect(end.duration).toBeCloseTo(60, 2);
  expect(end.ranges.at(-1)?.[1]).toBeCloseTo(60, 2);
}

test('file of 60 s: seek far ahead restarts at a keyframe (bytes between skipped), then back', async ({
  page,
  appUrl,
}) => {
  // p01 (5 s, keyframe every second, SPS/PPS in front of each) twelve times: 60 s, 1800 frames.
  await openRepeated(page, appUrl, 'p01_pi_baseline_vga30_inline.h264', 12, 'long.h264');
  await expect.poll(() => estimatedDuration(page), { timeout: 15_000 }).toBeGreaterThan(55);
  const before = await media(page);
  // Read ahead is bounded (20 s): 50 s is not buffered yet.
  expect(before.ranges.every(([, e]) => e < 45)).toBe(true);
  // The keyframe is at 50 s; on the file's timeline the end is exactly 1800 frames / 30 fps.
  await seekTo50AndPlayOut(page, 49.9);

  // Back to a part that was never read into this buffer: a second restart, from the keyframe at 5 s.
  // (The element paused at the end, as media elements do: play again.)
  await seek(page, 5.5);
  await page.evaluate(() => document.querySelector('video')?.play());
  await expect
    .poll(async () => (await media(page)).currentTime, { timeout: 15_000 })
    .toBeGreaterThan(6);
  expect(await restarts(page)).toBe(2);
  const back = await media(page);
  expect(back.ranges[0]?.[0]).toBeCloseTo(5, 2);
  expect(back.paused).toBe(false);
  expect((await debug(page)).errors).toEqual([]);
  expect((await videoState(page)).error).toBeNull();
});

test('a periodic-intra-refresh recording of 60 s: a far seek restarts at a recovery point and plays', async ({
  page,
  appUrl,
}, testInfo) => {
  // x264 --intra-refresh (one IDR picture, at the start; a recovery point on a P picture every second),
  // as a low-latency camera records. The restart after the seek begins at a recovery point, and
  // Chromium's MSE starts only at an IDR picture: before, the seek never got a frame on screen (the
  // file has no later IDR picture). The transmuxer's start picture goes first
  // (TransmuxerOptions.startPicture).
  const file = testInfo.outputPath('intra-refresh-60s.h264');
  encodeIntraRefresh(file, 60);
  await page.goto(`${appUrl}?rate=2`);
  await watchEnded(page);
  await page.setInputFiles('input[type=file]', file);
  await expect.poll(() => estimatedDuration(page), { timeout: 15_000 }).toBeGreaterThan(55);
  await seekTo50AndPlayOut(page, 49);
  expect((await debug(page)).errors).toEqual([]);
  expect((await videoState(page)).error).toBeNull();
});

test('a periodic-intra-refresh recording of 60 s plays to its end, trimmed behind the playhead', async ({
  page,
  appUrl,
}, testInfo) => {
  // Chromium's MSE takes a recovery point on a P picture for no random access point, and a removal
  // takes every frame up to the next one: the trim 30 s behind the playhead, cut at a recovery point,
  // removed everything buffered, and the player went on from the end (a 90 s file: 939 of 2700 frames
  // decoded, then 'ended'). The transmuxer's anchors (TransmuxerOptions.anchorInterval) give the trim
  // places to cut.
  testInfo.setTimeout(120_000);
  const file = testInfo.outputPath('intra-refresh-60s.h264');
  encodeIntraRefresh(file, 60);
  await page.goto(`${appUrl}?rate=4`);
  await watchEnded(page);
  await page.setInputFiles('input[type=file]', file);
  // 15 s at rate 4; a loaded machine plays slower.
  await untilEnded(page, 90_000);
  const decoded = await page.evaluate(
    () => document.querySelector('video')?.getVideoPlaybackQuality().totalVideoFrames ?? 0,
  );
  // Every frame, and one anchor per 10 s or more.
  expect(decoded).toBeGreaterThanOrEqual(1800);
  expect(decoded).toBeLessThanOrEqual(1806);
  const end = await media(page);
  expect(end.ranges).toHaveLength(1);
  expect(end.ranges[0]?.[0]).toBeGreaterThan(15);
  expect((await debug(page)).errors).toEqual([]);
  expect((await videoState(page)).error).toBeNull();
});

test('B-frame file of 60 s: the timeline starts at 0 and a far seek restarts on the same timeline', async ({
  page,
  appUrl,
}) => {
  // p03 (4 s, Main, pyramid B-frames: its first frame is presented 2 frames after its first DTS)
  // fifteen times: 60 s, 1800 frames. The player moves the first presented frame to 0; a restart
  // must be placed on that same shifted timeline, or the buffer would end 2 frames past 60 s.
  await openRepeated(page, appUrl, 'p03_main_bf3_pyramid_360p30.h264', 15, 'long-b.h264');
  await expect.poll(() => estimatedDuration(page), { timeout: 15_000 }).toBeGreaterThan(55);
  const before = await media(page);
  expect(before.ranges[0]?.[0]).toBe(0);
  expect(before.ranges.every(([, e]) => e < 45)).toBe(true);
  // p03 has a keyframe every 4 s at most.
  await seekTo50AndPlayOut(page, 45.9);
  expect((await debug(page)).errors).toEqual([]);
  expect((await videoState(page)).error).toBeNull();
});
