// Checks of what the page shows (and does not show), shared by the error, page and a11y specs.
import { createRequire } from 'node:module';
import type { Page, TestInfo } from '@playwright/test';
import { debug, expect } from './fixtures.js';

const require = createRequire(import.meta.url);
const AXE_SCRIPT = require.resolve('axe-core/axe.min.js');

/**
 * A fatal error and nothing else: no notice (no "reconnecting"), no loading spinner (no media controls
 * on screen), no statistics of a stream that never played, no save or record controls.
 */
export async function expectFatalErrorAlone(page: Page): Promise<void> {
  await expect.poll(async () => (await debug(page)).state).toBe('error');
  await expect(page.locator('#error')).toBeVisible();
  // A source that was reconnecting when the error came must not bring its notice back.
  await page.waitForTimeout(800);
  await expect(page.locator('#notice')).toBeHidden();
  await expect(page.locator('main')).not.toContainText(/reconnect|trying again/i);
  for (const hidden of [
    '#stats',
    '#toolbar',
    '#record-button',
    '#save-button',
    '#layout-select',
    '#target-select',
  ]) {
    await expect(page.locator(hidden), hidden).toBeHidden();
  }
  const video = await page.evaluate(() => {
    const v = document.querySelector('video');
    if (!v) throw new Error('no <video>');
    return { shown: v.getClientRects().length > 0, controls: v.controls };
  });
  expect(video.shown && video.controls, 'media controls (and their spinner) on screen').toBe(false);
  // Nor an empty black box: nothing was identified, so there is no picture to keep (the early
  // renderer's track on the <video> read as one in Chromium).
  expect(video.shown, 'an empty <video> on screen').toBe(false);
}

export interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/** axe-core, injected into the page: violations of serious or critical impact (none expected). */
export async function seriousA11yViolations(
  page: Page,
  testInfo: TestInfo,
  state: string,
): Promise<AxeFinding[]> {
  await page.addScriptTag({ path: AXE_SCRIPT });
  const findings = await page.evaluate(async () => {
    interface AxeResult {
      violations: {
        id: string;
        impact: string | null;
        help: string;
        nodes: { target: unknown[] }[];
      }[];
      passes: unknown[];
    }
    const axe = (window as unknown as { axe: { run(context: Document): Promise<AxeResult> } }).axe;
    const result = await axe.run(document);
    return {
      passes: result.passes.length,
      violations: result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.map((n) => n.target.map(String).join(' ')),
      })),
    };
  });
  testInfo.annotations.push({
    type: `axe ${state}`,
    description: `${findings.passes} rules passed; violations: ${findings.violations.map((v) => `${v.id} (${v.impact ?? '?'})`).join(', ') || 'none'}`,
  });
  return findings.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** A full-page screenshot kept with the test's results. */
export async function keepScreenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}
