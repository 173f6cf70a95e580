// Errors are shown in the page, in words that say what to do.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, ROOT, debug, expect, test } from './support/fixtures.js';
import { startStaticServer } from './support/static-server.mjs';
import { prng, startStreamServer } from './support/stream-server.mjs';

const P01 = join(FIXTURES, 'p01_pi_baseline_vga30_inline.h264');

test('an MP4 file is refused as "not H.264" and named as MP4', async ({ page, appUrl }) => {
  const dir = mkdtempSync(join(tmpdir(), 'h264mux-e2e-'));
  const mp4 = join(dir, 'clip.mp4');
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-r', '30', '-i', P01, '-c', 'copy', mp4]);
  expect(r.status, String(r.stderr)).toBe(0);
  await page.goto(appUrl);
  await page.setInputFiles('input[type=file]', {
    name: 'clip.h264',
    mimeType: 'application/octet-stream',
    buffer: readFileSync(mp4),
  });
  await expect(page.locator('#error')).toBeVisible();
  await expect(page.locator('#error')).toContainText('not a raw H.264');
  await expect(page.locator('#error')).toContainText('MP4');
  expect((await debug(page)).errors[0]?.code).toBe('NOT_H264');
});

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
  await expect(page.locator('#error')).toContainText(
    code === 'NOT_H264' ? 'not a raw H.264' : 'No frame could be decoded',
  );
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
  });
}

test('a file URL that answers 404 is fatal (no retry)', async ({ page, appUrl }) => {
  const server = await startStreamServer({ file: P01, fps: 30 });
  try {
    const src = `http://127.0.0.1:${server.port}/missing.h264`;
    await page.goto(`${appUrl}?src=${encodeURIComponent(src)}`);
    await expect(page.locator('#error')).toContainText('404');
    await expect.poll(async () => (await debug(page)).state).toBe('error');
    await page.waitForTimeout(1500);
    expect((await debug(page)).stats?.reconnectAttempts).toBe(0);
  } finally {
    await server.close();
  }
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
