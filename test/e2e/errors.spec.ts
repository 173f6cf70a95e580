// Errors are shown in the page, in words that say what to do.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { WebSocketServer } from 'ws';
import { FIXTURES, ROOT, debug, expect, test } from './support/fixtures.js';
import { expectFatalErrorAlone } from './support/page-checks.js';
import { startStaticServer } from './support/static-server.mjs';
import { prng, startStreamServer } from './support/stream-server.mjs';
import type { StreamServer } from './support/stream-server.mjs';

const P01 = join(FIXTURES, 'p01_pi_baseline_vga30_inline.h264');

/** p01 remuxed into an MP4 file by ffmpeg. */
function p01AsMp4(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'h264mux-e2e-'));
  try {
    const mp4 = join(dir, 'clip.mp4');
    const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-r', '30', '-i', P01, '-c', 'copy', mp4]);
    expect(r.status, String(r.stderr)).toBe(0);
    return readFileSync(mp4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The error text says `sentence` once, and shows commands as code, not between raw backquotes. */
async function expectSaidOnce(page: Page, sentence: RegExp): Promise<void> {
  const text = (await page.locator('#error-message').textContent()) ?? '';
  expect(text.match(new RegExp(sentence.source, `${sentence.flags}g`)) ?? [], text).toHaveLength(1);
  expect(text).not.toContain('`');
}

let server: StreamServer | undefined;
test.afterEach(async () => {
  await server?.close();
  server = undefined;
});

test('an MP4 file is refused as "not H.264", named as MP4 once, and offers no Save', async ({
  page,
  appUrl,
}) => {
  await page.goto(appUrl);
  await page.setInputFiles('input[type=file]', {
    name: 'clip.h264',
    mimeType: 'application/octet-stream',
    buffer: p01AsMp4(),
  });
  await expect(page.locator('#error')).toBeVisible();
  await expect(page.locator('#error-title')).toHaveText('Not an H.264 stream');
  await expectSaidOnce(page, /not a raw H\.264/i);
  await expectSaidOnce(page, /MP4/);
  await expect(page.locator('#error-message code')).toHaveText(
    'ffmpeg -i in -c:v copy -bsf:v h264_mp4toannexb -f h264 out.h264',
  );
  expect((await debug(page)).errors[0]?.code).toBe('NOT_H264');
  await expectFatalErrorAlone(page);
});

for (const kind of ['MP4', 'HTML'] as const) {
  test(`a live URL that serves ${kind}: the error alone, no reconnect notice, no Record`, async ({
    page,
    appUrl,
  }) => {
    // A chunked response that ends: read as a live stream that was lost, so the source reconnects.
    // A short HTML page is recognised only on the second connection (the sniffer needs 189 bytes),
    // after the reconnect notice.
    const body =
      kind === 'MP4'
        ? new Uint8Array(p01AsMp4())
        : new TextEncoder().encode('<!doctype html><html><body>Camera offline</body></html>\n');
    server = await startStreamServer({ file: body, fps: 30, loop: false, clock: 'per-client' });
    await page.goto(`${appUrl}?src=${encodeURIComponent(server.httpUrl)}`);
    await expect(page.locator('#error-title')).toHaveText('Not an H.264 stream');
    await expectSaidOnce(page, /not a raw H\.264/i);
    await expectFatalErrorAlone(page);
    if (kind === 'HTML') {
      await expect(page.locator('#error')).toContainText('an HTML page');
      // The case in point: the source had announced a reconnect before the error.
      expect((await debug(page)).stats?.reconnectAttempts).toBeGreaterThanOrEqual(1);
    }
  });
}

test('random bytes are refused with an error in the page', async ({ page, appUrl }) => {
  const random = prng(42);
  const bytes = Buffer.alloc(200_000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
  await page.goto(appUrl);
  await page.setInputFiles('input[type=file]', {
    name: 'noise.h264',
    mimeType: 'application/octet-stream',
    buffer: bytes,
  });
  await expect(page.locator('#error')).toBeVisible();
  const code = (await debug(page)).errors[0]?.code;
  expect(['NOT_H264', 'NO_DECODABLE_FRAMES']).toContain(code);
  if (code === 'NOT_H264') await expectSaidOnce(page, /not a raw H\.264/i);
  else {
    // Said by the title; the message says why, without the title's words again.
    await expect(page.locator('#error-title')).toHaveText('No decodable frames');
    await expect(page.locator('#error-message')).not.toContainText(/no decodable frames/i);
  }
  await expectFatalErrorAlone(page);
});

for (const src of ['http://127.0.0.1:9/stream.h264', 'ws://127.0.0.1:9/stream']) {
  test(`unreachable ${src.split(':')[0]} URL shows an error and keeps trying`, async ({
    page,
    appUrl,
  }) => {
    await page.goto(`${appUrl}?src=${encodeURIComponent(src)}`);
    await expect(page.locator('#error')).toContainText('URL unreachable');
    await expect(page.locator('#error')).toContainText('127.0.0.1:9');
    // A live source that is not up yet is retried in the background, the error stays visible.
    await expect(page.locator('#notice')).toContainText('Trying again');
    await expect
      .poll(async () => (await debug(page)).stats?.reconnectAttempts ?? 0)
      .toBeGreaterThanOrEqual(2);
    const state = await debug(page);
    expect(state.state).toBe('reconnecting');
    expect(state.errors.map((e) => e.code)).toEqual(['UNREACHABLE']);
    await expect(page.locator('#error')).toBeVisible();
    // Nothing plays yet: no video (and no spinner), no statistics of zeros, no Record.
    for (const hidden of ['video', '#stats', '#toolbar', '#record-button']) {
      await expect(page.locator(hidden), hidden).toBeHidden();
    }
  });
}

test('a WebSocket server that sends only text: named after the stall timeout, tried again', async ({
  page,
  appUrl,
}) => {
  // Every text message kept the connection alive: the page spun for ever, saying nothing.
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => wss.once('listening', resolve));
  const feed = setInterval(() => {
    for (const c of wss.clients) c.send(JSON.stringify({ temperature: 21.5, at: Date.now() }));
  }, 100);
  try {
    const port = (wss.address() as AddressInfo).port;
    await page.goto(`${appUrl}?src=${encodeURIComponent(`ws://127.0.0.1:${port}/`)}&stall=2`);
    await expect(page.locator('#notice')).toContainText(
      'the server sends text messages, not H.264 ("{\\"temperature\\":21.5',
      { timeout: 10_000 },
    );
  } finally {
    clearInterval(feed);
    for (const c of wss.clients) c.terminate();
    await new Promise((resolve) => wss.close(resolve));
  }
});

test('an HTTP server that takes the connection and answers nothing: said after the stall timeout', async ({
  page,
  appUrl,
}) => {
  // fetch() waited for headers that never came (Firefox: for the first body bytes), silently.
  const sockets = new Set<Socket>();
  const silent = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const port = (silent.address() as AddressInfo).port;
    const src = `http://127.0.0.1:${port}/stream.h264`;
    await page.goto(`${appUrl}?src=${encodeURIComponent(src)}&stall=2`);
    await expect(page.locator('#error')).toContainText(
      `${src} sent nothing for 2.0 s: the server takes the connection but sends no stream`,
      { timeout: 10_000 },
    );
    // Tried again, as a stream that is not up yet.
    await expect(page.locator('#notice')).toContainText('Trying again');
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

test('a URL that redirects to itself is named a redirect the browser cannot follow, not "is the server running?"', async ({
  page,
  appUrl,
}) => {
  const loop = createHttpServer((req, res) => {
    res.writeHead(302, { Location: req.url ?? '/', 'Access-Control-Allow-Origin': '*' });
    res.end();
  });
  await new Promise<void>((resolve) => loop.listen(0, '127.0.0.1', resolve));
  try {
    const src = `http://127.0.0.1:${(loop.address() as AddressInfo).port}/stream.h264`;
    await page.goto(`${appUrl}?src=${encodeURIComponent(src)}`);
    await expect(page.locator('#error-message')).toContainText(
      `${src} answers with a redirect the browser cannot follow (a redirect loop`,
    );
    await expect(page.locator('#error')).not.toContainText('is the server running');
  } finally {
    loop.closeAllConnections();
    await new Promise((resolve) => loop.close(resolve));
  }
});

test('a file URL that answers 404 is fatal (no retry) and names the path', async ({
  page,
  appUrl,
}) => {
  server = await startStreamServer({ file: P01, fps: 30 });
  const src = `http://127.0.0.1:${server.port}/missing.h264`;
  await page.goto(`${appUrl}?src=${encodeURIComponent(src)}`);
  await expect(page.locator('#error-title')).toHaveText('Not found');
  await expect(page.locator('#error-message')).toContainText(
    `127.0.0.1:${server.port} is running but has no stream at /missing.h264 (404 Not Found)`,
  );
  await expect(page.locator('#error')).not.toContainText('Server error');
  await expectFatalErrorAlone(page);
  await page.waitForTimeout(700);
  expect((await debug(page)).stats?.reconnectAttempts).toBe(0);
});

test('a WebSocket URL that the server answers with 404 is "not found", not "is it running?"', async ({
  page,
  appUrl,
}) => {
  server = await startStreamServer({ file: P01, fps: 30 });
  await page.goto(`${appUrl}?src=${encodeURIComponent(`ws://127.0.0.1:${server.port}/nothing`)}`);
  await expect(page.locator('#error-title')).toHaveText('Not found');
  await expect(page.locator('#error-message')).toContainText(
    'no WebSocket stream at /nothing (HTTP 404)',
  );
  await expect(page.locator('#error')).not.toContainText('is the server running');
  expect((await debug(page)).errors.map((e) => e.code)).toEqual(['WS_REFUSED']);
  await expectFatalErrorAlone(page);
});

test('a server without CORS headers: the page names the missing header', async ({
  page,
  appUrl,
}) => {
  const server = await startStreamServer({ file: P01, fps: 30, cors: false });
  try {
    await page.goto(`${appUrl}?src=${encodeURIComponent(server.httpUrl)}`);
    await expect(page.locator('#error')).toContainText('Blocked by CORS');
    await expect(page.locator('#error')).toContainText('Access-Control-Allow-Origin');
  } finally {
    await server.close();
  }
});

test('a bad URL scheme is explained', async ({ page, appUrl }) => {
  await page.goto(`${appUrl}?src=${encodeURIComponent('ftp://example.invalid/x.h264')}`);
  await expect(page.locator('#error')).toContainText('Bad URL');
});

test('a transmuxer worker that cannot load is reported in the page', async ({ page }) => {
  // The built page starts the worker from an inline script before its bundle (see vite.config.ts);
  // its load error happens before the session exists and must still reach the page.
  const dir = mkdtempSync(join(tmpdir(), 'h264mux-e2e-'));
  cpSync(join(ROOT, 'dist'), dir, { recursive: true });
  const worker = readdirSync(join(dir, 'assets')).find((f) => /^transmux\.worker-.*\.js$/.test(f));
  expect(worker).toBeDefined();
  rmSync(join(dir, 'assets', worker ?? ''));
  const app = await startStaticServer(dir);
  const server = await startStreamServer({ file: P01, fps: 30 });
  try {
    await page.goto(`${app.url}?src=${encodeURIComponent(server.wsFramedUrl)}`);
    await expect(page.locator('#error')).toContainText('The transmuxer worker failed');
    const state = await debug(page);
    expect(state.state).toBe('error');
    expect(state.errors.map((e) => e.code)).toEqual(['INTERNAL']);
  } finally {
    await server.close();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
