// A B-frame stream whose SPS declares no reorder bound, at a level that allows 16 frames of reordering (openh264's
// Cisco_Men_whisper: Main level 5.2, 9 frames). Chromium sized its output delay from the level and, the stream being
// shorter than that, showed 2 of the 9 frames before `ended`. The transmuxer writes the measured bound (1) into the
// SPS in the avcC: every frame must be decoded and the video must end on the last one.
import { join } from 'node:path';
import { FIXTURES, debug, expect, loadConformance, test, videoState } from './support/fixtures.js';

// Timing on a 2-core machine: dropped-frame ratios, frames in flight and races against a fast save move
// with the load of the suite around them (measured failing 1 run in 2 on the base commit too). Two retries
// here, for this file only; a real regression fails all three.
test.describe.configure({ retries: 2 });

const fixture = loadConformance().find((f) => f.name.includes('Cisco_Men_whisper'));

test('a B-frame stream without a reorder bound at level 5.2 plays all 9 frames to the end', async ({
  page,
  appUrl,
}) => {
  if (!fixture) throw new Error('conformance/Cisco_Men_whisper fixture missing');
  const fps = fixture.oracleArgs.fps ?? 25;
  await page.goto(`${appUrl}?fps=${fps}`);
  await page.evaluate(() => {
    const video = document.querySelector('video');
    const w = window as unknown as { __ended: boolean };
    w.__ended = false;
    video?.addEventListener('ended', () => (w.__ended = true));
  });
  await page.setInputFiles('input[type=file]', join(FIXTURES, fixture.name));
  await page.waitForFunction(
    () => {
      const w = window as unknown as { __ended: boolean; __h264mux: { state: string } };
      return w.__ended || w.__h264mux.state === 'error';
    },
    null,
    { timeout: 20_000 },
  );
  const state = await debug(page);
  expect(state.errors).toEqual([]);
  expect(state.state).toBe('ended');
  const video = await videoState(page);
  expect(video.error).toBeNull();
  expect(video.total, 'frames decoded').toBe(fixture.frames);
  // Frames the compositor skipped because the next was already due move with the machine's load (0 alone,
  // 3-5 in CI with a second browser test beside it): printed, not asserted. A decoder that held frames
  // back for lack of a reorder bound shows in `total` and in where the video ended.
  console.log(`reorder bound: ${video.total}/${fixture.frames} decoded, ${video.dropped} dropped`);
  // Ended at the last frame's end: 9 frames at 25 fps.
  expect(video.currentTime).toBeCloseTo(fixture.frames / fps, 2);
});
