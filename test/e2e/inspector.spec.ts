// The stream inspector: one bar per frame with the picture-type counts of `h264mux probe --frames
// --json`, a clicked bar's NAL units and parameter sets, the mux.js box trees, and a live 60 fps stream
// scrolling through the capped chart. A screenshot of the page with the panel open is kept.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import {
  FIXTURES,
  ROOT,
  debug,
  expect,
  loadManifest,
  test,
  videoState,
} from './support/fixtures.js';
import { startStreamServer } from './support/stream-server.mjs';
import type { StreamServer } from './support/stream-server.mjs';

type Kind = 'IDR' | 'recovery' | 'I' | 'P' | 'B';

interface ProbeFrame {
  index: number;
  pictureType: string;
  recoveryPoint: boolean;
  keyframe: boolean;
  poc: number;
  frameNum: number;
  nalRefIdc: number;
  nalTypes: number[];
  nalSizes: number[];
}

interface Snapshot {
  open: boolean;
  frames: number;
  drawnBars: Record<Kind, number>;
  selectedFrame: number | undefined;
  gopText: string;
  resolutionChanges: { frame: number; from: string; to: string }[];
  liveChart: boolean;
  maxRedrawMs: number;
}

/** The CLI's per-frame table (dist-lib is built by `npm run build`). */
function probeFrames(file: string): ProbeFrame[] {
  const cli = join(ROOT, 'dist-lib/bin/main.js');
  if (!existsSync(cli)) throw new Error('dist-lib/ is missing: run `npm run build`.');
  const out = execFileSync(process.execPath, [cli, 'probe', '--frames', '--json', file], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  return (JSON.parse(out) as { frames: ProbeFrame[] }).frames;
}

/** Bar colour classes as the issue names them: IDR, recovery point, else the slice type. */
function kindCounts(frames: readonly ProbeFrame[]): Record<Kind, number> {
  const counts: Record<Kind, number> = { IDR: 0, recovery: 0, I: 0, P: 0, B: 0 };
  for (const f of frames) {
    const kind: Kind =
      f.pictureType === 'IDR'
        ? 'IDR'
        : f.recoveryPoint
          ? 'recovery'
          : f.pictureType === 'I' || f.pictureType === 'SI'
            ? 'I'
            : f.pictureType === 'B'
              ? 'B'
              : 'P';
    counts[kind]++;
  }
  return counts;
}

/** The inspector's state, once its chunk has loaded (it loads when first opened). */
async function snapshot(page: Page): Promise<Snapshot> {
  const handle = await page.waitForFunction(
    () =>
      (window as unknown as { __h264mux?: { inspector?: Snapshot } }).__h264mux?.inspector ?? false,
  );
  return (await handle.jsonValue()) as Snapshot;
}

const sum = (counts: Record<Kind, number>): number =>
  Object.values(counts).reduce((a, b) => a + b, 0);

/** Rows of a <dl> in the frame view as [dt, dd] text pairs. */
function frameRows(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => {
    const rows: Record<string, string> = {};
    for (const dt of document.querySelectorAll('#inspector .frame-view dt')) {
      rows[dt.textContent ?? ''] = dt.nextElementSibling?.textContent ?? '';
    }
    return rows;
  });
}

for (const prefix of ['p03', 'p14']) {
  const fixture = loadManifest().find((m) => m.name.startsWith(prefix));
  if (!fixture) throw new Error(`fixture ${prefix} missing`);
  test(`inspector: one bar per frame of ${fixture.name}, coloured by picture type`, async ({
    page,
    appUrl,
  }, testInfo) => {
    const file = join(FIXTURES, fixture.name);
    const probed = probeFrames(file);
    const expected = kindCounts(probed);
    expect(sum(expected)).toBe(fixture.frames);
    await page.setViewportSize({ width: 1400, height: 1000 });
    await page.goto(`${appUrl}?rate=2`);
    await page.setInputFiles('input[type=file]', file);
    await page.click('#inspector-toggle');
    await expect
      .poll(async () => (await snapshot(page)).drawnBars, { timeout: 20_000 })
      .toEqual(expected);
    const snap = await snapshot(page);
    expect(snap.open).toBe(true);
    expect(snap.frames).toBe(fixture.frames);
    expect(snap.gopText).toMatch(/GOP.*frames/);

    // Click the middle of the frame chart: that frame's details.
    const over = page.locator('#inspector .uplot .u-over').first();
    await over.click();
    await expect.poll(async () => (await snapshot(page)).selectedFrame).not.toBeUndefined();
    const index = (await snapshot(page)).selectedFrame ?? -1;
    const frame = probed[index];
    if (!frame) throw new Error(`no probed frame ${index}`);
    const rows = await frameRows(page);
    expect(rows['POC']).toBe(String(frame.poc));
    expect(rows['frame_num']).toBe(String(frame.frameNum));
    expect(rows['nal_ref_idc']).toBe(String(frame.nalRefIdc));
    expect(rows['Type']).toContain(frame.pictureType);
    expect(rows['Profile / level']).toContain(fixture.name.includes('main') ? 'Main' : 'High');
    expect(rows['Coded size']).toMatch(/^\d+×\d+$/);
    expect(rows['VUI timing']).toContain('fps');
    const nalRows = await page
      .locator('#inspector table.nals tbody tr td:last-child')
      .allTextContents();
    expect(nalRows).toEqual(frame.nalSizes.map(String));

    // mux.js box trees of the init segment and the latest fragment.
    for (const summary of ['Init segment', 'Latest fragment']) {
      await page.locator('#inspector summary', { hasText: summary }).click();
    }
    const trees = page.locator('#inspector .box-tree');
    await expect(trees.nth(0)).toContainText('avcC');
    await expect(trees.nth(1)).toContainText('trun');

    const shot = testInfo.outputPath(`inspector-${prefix}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    await testInfo.attach(`inspector-${prefix}`, { path: shot, contentType: 'image/png' });
    expect((await debug(page)).errors).toEqual([]);
  });
}

let server: StreamServer | undefined;
test.afterEach(async () => {
  await server?.close();
  server = undefined;
});

test('inspector: a live 60 fps stream scrolls through the capped chart', async ({
  page,
  appUrl,
}, testInfo) => {
  const fixture = loadManifest().find((m) => m.name.startsWith('p08'));
  if (!fixture) throw new Error('fixture p08 missing');
  server = await startStreamServer({ file: join(FIXTURES, fixture.name), fps: 60 });
  await page.setViewportSize({ width: 1400, height: 1000 });
  // The <video>'s frame counters are MSE's (a worker-written track counts none in Chromium).
  await page.goto(`${appUrl}?renderer=mse&src=${encodeURIComponent(server.wsUrl)}`);
  await page.click('#inspector-toggle');
  // 600 frames kept: after 10+ s at 60 fps the chart holds exactly the cap and keeps scrolling.
  await expect
    .poll(async () => sum((await snapshot(page)).drawnBars), { timeout: 30_000 })
    .toBe(600);
  const first = await videoState(page);
  await page.waitForTimeout(2000);
  const later = await videoState(page);
  const snap = await snapshot(page);
  expect(snap.frames).toBe(600);
  expect(later.total - first.total).toBeGreaterThan(90);
  testInfo.annotations.push({
    type: 'frames',
    description: `decoded ${later.total}, dropped ${later.dropped} (over 2 s: ${later.total - first.total} decoded, ${later.dropped - first.dropped} dropped); longest chart redraw ${snap.maxRedrawMs.toFixed(1)} ms`,
  });
  const shot = testInfo.outputPath('inspector-live.png');
  await page.screenshot({ path: shot, fullPage: true });
  await testInfo.attach('inspector-live', { path: shot, contentType: 'image/png' });
  expect((await debug(page)).errors).toEqual([]);
});

test('inspector: a resolution change is marked, and the keyboard reaches every frame', async ({
  page,
  appUrl,
}) => {
  const fixture = loadManifest().find((m) => m.name.startsWith('p10'));
  if (!fixture) throw new Error('fixture p10 missing');
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto(`${appUrl}?rate=4`);
  await page.setInputFiles('input[type=file]', join(FIXTURES, fixture.name));
  await page.click('#inspector-toggle');
  await expect.poll(async () => (await snapshot(page)).frames).toBe(fixture.frames);
  // 60 frames of 640×360, then 60 of 1280×720 (manifest sizes), in GOPs of 30.
  await expect
    .poll(async () => (await snapshot(page)).resolutionChanges)
    .toEqual([{ frame: 60, from: '640×360', to: '1280×720' }]);
  await expect(page.locator('#inspector .changes')).toHaveText(
    'Resolution change at frame 60: 640×360 → 1280×720.',
  );
  await expect(page.locator('#inspector .mark.change')).toHaveCount(1);
  await expect(page.locator('#inspector .mark.change')).toHaveText('1280×720');
  const gop = (await snapshot(page)).gopText;
  expect(gop).toContain('GOPs shown: 30 frames.');
  expect(gop).not.toMatch(/30–30/);

  // Keyboard only: Tab to the frame chart, then Home, arrows and End pick frames.
  const chart = page.locator('#inspector [role=slider]');
  await chart.focus();
  await page.keyboard.press('Home');
  await expect.poll(async () => (await snapshot(page)).selectedFrame).toBe(0);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect.poll(async () => (await snapshot(page)).selectedFrame).toBe(2);
  await expect(chart).toHaveAttribute('aria-valuenow', '2');
  await expect(page.locator('#inspector .frame-view')).toContainText('#2 (decode order)');
  await page.keyboard.press('End');
  await expect.poll(async () => (await snapshot(page)).selectedFrame).toBe(fixture.frames - 1);
  await page.keyboard.press('PageDown');
  await expect.poll(async () => (await snapshot(page)).selectedFrame).toBe(fixture.frames - 11);
  // The chosen frame's parameter sets: a frame after the change is 1280×720.
  await expect(page.locator('#inspector .frame-view')).toContainText('1280×720');
  await expect(page.locator('#inspector .mark.chosen')).toHaveCount(1);
});
