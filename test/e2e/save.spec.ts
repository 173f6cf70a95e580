// Save as MP4 (both layouts, download and streamed-to-disk paths) and Record / Stop on a live stream;
// every saved file goes through the ffmpeg oracle in Node.
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { FIXTURES, debug, expect, loadManifest, test, videoState } from './support/fixtures.js';
import {
  cyclicIndexOf,
  examineSaved,
  rawHashes,
  strictlyIncreasing,
} from './support/mp4-oracle.js';
import { startStreamServer } from './support/stream-server.mjs';
import type { StreamServer } from './support/stream-server.mjs';

// Timing on a 2-core machine: dropped-frame ratios, frames in flight and races against a fast save move
// with the load of the suite around them (measured failing 1 run in 2 on the base commit too). Two retries
// here, for this file only; a real regression fails all three.
test.describe.configure({ retries: 2 });

const manifest = loadManifest();

function fixture(prefix: string): (typeof manifest)[number] {
  const f = manifest.find((m) => m.name.startsWith(prefix));
  if (!f) throw new Error(`fixture ${prefix} missing`);
  return f;
}

interface SaveStatus {
  state: string;
  message: string;
  frames: number;
  firstKeyframe: boolean | undefined;
}

function saveStatus(page: Page): Promise<SaveStatus> {
  return page.evaluate(
    () => (window as unknown as { __h264mux: { save: SaveStatus } }).__h264mux.save,
  );
}

/** Drops `name` on the page, saves it in `layout` as a download, returns the saved path. */
async function saveAsDownload(
  page: Page,
  name: string,
  layout: 'fragmented' | 'faststart',
  outPath: string,
): Promise<void> {
  await page.setInputFiles('input[type=file]', join(FIXTURES, name));
  await page.selectOption('#layout-select', layout);
  await page.selectOption('#target-select', 'download');
  const download = page.waitForEvent('download');
  await page.click('#save-button');
  const file = await download;
  expect(file.suggestedFilename()).toBe(name.replace(/\.h264$/, '.mp4'));
  await file.saveAs(outPath);
  await expect.poll(async () => (await saveStatus(page)).state).toBe('done');
}

// p16 is one 600-frame GOP: its fragments close at the core's fragment limits, most without a keyframe first.
for (const prefix of ['p01', 'p03', 'p10', 'p12', 'p16']) {
  const f = fixture(prefix);
  const layouts =
    prefix === 'p12' ? (['faststart'] as const) : (['fragmented', 'faststart'] as const);
  for (const layout of layouts) {
    test(`save ${f.name} as ${layout} MP4 (download) passes the ffmpeg oracle`, async ({
      page,
      appUrl,
    }, testInfo) => {
      await page.goto(appUrl);
      const out = testInfo.outputPath(`${prefix}-${layout}.mp4`);
      await saveAsDownload(page, f.name, layout, out);
      const raw = join(FIXTURES, f.name);
      const facts = await examineSaved(out, raw);
      if (layout === 'faststart') expect(facts.boxes).toEqual(['ftyp', 'moov', 'mdat']);
      else {
        expect(facts.boxes.slice(0, 3)).toEqual(['ftyp', 'moov', 'moof']);
        expect(facts.boxes.filter((b) => b === 'moov').length).toBe(1);
      }
      const expected = await rawHashes(raw, f.oracleArgs.fps);
      const missing = f.oracleArgs.allowMissing ?? 0;
      expect(facts.hashes.length).toBeGreaterThanOrEqual(expected.length - missing);
      expect(facts.hashes.map((h) => h.md5)).toEqual(
        expected.slice(0, facts.hashes.length).map((h) => h.md5),
      );
      expect(strictlyIncreasing(facts.probed.frames.map((fr) => fr.pts))).toBe(true);
      expect(facts.newErrors).toEqual([]);
      const status = await saveStatus(page);
      expect(status.frames).toBe(facts.hashes.length);
      // The core drops a frame the stream ends inside (its warning); the worker's decoder check
      // words it differently when it is the one that finds it.
      if (missing > 0) {
        expect(status.message).toMatch(
          /dropped (the last frame: the stream ends inside it|that damaged frame)/,
        );
      }
    });
  }
}

test('save streams to disk through the File System Access API (OPFS file behind the picker)', async ({
  page,
  appUrl,
}, testInfo) => {
  // Headless Chromium's save dialog aborts at once; the page gets a real FileSystemFileHandle of the
  // origin-private file system instead, so the worker's createWritable() path runs for real.
  await page.addInitScript(() => {
    (window as unknown as { showSaveFilePicker: unknown }).showSaveFilePicker = async (options: {
      suggestedName: string;
    }) => {
      const dir = await navigator.storage.getDirectory();
      return dir.getFileHandle(options.suggestedName, { create: true });
    };
  });
  await page.goto(appUrl);
  const f = fixture('p03');
  await page.setInputFiles('input[type=file]', join(FIXTURES, f.name));
  await page.selectOption('#layout-select', 'faststart');
  await expect(page.locator('#target-select')).toHaveValue('disk');
  await page.click('#save-button');
  await expect.poll(async () => (await saveStatus(page)).state, { timeout: 20_000 }).toBe('done');
  expect((await saveStatus(page)).message).toContain('written to disk');
  const bytes = await page.evaluate(
    async (name) => {
      const dir = await navigator.storage.getDirectory();
      const file = await (await dir.getFileHandle(name)).getFile();
      return Array.from(new Uint8Array(await file.arrayBuffer()));
    },
    f.name.replace(/\.h264$/, '.mp4'),
  );
  const out = testInfo.outputPath('p03-opfs.mp4');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(out, new Uint8Array(bytes));
  const facts = await examineSaved(out, join(FIXTURES, f.name));
  expect(facts.boxes).toEqual(['ftyp', 'moov', 'mdat']);
  const expected = await rawHashes(join(FIXTURES, f.name));
  expect(facts.hashes.map((h) => h.md5)).toEqual(expected.map((h) => h.md5));
  expect(facts.newErrors).toEqual([]);
});

test('save can be cancelled mid-way; nothing is downloaded', async ({ page, appUrl }) => {
  await page.goto(appUrl);
  // ~235 MB: p19 (qp10, large frames) 200 times over, as one File made in the page from one Blob (no
  // copy). 47 MB, given through setInputFiles, was sometimes saved whole before the click on Cancel
  // landed (the save runs at hundreds of MB/s): 'done' instead of 'cancelled', 1 run in 3.
  const { readFile } = await import('node:fs/promises');
  const one = (await readFile(join(FIXTURES, fixture('p19').name))).toString('base64');
  await page.evaluate((base64: string) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const blob = new Blob([bytes]);
    const file = new File(
      Array.from({ length: 200 }, () => blob),
      'big.h264',
      { type: 'application/octet-stream' },
    );
    const transfer = new DataTransfer();
    transfer.items.add(file);
    const input = document.querySelector<HTMLInputElement>('input[type=file]');
    if (!input) throw new Error('no file input');
    input.files = transfer.files;
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }, one);
  await page.selectOption('#layout-select', 'faststart');
  await page.selectOption('#target-select', 'download');
  let downloads = 0;
  page.on('download', () => downloads++);
  await page.click('#save-button');
  await expect(page.locator('#cancel-button')).toBeVisible();
  await page.click('#cancel-button');
  await expect.poll(async () => (await saveStatus(page)).state).toBe('cancelled');
  await expect(page.locator('#cancel-button')).toBeHidden();
  expect(downloads).toBe(0);
});

let server: StreamServer | undefined;
test.afterEach(async () => {
  await server?.close();
  server = undefined;
});

for (const layout of ['fragmented', 'faststart'] as const) {
  test(`record 5 s of a live stream as ${layout}: starts at a keyframe and decodes`, async ({
    page,
    appUrl,
  }, testInfo) => {
    const f = fixture('p01');
    server = await startStreamServer({
      file: join(FIXTURES, f.name),
      fps: 30,
      randomChunks: true,
      seed: layout === 'fragmented' ? 5 : 6,
    });
    await page.goto(`${appUrl}?src=${encodeURIComponent(server.httpUrl)}`);
    await expect.poll(async () => (await videoState(page)).total).toBeGreaterThan(15);
    await expect(page.locator('#record-button')).toBeVisible();
    await page.selectOption('#layout-select', layout);
    await page.selectOption('#target-select', 'download');
    // Press Record in the middle of a GOP (keyint 30): the file must still start at a keyframe.
    while (server.currentFrame() % 30 < 8 || server.currentFrame() % 30 > 20) {
      await page.waitForTimeout(10);
    }
    const sentAtRecord = server.currentFrame();
    await page.click('#record-button');
    await page.waitForTimeout(5000);
    const download = page.waitForEvent('download');
    await page.click('#stop-button');
    const sentAtStop = server.currentFrame();
    const file = await download;
    const out = testInfo.outputPath(`recording-${layout}.mp4`);
    await file.saveAs(out);
    expect((await debug(page)).errors).toEqual([]);
    const raw = join(FIXTURES, f.name);
    const facts = await examineSaved(out, raw);
    if (layout === 'faststart') expect(facts.boxes).toEqual(['ftyp', 'moov', 'mdat']);
    else expect(facts.boxes.slice(0, 3)).toEqual(['ftyp', 'moov', 'moof']);
    expect(facts.probed.frames[0]?.keyFrame).toBe(true);
    expect(facts.newErrors).toEqual([]);
    expect(strictlyIncreasing(facts.probed.frames.map((fr) => fr.pts))).toBe(true);
    // At least 5 s less the wait for the next keyframe (at most one 1-s GOP) and a cut last frame; at most the
    // frames the server sent between the clicks (more than 5 s on a busy machine, where the clicks come late),
    // and a few on their way when Record was pressed.
    expect(facts.hashes.length).toBeGreaterThanOrEqual(110);
    expect(facts.hashes.length).toBeLessThanOrEqual(sentAtStop - sentAtRecord + 5);
    // The frames are the stream's own, in order: a contiguous run of the looped fixture's pictures.
    const expected = (await rawHashes(raw)).map((h) => h.md5);
    expect(
      cyclicIndexOf(
        expected,
        facts.hashes.map((h) => h.md5),
      ) % 30,
    ).toBe(0);
    const status = await saveStatus(page);
    expect(status.firstKeyframe).toBe(true);
    expect(status.frames).toBe(facts.hashes.length);
  });
}
