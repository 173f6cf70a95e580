// Save and Record as a user presses them, in any engine: the page's buttons, and the MP4 the page hands
// to the download (taken from its Blob). Every function given to `evaluate` runs in the page.
import { writeFile } from 'node:fs/promises';
import { expect } from '@playwright/test';
import type { EngineSession } from './engine.js';

/** Keeps each Blob the page makes a URL for (the download's file), from now on. */
export function keepBlobs(session: EngineSession): Promise<boolean> {
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
export function press(session: EngineSession, button: string, layout?: string): Promise<boolean> {
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
export async function savedFile(session: EngineSession, path: string): Promise<{ frames: number }> {
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

/**
 * Record (fragmented, to a download) while the server sends `frames` more frames, then Stop: the MP4
 * written to `path`, and the page's save status.
 */
export async function recordFrames(
  session: EngineSession,
  server: { currentFrame(): number },
  frames: number,
  path: string,
): Promise<{ frames: number }> {
  await keepBlobs(session);
  await press(session, '#record-button', 'fragmented');
  const from = server.currentFrame();
  while (server.currentFrame() < from + frames) await new Promise((r) => setTimeout(r, 100));
  await press(session, '#stop-button');
  return savedFile(session, path);
}
