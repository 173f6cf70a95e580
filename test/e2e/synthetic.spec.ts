// Hand-built streams no encoder here makes (test/helpers/synth.ts), played in Chromium, which is
// stricter than ffmpeg: field pairs (PAFF: top or bottom first, reference or not) mixed with frame pictures, and several SPS/PPS ids with
// multi-slice pictures and an MMCO 5, levels lower than the stream needs. Each plays to `ended` with
// every frame decoded.
import { expect, test, debug, videoState } from './support/fixtures.js';
import {
  paffStream,
  progressiveStream,
  MULTI_ID_FRAMES,
  type CodedFrame,
  type PictureKind,
} from '../helpers/synth.js';

const I_AND_P: CodedFrame[] = [
  { type: 'I', idr: true, poc: 0 },
  { type: 'P', poc: 2 },
  { type: 'P', poc: 4 },
  { type: 'I', poc: 6 },
  { type: 'P', poc: 8 },
  { type: 'P', poc: 10 },
];

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
  'ids-slices-mmco5': {
    data: progressiveStream({ widthMbs: 8, heightMbs: 6, fps: 30, frames: MULTI_ID_FRAMES }),
    frames: MULTI_ID_FRAMES.length,
    fps: 30,
  },
  // Levels lower than the stream needs (src/core/h264/validate.ts keeps them): Chromium plays them.
  'level 1 (MaxFS 99) at 640x480': {
    data: progressiveStream({
      widthMbs: 40,
      heightMbs: 30,
      fps: 30,
      frames: I_AND_P,
      maxNumReorderFrames: 0,
      sps: { levelIdc: 10 },
    }),
    frames: I_AND_P.length,
    fps: 30,
  },
  'level 1 with 16 reference frames (MaxDpbFrames 8)': {
    data: progressiveStream({
      widthMbs: 8,
      heightMbs: 6,
      fps: 30,
      frames: I_AND_P,
      maxNumReorderFrames: 0,
      sps: { levelIdc: 10, maxRefs: 16 },
    }),
    frames: I_AND_P.length,
    fps: 30,
  },
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
