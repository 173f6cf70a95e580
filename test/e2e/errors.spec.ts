// Errors are shown in the page, in words that say what to do.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, debug, expect, test } from './support/fixtures.js';
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
  test(`unreachable ${src.split(':')[0]} URL shows an error`, async ({ page, appUrl }) => {
    await page.goto(`${appUrl}?src=${encodeURIComponent(src)}`);
    await expect(page.locator('#error')).toContainText('URL unreachable');
    await expect(page.locator('#error')).toContainText('127.0.0.1:9');
    expect((await debug(page)).state).toBe('error');
  });
}

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
