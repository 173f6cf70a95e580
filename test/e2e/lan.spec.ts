// The relay's page opened as users on the LAN open it: at the machine's own network address, not
// localhost. Over http:// that page is no secure context, and browsers give it no WebCodecs (the
// renderer localhost gets): it plays through MSE and says why, with what to do. Over https://
// (serve --tls: its self-signed certificate, which the user accepted) it gets the WebCodecs
// renderer. Skipped only on a machine with no network address besides loopback.
import type { Page } from '@playwright/test';
import { debug, expect, test } from './support/fixtures.js';
import { closeLanRelays, lanAddress, startLanRelay } from './support/lan.js';

test.afterEach(closeLanRelays);

interface Seen {
  secure: boolean;
  kind: string | undefined;
  painted: number;
  warnings: string[];
  errors: string[];
}

async function seen(page: Page): Promise<Seen> {
  const state = await debug(page);
  const renderer = state.stats?.renderer as { kind?: string; painted?: number } | undefined;
  return {
    secure: await page.evaluate(() => isSecureContext),
    kind: renderer?.kind,
    painted: renderer?.painted ?? 0,
    warnings: (state.warnings ?? []).map((w) => w.code),
    errors: (state.errors ?? []).map((e) => (e as { code: string }).code),
  };
}

test('the relay’s page at a LAN address over http: MSE, and the page says https would give WebCodecs', async ({
  page,
}) => {
  const address = lanAddress();
  test.skip(address === undefined, 'no network address besides loopback');
  const relay = await startLanRelay();
  await page.goto(`http://${address}:${relay.port}/`);
  await expect
    .poll(async () => (await seen(page)).warnings, { timeout: 20_000 })
    .toContain('WEBCODECS_NEEDS_HTTPS');
  const state = await seen(page);
  expect(state.secure).toBe(false);
  expect(state.kind).toBe('mse');
  expect(state.errors).toEqual([]);
  const message = (await debug(page)).warnings?.find((w) => w.code === 'WEBCODECS_NEEDS_HTTPS');
  expect(message?.message).toContain('h264mux serve --tls');
});

test('the relay’s page at a LAN address over https (serve --tls: its self-signed certificate): the WebCodecs renderer', async ({
  browser,
}) => {
  const address = lanAddress();
  test.skip(address === undefined, 'no network address besides loopback');
  const relay = await startLanRelay('self-signed');
  // As a user who accepted the self-signed certificate's warning.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    await page.goto(`https://${address}:${relay.port}/`);
    expect(page.url()).toContain(encodeURIComponent(`wss://${address}:${relay.port}/stream`));
    await expect
      .poll(async () => (await seen(page)).painted, { timeout: 20_000 })
      .toBeGreaterThan(30);
    const state = await seen(page);
    expect(state.secure).toBe(true);
    expect(state.kind).toBe('webcodecs');
    expect(state.warnings).not.toContain('WEBCODECS_NEEDS_HTTPS');
    expect(state.errors).toEqual([]);
  } finally {
    await context.close();
  }
});
