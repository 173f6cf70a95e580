// `npm start` end to end: scripts/start.mjs (build if needed + `serve --file public/demo.h264 --loop`)
// on a free loopback port; the page at / (redirected to the relay's live stream) plays the demo.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, debug, expect, test, videoState } from './support/fixtures.js';
import { freePort } from './support/live-checks.js';

let child: ChildProcess | undefined;
test.afterEach(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((res) => child!.once('exit', res));
    child.kill('SIGTERM');
    await exited;
  }
  child = undefined;
});

test('npm start: the page at / plays the live demo through the relay', async ({ page }) => {
  test.setTimeout(180_000); // start.mjs may have to build first
  const port = await freePort();
  child = spawn(
    process.execPath,
    [join(ROOT, 'scripts/start.mjs'), '--host', '127.0.0.1', '--port', String(port)],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
  const url = `http://127.0.0.1:${port}/`;
  await expect.poll(() => output, { timeout: 150_000 }).toContain(`open ${url}`);

  await page.goto(url);
  expect(page.url()).toContain(`src=${encodeURIComponent(`ws://127.0.0.1:${port}/stream`)}`);
  await expect
    .poll(async () => (await videoState(page)).total, { timeout: 20_000 })
    .toBeGreaterThan(0);
  const t0 = (await videoState(page)).currentTime;
  await expect
    .poll(async () => (await videoState(page)).currentTime, { timeout: 20_000 })
    .toBeGreaterThan(t0 + 1);
  const video = await videoState(page);
  expect(video.error).toBeNull();
  expect(video.width).toBe(640);
  expect(video.height).toBe(360);
  const state = await debug(page);
  expect(state.errors).toEqual([]);
  expect(state.stats?.live).toBe(true);
  expect(state.stats?.accessUnitFraming).toBe(true);
  // The relay saw the page as a WebSocket viewer, never skipped.
  const status = (await (await fetch(`${url}status`)).json()) as {
    viewers: { ws: number };
    skips: number;
  };
  expect(status.viewers.ws).toBe(1);
  expect(status.skips).toBe(0);
});
