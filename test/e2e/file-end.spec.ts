// A file made of chunks cut from one recording and concatenated (each with SPS/PPS and an IDR, the
// way people cut their recordings) ends, with every frame decoded, although the buffer behind the
// playhead is trimmed after the end of the stream was signalled (issue 11 failure 2: the trim
// re-opened the ended MediaSource, `ended` never fired, 1198 of 1200 frames decoded).
import { debug, expect, test, videoState } from './support/fixtures.js';
import { encodeH264 } from './support/encode.js';

const CHUNKS = 5;
const CHUNK_SECONDS = 8;
/** The recording's own keyframe interval (2 s): each chunk starts at one. */
const GOP = 48;
const FPS = 24;

test('five concatenated High B-frame chunks (40 s) play to the end with every frame', async ({
  page,
  appUrl,
}) => {
  test.setTimeout(90_000);
  // 40 s: the file is read to its end (20 s ahead) long before the playhead is 32 s in, where the
  // first trim (30 s kept behind, up to a keyframe) happens. One encode with SPS/PPS at every IDR
  // (every 2 s): the bytes of five 8 s chunks cut at their keyframes and joined again.
  const stream = await encodeH264({
    width: 854,
    height: 480,
    fps: FPS,
    seconds: CHUNKS * CHUNK_SECONDS,
    x264: [
      ...['-preset', 'superfast', '-profile:v', 'high', '-bf', '3'],
      ...['-x264-params', `keyint=${GOP}:min-keyint=${GOP}:scenecut=0:repeat-headers=1`],
    ],
  });
  const frames = CHUNKS * CHUNK_SECONDS * FPS;
  await page.goto(`${appUrl}?rate=4`);
  await page.evaluate(() => {
    const w = window as unknown as { __ended: boolean };
    w.__ended = false;
    document.querySelector('video')?.addEventListener('ended', () => (w.__ended = true));
  });
  await page.setInputFiles('input[type=file]', {
    name: 'cut-and-joined.h264',
    mimeType: 'video/h264',
    buffer: stream,
  });
  await page.waitForFunction(
    () => {
      const w = window as unknown as { __ended: boolean; __h264mux: { state: string } };
      return w.__ended || w.__h264mux.state === 'error';
    },
    null,
    { timeout: 60_000 },
  );
  const state = await debug(page);
  expect(state.errors).toEqual([]);
  expect(state.state).toBe('ended');
  const player = state.stats?.player as { evictions: number; bufferedEnd: number } | undefined;
  // The trim after the end of the stream did happen.
  expect(player?.evictions).toBeGreaterThan(0);
  expect(player?.bufferedEnd).toBeCloseTo(frames / FPS, 2);
  const video = await videoState(page);
  expect(video.ended).toBe(true);
  expect(video.total).toBe(frames);
});
