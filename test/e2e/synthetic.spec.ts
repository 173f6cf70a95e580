// Hand-built streams no encoder here makes (test/helpers/synth.ts), played in Chromium, which is
// stricter than ffmpeg: field pairs (PAFF: top or bottom first, reference or not) mixed with frame pictures, and several SPS/PPS ids with
// multi-slice pictures and an MMCO 5. Each plays to `ended` with every frame decoded.
import { expect, test, debug, videoState } from './support/fixtures.js';
import {
  paffStream,
  progressiveStream,
  type CodedFrame,
  type PictureKind,
} from '../helpers/synth.js';

const STREAMS: Record<string, { data: Uint8Array; frames: number; fps: number }> = {
  paff: {
    data: paffStream({
      widthMbs: 8,
      fieldHeightMbs: 4,
      fps: 25,
      pictures: [...'fnbfFbFFnbffnffbnfbf'].map((c): PictureKind =>
        c === 'f' ? 'fields' : c === 'b' ? 'bff' : c === 'n' ? 'nonref' : 'frame',
      ),
    }),
    frames: 20,
    fps: 25,
  },
  'ids-slices-mmco5': (() => {
    const frames: CodedFrame[] = [
      { type: 'I', idr: true, poc: 0 },
      { type: 'P', poc: 2, pps: 1 },
      { type: 'I', poc: 4, slices: 3, mixed: true },
      { type: 'P', poc: 6, pps: 1, slices: 2 },
      { type: 'P', poc: 8, mmco5: true },
      { type: 'P', poc: 2, pps: 1 },
      { type: 'I', poc: 8, slices: 3, mixed: true, pps: 1 },
      { type: 'B', poc: 4 },
      { type: 'B', poc: 6, pps: 1 },
      { type: 'I', idr: true, sps1: true, poc: 0 },
      { type: 'I', poc: 6, pps: 1, slices: 2 },
      { type: 'B', poc: 2, slices: 2 },
      { type: 'B', poc: 4, pps: 1 },
      { type: 'P', poc: 8 },
      { type: 'P', poc: 10, pps: 1 },
    ];
    return {
      data: progressiveStream({ widthMbs: 8, heightMbs: 6, fps: 30, frames }),
      frames: frames.length,
      fps: 30,
    };
  })(),
};

for (const [name, stream] of Object.entries(STREAMS)) {
  test(`hand-built ${name} plays to the end with every frame`, async ({ page, appUrl }) => {
    await page.goto(`${appUrl}?rate=2`);
    await page.evaluate(() => {
      const video = document.querySelector('video');
      const w = window as unknown as { __ended: boolean };
      w.__ended = false;
      video?.addEventListener('ended', () => (w.__ended = true));
    });
    await page.setInputFiles('input[type=file]', {
      name: `${name}.h264`,
      mimeType: 'video/h264',
      buffer: Buffer.from(stream.data),
    });
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
    expect(video.total).toBe(stream.frames);
  });
}
