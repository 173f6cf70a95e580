// axe-core (injected into the page) finds no violation of serious or critical impact in the page's
// main states: idle, playing (with a warning listed), a fatal error, the inspector open (pressed
// toggle) with a frame chosen by keyboard, in light and dark colour schemes. Its colour-contrast rule
// holds the warning text and the pressed Inspector button to 4.5:1.
import { join } from 'node:path';
import { FIXTURES, expect, test, videoState } from './support/fixtures.js';
import { seriousA11yViolations } from './support/page-checks.js';

const P02 = join(FIXTURES, 'p02_pi_baseline_vga30_notiming.h264');

test('axe: no serious or critical violations when idle, playing, failed and inspecting', async ({
  page,
  appUrl,
}, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(appUrl);
  expect(await seriousA11yViolations(page, testInfo, 'idle')).toEqual([]);

  // p02 has no timing: a warning is listed (the warning colour is checked too).
  await page.setInputFiles('input[type=file]', P02);
  await expect.poll(async () => (await videoState(page)).total).toBeGreaterThan(5);
  await expect(page.locator('#warnings li')).not.toHaveCount(0);
  expect(await seriousA11yViolations(page, testInfo, 'playing')).toEqual([]);

  await page.click('#inspector-toggle');
  await expect(page.locator('#inspector-toggle')).toHaveAttribute('aria-pressed', 'true');
  await page.locator('#inspector [role=slider]').focus();
  await page.keyboard.press('End');
  await expect(page.locator('#inspector .frame-view table')).toBeVisible();
  expect(await seriousA11yViolations(page, testInfo, 'inspector')).toEqual([]);
  // The same in a dark colour scheme (the page follows the system's).
  await page.emulateMedia({ colorScheme: 'dark' });
  expect(await seriousA11yViolations(page, testInfo, 'inspector, dark')).toEqual([]);
  await page.emulateMedia({ colorScheme: 'light' });

  await page.goto(`${appUrl}?src=${encodeURIComponent('ftp://example.invalid/x.h264')}`);
  await expect(page.locator('#error')).toBeVisible();
  expect(await seriousA11yViolations(page, testInfo, 'error')).toEqual([]);

  await page.setInputFiles('input[type=file]', {
    name: 'noise.h264',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from('<!doctype html><html><body>not a video</body></html>'.repeat(10)),
  });
  await expect(page.locator('#error-title')).toHaveText('Not an H.264 stream');
  expect(await seriousA11yViolations(page, testInfo, 'file error')).toEqual([]);
});
