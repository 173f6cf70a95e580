// Helpers of the live specs (live.spec, webcodecs.spec, start.spec): a free loopback port for a server
// started later, a stream server that comes up after the page asked for it, and the stop / restart of
// a stream server that a page must reconnect after.
import { createServer } from 'node:net';
import type { Page } from '@playwright/test';
import { FIXTURES, debug, expect } from './fixtures.js';
import { startStreamServer } from './stream-server.mjs';
import type { StreamServer } from './stream-server.mjs';
import { join } from 'node:path';

/** A loopback port free now (for a server that starts later in the test). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const address = s.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/**
 * Stops `server` under a playing page, checks the page says it is reconnecting, restarts the server a
 * second later and waits until the page has reconnected.
 */
export async function restartAndReconnect(page: Page, server: StreamServer): Promise<void> {
  await server.stop();
  await expect(page.locator('#notice')).toContainText('reconnecting', { timeout: 5000 });
  await page.waitForTimeout(1000);
  await server.restart();
  await expect
    .poll(async () => (await debug(page)).stats?.reconnects ?? 0, { timeout: 15_000 })
    .toBeGreaterThanOrEqual(1);
}

/**
 * Opens the page on a live `transport` URL whose server is not up yet (`query`: extra page options),
 * checks the page shows the error and says it tries again, then starts the server (p01 at 30 fps) a
 * second later. The caller waits for frames, then `expectRecovered`.
 */
export async function serverUpLate(
  page: Page,
  appUrl: string,
  transport: 'http' | 'ws',
  query = '',
): Promise<StreamServer> {
  const port = await freePort();
  const src =
    transport === 'http' ? `http://127.0.0.1:${port}/stream.h264` : `ws://127.0.0.1:${port}/stream`;
  await page.goto(`${appUrl}?${query}src=${encodeURIComponent(src)}`);
  await expect(page.locator('#error')).toContainText('URL unreachable');
  await expect(page.locator('#notice')).toContainText('Trying again');
  await page.waitForTimeout(1000);
  return startStreamServer({
    file: join(FIXTURES, 'p01_pi_baseline_vga30_inline.h264'),
    fps: 30,
    port,
    randomChunks: true,
    seed: 13,
  });
}

/** After `serverUpLate` and frames: no error left, the retries counted, the error panel gone. */
export async function expectRecovered(page: Page): Promise<void> {
  const state = await debug(page);
  expect(state.errors).toEqual([]);
  expect(state.stats?.reconnectAttempts).toBeGreaterThanOrEqual(1);
  await expect(page.locator('#error')).toBeHidden();
}
