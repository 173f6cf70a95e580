// Helpers of the live specs (live.spec, webcodecs.spec, start.spec): a free loopback port for a server
// started later, and the stop / restart of a stream server that a page must reconnect after.
import { createServer } from 'node:net';
import type { Page } from '@playwright/test';
import { debug, expect } from './fixtures.js';
import type { StreamServer } from './stream-server.mjs';

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
