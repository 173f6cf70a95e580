// The page as a user on a laptop and a phone meets it: layout (phone screenshots kept as artifacts),
// URLs typed without a scheme, the fps box, statistics that fit the source, the title, the link,
// snapshot, keyboard shortcuts and what is remembered between visits.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { FIXTURES, debug, expect, test, videoState } from './support/fixtures.js';
import { keepScreenshot } from './support/page-checks.js';
import { startStreamServer } from './support/stream-server.mjs';
import type { StreamServer } from './support/stream-server.mjs';

const P01 = join(FIXTURES, 'p01_pi_baseline_vga30_inline.h264');
const P02 = join(FIXTURES, 'p02_pi_baseline_vga30_notiming.h264');

let server: StreamServer | undefined;
test.afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function expectFramesAdvance(page: Page, count: number): Promise<void> {
  const start = (await videoState(page)).total;
  await expect
    .poll(async () => (await videoState(page)).total, { timeout: 15_000 })
    .toBeGreaterThanOrEqual(start + count);
}

type Box = { x: number; y: number; width: number; height: number };

async function box(page: Page, selector: string): Promise<Box> {
  const b = await page.locator(selector).boundingBox();
  if (!b) throw new Error(`${selector} is not shown`);
  return b;
}

/** The statistics panel as {label: value}. */
function statsRows(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => {
    const rows: Record<string, string> = {};
    for (const dt of document.querySelectorAll('#stats dt'))
      rows[dt.textContent ?? ''] = dt.nextElementSibling?.textContent ?? '';
    return rows;
  });
}

/**
 * Holds back the page UI's module (a dynamic import), as a slow link would, until the returned
 * function is called.
 */
async function holdPageModule(page: Page): Promise<() => void> {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\/assets\/page-[^/]*\.js$/, async (route) => {
    await held;
    await route.continue();
  });
  return release;
}

test('a link with an fps that is not one: said beside the box, and the file plays at its own rate', async ({
  page,
  appUrl,
}) => {
  // ?fps=1e9 stopped a file with its own timing ("Error: fps must be between 0.5 and 1000"); ?fps=abc
  // was dropped without a word.
  for (const bad of ['1e9', 'abc']) {
    await page.goto(`${appUrl}?fps=${bad}&rate=4`);
    await expect(page.locator('#url-note')).toHaveText(
      `fps=${bad} is not a frame rate from 0.5 to 1000, such as 25 or 30000/1001: ignored, the stream's own rate is used.`,
    );
    await expect(page.locator('#fps-input')).toHaveAttribute('aria-invalid', 'true');
    await page.setInputFiles(
      'input[type=file]',
      join(FIXTURES, 'p01_pi_baseline_vga30_inline.h264'),
    );
    await expect.poll(async () => (await debug(page)).state, { timeout: 20_000 }).toBe('ended');
    const state = await debug(page);
    expect(state.errors).toEqual([]);
    expect(state.stats?.info?.fps).toBe(30);
  }
});

/**
 * `host/stream.h264` typed without a scheme and played at fps 25: the scheme assumed is said, it plays
 * at 25, and the address bar is a link to it: the full URL and the fps set, nothing empty.
 */
async function expectPlaysTypedAt25(page: Page, host: string): Promise<void> {
  await expect(page.locator('#url-note')).toHaveText(
    `No scheme given: assuming http:// (http://${host}/stream.h264).`,
  );
  await expectFramesAdvance(page, 20);
  const state = await debug(page);
  expect(state.errors).toEqual([]);
  expect(state.stats?.info?.fps).toBe(25);
  const link = new URL(page.url());
  expect(link.searchParams.get('src')).toBe(`http://${host}/stream.h264`);
  expect(link.searchParams.get('fps')).toBe('25');
  expect(link.search).not.toContain('latency');
}

test('phone: the picture comes first, full width; then the status, then the controls', async ({
  page,
  appUrl,
}, testInfo) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(appUrl);
  // Nothing plays: what to play comes first.
  expect((await box(page, '#drop-zone')).y).toBeLessThan(200);
  await keepScreenshot(page, testInfo, 'phone-idle');

  server = await startStreamServer({ file: P01, fps: 30 });
  await page.goto(`${appUrl}?src=${encodeURIComponent(server.wsUrl)}`);
  await expectFramesAdvance(page, 30);
  await expect(page.locator('#stats')).toBeVisible();
  const video = await box(page, 'video');
  expect(video.y).toBeLessThan(10);
  expect(video.x).toBe(0);
  expect(video.width).toBe(390);
  // 640×480 shown at the full width.
  expect(video.height).toBeCloseTo((390 * 480) / 640, 0);
  const toolbar = await box(page, '#toolbar');
  const pickers = await box(page, '#pickers');
  const stats = await box(page, '#stats');
  expect(toolbar.y).toBeGreaterThanOrEqual(video.y + video.height);
  expect(pickers.y).toBeGreaterThan(toolbar.y);
  expect(stats.y).toBeGreaterThan(pickers.y);
  // Nothing sticks out sideways.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await keepScreenshot(page, testInfo, 'phone-playing');

  // A notice (here: the stream is lost) sits right under the picture, above the controls.
  await server.stop();
  await expect(page.locator('#notice')).toContainText('reconnecting', { timeout: 10_000 });
  const notice = await box(page, '#notice');
  expect(notice.y).toBeGreaterThanOrEqual(video.y + video.height);
  // Text keeps a margin from the screen's edges; only the picture spans the full width.
  expect(notice.x).toBeGreaterThan(5);
  expect(notice.x + notice.width).toBeLessThan(385);
  expect(notice.y).toBeLessThan((await box(page, '#toolbar')).y);
  await keepScreenshot(page, testInfo, 'phone-reconnecting');

  await page.click('#inspector-toggle');
  await expect(page.locator('#inspector')).toBeVisible();
  expect((await box(page, '#inspector')).width).toBeLessThanOrEqual(390);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await keepScreenshot(page, testInfo, 'phone-inspector');
});

test('desktop: pickers above, the video beside its statistics', async ({
  page,
  appUrl,
}, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  server = await startStreamServer({ file: P01, fps: 30 });
  await page.goto(`${appUrl}?src=${encodeURIComponent(server.wsUrl)}`);
  await expectFramesAdvance(page, 30);
  await expect(page.locator('#stats')).toBeVisible();
  const pickers = await box(page, '#pickers');
  const video = await box(page, 'video');
  const stats = await box(page, '#stats');
  expect(video.y).toBeGreaterThan(pickers.y + pickers.height);
  expect(video.y + video.height).toBeLessThan(800);
  expect(video.width).toBeGreaterThan(700);
  expect(stats.x).toBeGreaterThanOrEqual(video.x + video.width);
  expect(stats.y).toBeLessThan(video.y + video.height);
  await keepScreenshot(page, testInfo, 'desktop-playing');
});

test('URLs typed without a scheme: http:// assumed (ws:// for /stream), and said so', async ({
  page,
  appUrl,
  context,
}) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  server = await startStreamServer({ file: P02, fps: 30 });
  const host = `127.0.0.1:${server.port}`;
  await page.goto(appUrl);

  await page.fill('#src-input', `${host}/stream.h264`);
  await page.fill('#fps-input', '25');
  await page.click('#url-form button[type=submit]');
  await expectPlaysTypedAt25(page, host);
  await expect(page).toHaveTitle(`${host}/stream.h264 — h264mux`);
  // Copy link: the same link.
  await page.click('#share-button');
  await expect(page.locator('#tool-status')).toHaveText('Link copied.');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(page.url());

  // The relay's WebSocket path: ws://.
  await page.fill('#src-input', `${host}/stream`);
  await page.fill('#fps-input', '');
  await page.press('#src-input', 'Enter');
  await expect(page.locator('#url-note')).toHaveText(
    `No scheme given: assuming ws:// (ws://${host}/stream).`,
  );
  await expectFramesAdvance(page, 20);
  const state = await debug(page);
  expect(state.stats?.sourceKind).toBe('websocket');
  expect(state.stats?.info?.fps).toBe(30);
  expect(new URL(page.url()).search).toBe(`?src=${encodeURIComponent(`ws://${host}/stream`)}`);

  // Both are remembered for the next visit, newest first, with the fps they played with.
  await page.goto(appUrl);
  const recent = page.locator('#recent li button');
  await expect(recent).toHaveText([`${host}/stream`, `${host}/stream.h264`]);
  await recent.nth(1).click();
  await expect(page.locator('#fps-input')).toHaveValue('25');
  await expectFramesAdvance(page, 10);
  expect((await debug(page)).stats?.info?.fps).toBe(25);
  await page.click('#recent-forget');
  await expect(page.locator('#recent')).toBeHidden();
  // The next visit (not a reload of this `?src=` link, which plays the stream and remembers it again).
  await page.goto(appUrl);
  await expect(page.locator('#recent')).toBeHidden();
});

test('what is typed in the boxes before the page UI has loaded is kept, and a file picked then plays with it', async ({
  page,
  appUrl,
}) => {
  // The page UI is a dynamic import; held back here, it loads after the typing.
  const release = await holdPageModule(page);
  await page.goto(appUrl);
  await page.fill('#fps-input', '15');
  await page.fill('#latency-input', '0.5');
  await page.setInputFiles('input[type=file]', P02);
  release();
  await expect(page.locator('#stats')).toContainText('15.000 from fps setting');
  await expect(page.locator('#fps-input')).toHaveValue('15');
  await expect(page.locator('#latency-input')).toHaveValue('0.5');
  const state = await debug(page);
  expect(state.stats?.info?.fps).toBe(15);
  expect(state.warnings.map((w) => w.code)).not.toContain('NO_TIMING_INFO');
  expect(state.errors).toEqual([]);
});

test('Play pressed before the page UI has loaded plays what was typed, as once it has', async ({
  page,
  appUrl,
}) => {
  server = await startStreamServer({ file: P02, fps: 30 });
  const host = `127.0.0.1:${server.port}`;
  const release = await holdPageModule(page);
  await page.goto(appUrl);
  await page.fill('#src-input', `${host}/stream.h264`);
  await page.fill('#fps-input', '25');
  await page.click('#url-form button[type=submit]');
  release();
  // The page's own link, not the browser's GET of the form (which has every box, empty or not).
  await expectPlaysTypedAt25(page, host);
});

test('Play when the page UI cannot be loaded: the form is sent as a link, and the stream plays', async ({
  page,
  appUrl,
}) => {
  server = await startStreamServer({ file: P02, fps: 30 });
  await page.route(/\/assets\/page-[^/]*\.js$/, (route) => route.abort());
  await page.goto(appUrl);
  await page.fill('#src-input', server.httpUrl);
  await page.click('#url-form button[type=submit]');
  await expect.poll(() => new URL(page.url()).searchParams.get('src')).toBe(server.httpUrl);
  await expectFramesAdvance(page, 10);
});

test('the fps box applies to a dropped file, and a new value restarts it', async ({
  page,
  appUrl,
}) => {
  await page.goto(appUrl);
  await page.fill('#fps-input', '15');
  await page.setInputFiles('input[type=file]', P02);
  await expect(page.locator('#stats')).toContainText('15.000 from fps setting');
  let state = await debug(page);
  expect(state.stats?.info?.fps).toBe(15);
  // The rate was given: no "no timing, assuming 30 fps" warning.
  expect(state.warnings.map((w) => w.code)).not.toContain('NO_TIMING_INFO');
  await expect(page).toHaveTitle('p02_pi_baseline_vga30_notiming.h264 — h264mux');

  await page.fill('#fps-input', '60');
  await page.press('#fps-input', 'Tab');
  await expect(page.locator('#stats')).toContainText('60.000 from fps setting');
  state = await debug(page);
  expect(state.stats?.info?.fps).toBe(60);
  // The file restarted: from its first frame, at the new rate (120 frames = 2 s).
  await expect
    .poll(() => page.evaluate(() => document.querySelector('video')?.duration ?? 0))
    .toBeCloseTo(2, 2);
  expect(state.errors).toEqual([]);

  // An invalid value is refused at the box and changes nothing.
  await page.fill('#fps-input', 'fast');
  await page.press('#fps-input', 'Tab');
  await expect(page.locator('#fps-input')).toHaveAttribute('aria-invalid', 'true');
  expect((await debug(page)).stats?.info?.fps).toBe(60);
});

test('statistics fit the source: a file has duration and progress, a live stream bitrate and latency', async ({
  page,
  appUrl,
}) => {
  await page.goto(`${appUrl}?rate=2`);
  await page.setInputFiles('input[type=file]', P01);
  await expect(page.locator('#stats')).toContainText('Position');
  // Read to the end long before it has played: "Read complete", not "Stream ended".
  await expect(page.locator('#notice')).toHaveText(/^Read complete/);
  expect((await videoState(page)).ended).toBe(false);
  await expect(page.locator('body')).not.toContainText('Stream ended');
  // The estimate (from the bytes read) becomes the exact duration once the end is appended.
  await expect.poll(async () => (await statsRows(page))['Duration']).toBe('5.00 s');
  let rows = await statsRows(page);
  expect(rows['Read']).toMatch(/^complete, 0\.53 MB$/);
  expect(rows['Frames']).toBe('150 read');
  for (const live of ['Bitrate', 'Live latency', 'Frame rate', 'Reconnects', 'Received'])
    expect(rows[live], live).toBeUndefined();
  await page.keyboard.press('i');
  await expect(page.locator('#inspector')).toBeVisible();
  await expect(page.locator('#inspector h2', { hasText: 'Live latency' })).toBeHidden();
  expect(
    await page.evaluate(
      () =>
        (window as unknown as { __h264mux: { inspector: { liveChart: boolean } } }).__h264mux
          .inspector.liveChart,
    ),
  ).toBe(false);

  await expect(page.locator('#notice')).toHaveText('Stream ended.', { timeout: 15_000 });
  rows = await statsRows(page);
  expect(rows['Position']).toBe('5.00 s (frame 149)');
  expect(rows['Bitrate']).toBeUndefined();

  server = await startStreamServer({ file: P01, fps: 30 });
  await page.goto(`${appUrl}?src=${encodeURIComponent(server.httpUrl)}`);
  await expectFramesAdvance(page, 30);
  rows = await statsRows(page);
  expect(rows['Bitrate']).toMatch(/^\d+ kbit\/s$/);
  expect(Number.parseInt(rows['Bitrate'] ?? '0')).toBeGreaterThan(0);
  // MSE measures the latency at the element; WebCodecs (Chromium's default) has its playout delay.
  expect(rows['Live latency'] ?? rows['Playout delay']).toMatch(/ms/);
  expect(rows['Frame rate']).toMatch(/received/);
  expect(rows['Reconnects']).toBe('0');
  for (const file of ['Duration', 'Position', 'Read']) expect(rows[file], file).toBeUndefined();
  await page.keyboard.press('i');
  await expect(page.locator('#inspector h2', { hasText: 'Live latency' })).toBeVisible();
});

test('keyboard: space, f, i and s, listed in the page, and not while typing', async ({
  page,
  appUrl,
}) => {
  await page.goto(appUrl);
  await expect(page.locator('footer')).toHaveText(
    'Keys: space play/pause · f fullscreen · i inspector · s snapshot (PNG)',
  );
  await page.setInputFiles('input[type=file]', P01);
  await expectFramesAdvance(page, 10);
  await page.locator('body').click({ position: { x: 2, y: 2 } });

  await page.keyboard.press(' ');
  await expect.poll(() => page.evaluate(() => document.querySelector('video')?.paused)).toBe(true);
  await page.keyboard.press(' ');
  await expect.poll(() => page.evaluate(() => document.querySelector('video')?.paused)).toBe(false);

  await page.keyboard.press('i');
  await expect(page.locator('#inspector-toggle')).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press('i');
  await expect(page.locator('#inspector-toggle')).toHaveAttribute('aria-pressed', 'false');

  await page.keyboard.press('f');
  await expect.poll(() => page.evaluate(() => document.fullscreenElement?.tagName)).toBe('VIDEO');
  await page.keyboard.press('f');
  await expect.poll(() => page.evaluate(() => document.fullscreenElement)).toBeNull();

  // Typed into a field, the keys are text.
  await page.fill('#src-input', '');
  await page.press('#src-input', 'i');
  await page.press('#src-input', ' ');
  await expect(page.locator('#src-input')).toHaveValue('i ');
  await expect(page.locator('#inspector-toggle')).toHaveAttribute('aria-pressed', 'false');
  expect(await page.evaluate(() => document.querySelector('video')?.paused)).toBe(false);
});

test('snapshot: s and the button save the frame on screen as a PNG at the video size', async ({
  page,
  appUrl,
}, testInfo) => {
  await page.goto(appUrl);
  await page.setInputFiles('input[type=file]', P01);
  await expectFramesAdvance(page, 20);
  await page.locator('body').click({ position: { x: 2, y: 2 } });
  await page.keyboard.press(' ');
  await expect.poll(() => page.evaluate(() => document.querySelector('video')?.paused)).toBe(true);
  const time = await page.evaluate(() => document.querySelector('video')?.currentTime ?? -1);

  for (const how of ['key', 'button'] as const) {
    const download = page.waitForEvent('download');
    if (how === 'key') await page.keyboard.press('s');
    else await page.click('#snapshot-button');
    const file = await download;
    expect(file.suggestedFilename()).toBe(`p01_pi_baseline_vga30_inline-${time.toFixed(3)}s.png`);
    const path = testInfo.outputPath(`snapshot-${how}.png`);
    await file.saveAs(path);
    // ffprobe reads it as a 640×480 PNG; a picture, not a blank canvas (luma spans a wide range).
    const probe = spawnSync('ffprobe', [
      ...['-v', 'error', '-f', 'lavfi', '-i', `movie=${path},signalstats`],
      ...[
        '-show_entries',
        'stream=codec_name,width,height:frame_tags=lavfi.signalstats.YMIN,lavfi.signalstats.YMAX',
      ],
      ...['-of', 'json'],
    ]);
    expect(probe.status, String(probe.stderr)).toBe(0);
    const json = JSON.parse(String(probe.stdout)) as {
      streams: { width: number; height: number }[];
      frames: { tags: Record<string, string> }[];
    };
    expect(json.streams[0]).toMatchObject({ width: 640, height: 480 });
    const tags = json.frames[0]?.tags ?? {};
    expect(
      Number(tags['lavfi.signalstats.YMAX']) - Number(tags['lavfi.signalstats.YMIN']),
    ).toBeGreaterThan(100);
  }
  await expect(page.locator('#tool-status')).toContainText('(640×480)');
});
