// Save as MP4 and Record / Stop in every engine, as users press them: a picked file saved (the file the
// browser would download, taken from the page's Blob) decodes in ffmpeg to the raw stream's frames; a
// live recording starts at a keyframe and decodes cleanly. Chromium's own save paths (the save dialog,
// every layout and fixture) are in ../save.spec.ts.
import { join } from 'node:path';
import { FIXTURES } from '../support/fixtures.js';
import {
  cyclicIndexOf,
  examineSaved,
  rawHashes,
  strictlyIncreasing,
} from '../support/mp4-oracle.js';
import { startStreamServer } from '../support/stream-server.mjs';
import type { StreamServer } from '../support/stream-server.mjs';
import { expect, FIXTURE_PREFIX, test } from './harness.js';
import { openWatched, pickFile } from './playback.js';
import { keepBlobs, press, recordFrames, savedFile } from './save-page.js';

const P01 = 'p01_pi_baseline_vga30_inline.h264';
const P03 = 'p03_main_bf3_pyramid_360p30.h264';

let server: StreamServer | undefined;
test.afterEach(async () => {
  await server?.close();
  server = undefined;
});

test('a picked B-frame file saved as faststart MP4 decodes to the raw stream, frame for frame', async ({
  browserSession,
  origin,
}, testInfo) => {
  await openWatched(browserSession, origin, '');
  await keepBlobs(browserSession);
  await pickFile(browserSession, `${origin}${FIXTURE_PREFIX}${P03}`, P03);
  await browserSession.waitFor(
    () => {
      const button = document.querySelector<HTMLButtonElement>('#save-button');
      return button !== null && !button.disabled && !button.closest('[hidden]');
    },
    { timeoutMs: 15_000, what: 'the Save button shown' },
  );
  await press(browserSession, '#save-button', 'faststart');
  const out = testInfo.outputPath('saved.mp4');
  const status = await savedFile(browserSession, out);
  const facts = await examineSaved(out, join(FIXTURES, P03));
  expect(facts.boxes).toEqual(['ftyp', 'moov', 'mdat']);
  expect(facts.newErrors).toEqual([]);
  expect(facts.hashes.map((h) => h.md5)).toEqual(
    (await rawHashes(join(FIXTURES, P03))).map((h) => h.md5),
  );
  expect(status.frames).toBe(facts.hashes.length);
});

test('Record, then Stop, on a live stream: the file starts at a keyframe and decodes cleanly', async ({
  browserSession,
  origin,
}, testInfo) => {
  server = await startStreamServer({ file: join(FIXTURES, P01), fps: 30 });
  await openWatched(browserSession, origin, `?src=${encodeURIComponent(server.httpUrl)}`);
  await browserSession.waitFor(
    () => {
      const button = document.querySelector<HTMLButtonElement>('#record-button');
      return button !== null && !button.disabled && !button.closest('[hidden]');
    },
    { timeoutMs: 15_000, what: 'the Record button shown' },
  );
  const out = testInfo.outputPath('recording.mp4');
  // Two GOPs of p01 (keyint 30) at least, whatever the wait for the first keyframe.
  const status = await recordFrames(browserSession, server, 90, out);
  const facts = await examineSaved(out, join(FIXTURES, P01));
  expect(facts.boxes.slice(0, 3)).toEqual(['ftyp', 'moov', 'moof']);
  expect(facts.probed.frames[0]?.keyFrame).toBe(true);
  expect(facts.newErrors).toEqual([]);
  expect(strictlyIncreasing(facts.probed.frames.map((f) => f.pts))).toBe(true);
  expect(facts.hashes.length).toBeGreaterThanOrEqual(45);
  // The stream's own frames, in order: a run of the looped p01 from one of its keyframes.
  const looped = (await rawHashes(join(FIXTURES, P01))).map((h) => h.md5);
  const at = cyclicIndexOf(
    looped,
    facts.hashes.map((h) => h.md5),
  );
  expect(at % 30).toBe(0);
  expect(status.frames).toBe(facts.hashes.length);
});

test('Record a 25 fps camera timed at an assumed 30: the recording keeps time', async ({
  browserSession,
  origin,
}, testInfo) => {
  // p02 has no timing info (raspivid writes none): timed at 30, the recording ran 20 % fast.
  const P02 = 'p02_pi_baseline_vga30_notiming.h264';
  // Looped, as a camera goes on: p02 is 4.8 s at 25 fps, and the pace is told about 6 s after the
  // first frame (found within about 3 s, told once it has held 3 s).
  server = await startStreamServer({ file: join(FIXTURES, P02), fps: 25, loop: true });
  await openWatched(browserSession, origin, `?src=${encodeURIComponent(server.httpUrl)}`);
  // The player has found the camera's pace.
  await browserSession.waitFor(
    () =>
      (
        window as unknown as { __h264mux?: { warnings: { code: string }[] } }
      ).__h264mux?.warnings.some((w) => w.code === 'SOURCE_PACE') === true,
    { timeoutMs: 20_000, what: 'the source pace found' },
  );
  const out = testInfo.outputPath('recording-25.mp4');
  // p02's keyframes are 60 frames apart and the recording starts at the next: 120 frames sent keep 60
  // or more (75 kept 20 once, a keyframe wait of 55 frames).
  await recordFrames(browserSession, server, 120, out);
  const facts = await examineSaved(out, join(FIXTURES, P02));
  expect(facts.newErrors).toEqual([]);
  const [num, den] = facts.probed.timeBase;
  const pts = facts.probed.frames.map((f) => f.pts ?? NaN);
  expect(pts.length).toBeGreaterThanOrEqual(30);
  // Frames 1/25 s apart, as the camera sent them.
  const interval = (((pts.at(-1) ?? 0) - (pts[0] ?? 0)) / (pts.length - 1)) * (num / den);
  expect(interval).toBeCloseTo(1 / 25, 4);
});
