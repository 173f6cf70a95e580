// Every corpus fixture, picked with the page's <input type=file>, plays to `ended` with the
// manifest's frame count decoded and no media error.
import { join } from 'node:path';
import { FIXTURES, debug, expect, loadManifest, test, videoState } from './support/fixtures.js';

for (const fixture of loadManifest()) {
  test(`file ${fixture.name} plays to the end with every frame`, async ({ page, appUrl }) => {
    const seconds = fixture.frames / (fixture.fps ?? 30);
    // Long fixtures play faster to keep the suite short; every frame is still decoded.
    const rate = seconds > 6 ? 4 : 2;
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
      { timeout: (seconds / rate) * 1000 + 20_000 },
    );
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
    const [lastSize] = fixture.sizes.slice(-1);
    expect(`${video.width}x${video.height}`).toBe(lastSize);
    expect(state.stats?.info?.codec).toMatch(/^avc1\.[0-9A-F]{6}$/i);
    if (allowMissing > 0) {
      // A stream cut mid-NAL: the core drops the damaged last frame (lastPictureVerdict 'truncated') and says so.
      expect(video.total).toBe(fixture.frames - allowMissing);
      expect(JSON.stringify(state.warnings)).toContain('TRUNCATED_FRAME_DROPPED');
    }
  });
}
