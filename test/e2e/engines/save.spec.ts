// Save as MP4 and Record / Stop in every engine, as users press them: a picked file saved (the file the
// browser would download, taken from the page's Blob) decodes in ffmpeg to the raw stream's frames; a
// live recording starts at a keyframe and decodes cleanly. Chromium's own save paths (the save dialog,
// every layout and fixture) are in ../save.spec.ts.
import { writeFile } from 'node:fs/promises';
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
import type { EngineSession } from './engine.js';
import { expect, FIXTURE_PREFIX, test } from './harness.js';
import { openWatched, pickFile } from './playback.js';

const P01 = 'p01_pi_baseline_vga30_inline.h264';
const P03 = 'p03_main_bf3_pyramid_360p30.h264';

let server: StreamServer | undefined;
test.afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Keeps each Blob the page makes a URL for (the download's file), from now on. */
function keepBlobs(session: EngineSession): Promise<boolean> {
  return session.evaluate(() => {
    const w = window as unknown as { __blobs?: Blob[] };
    if (w.__blobs) return true;
    const blobs: Blob[] = [];
    w.__blobs = blobs;
    const create = URL.createObjectURL.bind(URL);
    URL.createObjectURL = (object: Blob | MediaSource) => {
      if (object instanceof Blob) blobs.push(object);
      return create(object);
    };
    return true;
  });
}

/** Chooses the layout and the download target, then presses `button`. */
function press(session: EngineSession, button: string, layout?: string): Promise<boolean> {
  return session.evaluate(
    (id: string, chosen: string | null) => {
      const choose = (select: string, value: string): void => {
        const element = document.querySelector<HTMLSelectElement>(select);
        if (!element) throw new Error(`no ${select}`);
        element.value = value;
        element.dispatchEvent(new Event('change', { bubbles: true }));
      };
      if (chosen !== null) {
        choose('#layout-select', chosen);
        choose('#target-select', 'download');
      }
      const target = document.querySelector<HTMLButtonElement>(id);
      if (!target || target.disabled) throw new Error(`${id} cannot be pressed`);
      target.click();
      return true;
    },
    button,
    layout ?? null,
  );
}

/** Waits for the save to be done, and writes the MP4 the page handed to the download to `path`. */
async function savedFile(session: EngineSession, path: string): Promise<{ frames: number }> {
  const status = await session.waitFor(
    () => {
      const save = (window as unknown as { __h264mux: { save?: { state: string } } }).__h264mux
        .save;
      return save?.state === 'done' || save?.state === 'error' ? save : undefined;
    },
    { timeoutMs: 20_000, what: 'the save done' },
  );
  expect(status).toMatchObject({ state: 'done' });
  const base64 = await session.evaluate(async () => {
    const blobs = (window as unknown as { __blobs: Blob[] }).__blobs;
    const mp4 = blobs.filter((b) => b.type === 'video/mp4').at(-1);
    if (!mp4) throw new Error(`no MP4 handed to a download (${blobs.length} blobs)`);
    const bytes = new Uint8Array(await mp4.arrayBuffer());
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000)
      text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  });
  await writeFile(path, Buffer.from(base64, 'base64'));
  return status as unknown as { frames: number };
}

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
  await keepBlobs(browserSession);
  await press(browserSession, '#record-button', 'fragmented');
  const from = server.currentFrame();
  // Two GOPs of p01 (keyint 30) at least, whatever the wait for the first keyframe.
  while (server.currentFrame() < from + 90) await new Promise((r) => setTimeout(r, 100));
  await press(browserSession, '#stop-button');
  const out = testInfo.outputPath('recording.mp4');
  const status = await savedFile(browserSession, out);
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
