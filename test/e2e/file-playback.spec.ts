// Every corpus fixture and every conformance stream (other encoders: JVT reference streams, openh264),
// picked with the page's <input type=file>, plays to `ended` with the manifest's frame count decoded and
// no media error.
import { join } from 'node:path';
import { settleFrameCounts } from './support/settle-counts.js';
import {
  FIXTURES,
  debug,
  expect,
  loadConformance,
  loadManifest,
  longestFirst,
  test,
  videoState,
} from './support/fixtures.js';

/**
 * Element sizes Chromium reports otherwise, with the reason. CVFC1 crops 26 pixels on the left: FFmpeg's decoder
 * (Chromium's) leaves a left crop that is not aligned in place (`ffprobe -show_frames` on our MP4: 326x168, the
 * MP4 says 300x168), and Chromium scales that to the container's aspect ratio: 326x183.
 */
const ELEMENT_SIZE_QUIRKS: Readonly<Record<string, string>> = {
  'conformance/CVFC1_Sony_C.jsv': '326x183',
};

// Error_I_P (three coded video sequences CIF, VGA, CIF of two frames each): on a loaded machine, started at
// its first frame with the rest still being appended, Chromium's clock ran on past the buffered data at a
// size change (currentTime 0.54-0.81 s with 0-0.16 s buffered in a 0.24 s file) and the run-off check then
// decoded two frames again (8 of 6, 4 runs in 18 with a second test beside it). The player now starts a
// file with 0.5 s buffered or all of it (0 of 12 then). Still, 2 runs in 12 beside another test ended with
// the element at the middle sequence's 640x480 (its last two frames dropped as late, every frame decoded):
// two retries for this fixture only, the checks kept strict.
const RACY_FIXTURES = new Set(['conformance/Error_I_P.264']);

/** Defines the tests `define` makes, in a describe block with two retries for a racy fixture. */
function withRetriesFor(name: string, define: () => void): void {
  if (!RACY_FIXTURES.has(name)) return define();
  test.describe('(two retries: last frames dropped as late at a size change)', () => {
    test.describe.configure({ retries: 2 });
    define();
  });
}

for (const fixture of longestFirst([...loadManifest(), ...loadConformance()])) {
  withRetriesFor(fixture.name, () =>
    test(`file ${fixture.name} plays to the end with every frame`, async ({ page, appUrl }) => {
      const seconds = fixture.frames / (fixture.fps ?? fixture.oracleArgs.fps ?? 30);
      // Long fixtures play faster to keep the suite short; every frame is still decoded.
      const rate = seconds > 6 ? 4 : 2;
      test.setTimeout((seconds / rate) * 2_000 + 60_000);
      const query = new URLSearchParams({ rate: String(rate) });
      if (fixture.oracleArgs.fps !== undefined) query.set('fps', String(fixture.oracleArgs.fps));
      await page.goto(`${appUrl}?${query.toString()}`);
      await page.evaluate(() => {
        const video = document.querySelector('video');
        const w = window as unknown as { __ended: boolean; __videoErrors: string[] };
        w.__ended = false;
        w.__videoErrors = [];
        video?.addEventListener('ended', () => (w.__ended = true));
        video?.addEventListener('error', () => w.__videoErrors.push(String(video.error?.message)));
      });
      await page.setInputFiles('input[type=file]', join(FIXTURES, fixture.name));
      await page.waitForFunction(
        () => {
          const w = window as unknown as { __ended: boolean; __h264mux: { state: string } };
          return w.__ended || w.__h264mux.state === 'error';
        },
        null,
        // Generous: a busy machine slows a file down rather than drop its frames (decode pace).
        { timeout: (seconds / rate) * 2_000 + 20_000 },
      );
      // The compositor's counter may trail 'ended' on a loaded machine (VID_1280x720 read 299 of 300 at once
      // in a full suite run, 300 on the retry): read it once it has held still for 300 ms (at most 2 s).
      await page.evaluate(settleFrameCounts, { maxMs: 2000, untilPresented: false });
      const state = await debug(page);
      expect(state.errors).toEqual([]);
      expect(state.state).toBe('ended');
      const video = await videoState(page);
      expect(video.error).toBeNull();
      expect(video.ended).toBe(true);
      const allowMissing = fixture.oracleArgs.allowMissing ?? 0;
      expect(video.total).toBeGreaterThanOrEqual(fixture.frames - allowMissing);
      expect(video.total).toBeLessThanOrEqual(fixture.frames);
      // The file's timeline starts at its first presented frame (B-frame streams too): no start gap,
      // so the player never had to move a stuck playhead (such a nudge decoded a frame twice).
      const player = state.stats?.player as { jumps: number; bufferedStart: number } | undefined;
      expect(player?.jumps).toBe(0);
      expect(player?.bufferedStart).toBe(0);
      // The picture's size (cropped) as the manifest has it; the element's, that size with the sample aspect
      // ratio applied (the core's display size, written in tkhd and pasp).
      const [lastSize] = fixture.sizes.slice(-1);
      const info = state.stats?.info;
      expect(`${info?.width}x${info?.height}`).toBe(lastSize);
      expect(`${video.width}x${video.height}`).toBe(
        ELEMENT_SIZE_QUIRKS[fixture.name] ?? `${info?.displayWidth}x${info?.displayHeight}`,
      );
      expect(state.stats?.info?.codec).toMatch(/^avc1\.[0-9A-F]{6}$/i);
      if (allowMissing > 0) {
        // A stream cut mid-NAL: the core drops the damaged last frame (lastPictureVerdict 'truncated') and says so.
        expect(video.total).toBe(fixture.frames - allowMissing);
        expect(JSON.stringify(state.warnings)).toContain('TRUNCATED_FRAME_DROPPED');
      }
    }),
  );
}
