// The npm package as a user gets it: `npx h264mux` in this checkout after `npm run build`, then the
// tarball's contents, and the tarball installed into a fresh project: its `npx h264mux serve` serves a
// page that plays in Chromium, its `npx h264mux convert` passes the ffmpeg oracle, and `import` and
// `require` of the library work.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compareWithRaw } from '../helpers/oracle.js';
import {
  FIXTURES,
  ROOT,
  debug,
  expect,
  loadManifest,
  test,
  videoState,
} from './support/fixtures.js';
import {
  packAndInstall,
  runIn,
  type InstalledPackage,
  type RunningProcess,
} from './support/installed-package.js';

test.describe.configure({ mode: 'serial' });

const manifest = loadManifest();
const fixture = (prefix: string) => manifest.find((f) => f.name.startsWith(prefix))!;

let installed: InstalledPackage;
test.beforeAll(async () => {
  test.setTimeout(180_000);
  installed = await packAndInstall();
});
test.afterAll(async () => {
  await installed?.remove();
});

test('npx h264mux --version runs in this checkout after npm run build', async () => {
  // npm run build rewrote dist-lib/bin/main.js: npx runs the file itself, so it must be executable.
  const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  const r = await runIn(ROOT, 'npx', ['--no-install', 'h264mux', '--version']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(`${version}\n`);
});

test('the tarball holds the app without maps, the library with its types, one CLI bundle, LICENSE and README', () => {
  const paths = installed.packed.files.map((f) => f.path).sort();
  // Printed for the record (the figures the issue quotes): size, unpacked size, file count.
  console.log(
    `npm pack: ${(installed.packed.size / 1000).toFixed(0)} kB, ${(installed.packed.unpackedSize / 1000).toFixed(0)} kB unpacked, ${paths.length} files`,
  );
  for (const wanted of [
    'LICENSE',
    'README.md',
    'package.json',
    'dist/index.html',
    'dist/favicon.svg',
    'dist-lib/core/index.js',
    'dist-lib/core/index.d.ts',
    'dist-lib/core/stream.d.ts',
    'dist-lib/bin/main.js',
    'dist-lib/play/index.js',
    'dist-lib/play/index.d.ts',
    'dist-lib/worker/transmux.worker.js',
  ])
    expect(paths, wanted).toContain(wanted);
  expect(paths.filter((p) => p.endsWith('.map'))).toEqual([]);
  expect(paths.filter((p) => p.endsWith('.h264'))).toEqual([]);
  expect(paths.filter((p) => p.startsWith('src/') || p.startsWith('test/'))).toEqual([]);
  // The command is the bundle alone: no second, unbundled copy of the CLI. The player (h264mux/player)
  // is its modules, with the transmuxer worker next to them.
  expect(
    paths.filter(
      (p) =>
        p.startsWith('dist-lib/') && !/^dist-lib\/(core|bin|play|player|sources|worker)\//.test(p),
    ),
  ).toEqual([]);
  expect(paths.some((p) => p.startsWith('dist/assets/') && p.endsWith('.js'))).toBe(true);
});

test('the installed package has no dependencies; import and require give the library, without internals in its types', async () => {
  const { dir } = installed;
  const lock = JSON.parse(await readFile(join(dir, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, unknown>;
  };
  expect(Object.keys(lock.packages).sort()).toEqual(['', 'node_modules/h264mux']);
  const check = `typeof m.Transmuxer + ' ' + typeof m.H264ToMp4Stream + ' ' + typeof m.H264MuxError`;
  const imported = await runIn(dir, process.execPath, [
    '--input-type=module',
    '-e',
    `import * as m from 'h264mux'; console.log(${check});`,
  ]);
  expect(imported.stderr).toBe('');
  expect(imported.stdout).toBe('function function function\n');
  // Node >= 20.19 loads an ES module with require(): the package lets it (an exports 'default').
  const required = await runIn(dir, process.execPath, [
    '--input-type=commonjs',
    '-e',
    `const m = require('h264mux'); console.log(${check});`,
  ]);
  expect(required.stderr).not.toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
  expect(required.stdout).toBe('function function function\n');
  const types = await readFile(join(dir, 'node_modules/h264mux/dist-lib/core/index.d.ts'), 'utf8');
  expect(types).toContain('H264ToMp4Stream');
  expect(types).not.toMatch(/BitReader|concatBytes|samplePayloads/);
});

/** Starts `npx h264mux serve …source --host 127.0.0.1 --port 0` from the package; resolves with the page's URL. */
async function serveFromPackage(
  source: readonly string[],
): Promise<{ relay: RunningProcess; url: string }> {
  const relay = installed.start([
    'h264mux',
    'serve',
    ...source,
    '--host',
    '127.0.0.1',
    '--port',
    '0',
  ]);
  try {
    await expect
      .poll(() => relay.output(), { timeout: 30_000 })
      .toMatch(/open http:\/\/127\.0\.0\.1:\d+\//);
  } catch (e) {
    await relay.stop();
    throw e;
  }
  return { relay, url: /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(relay.output())![1]! };
}

test('npx h264mux serve from the installed package: the page at / plays the live stream', async ({
  page,
}) => {
  test.setTimeout(90_000);
  const f = fixture('p01');
  const { relay, url } = await serveFromPackage(['--file', join(FIXTURES, f.name), '--loop']);
  try {
    const failed: string[] = [];
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    page.on('pageerror', (e) => failed.push(`page error: ${e.message}`));
    await page.goto(url);
    expect(page.url()).toContain('src=ws');
    await expect
      .poll(async () => (await videoState(page)).total, { timeout: 20_000 })
      .toBeGreaterThan(0);
    const t0 = (await videoState(page)).currentTime;
    await expect
      .poll(async () => (await videoState(page)).currentTime, { timeout: 20_000 })
      .toBeGreaterThan(t0 + 1);
    const video = await videoState(page);
    expect(video.error).toBeNull();
    expect(`${video.width}x${video.height}`).toBe(f.sizes[0]);
    expect((await debug(page)).errors).toEqual([]);
    // The page names its icon, and the relay serves it (it was a 404 on every load).
    const icon = await page.evaluate(async () => {
      const link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
      if (!link) return 'no <link rel="icon">';
      const r = await fetch(link.href);
      return `${r.status} ${r.headers.get('content-type')}`;
    });
    expect(icon).toBe('200 image/svg+xml');
    expect(failed).toEqual([]);
  } finally {
    await relay.stop();
  }
});

test('npx h264mux serve --exec from the installed package: a camera command run again when it exits, the page plays on', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const f = fixture('p01');
  // The camera: ffmpeg sending the file in real time, then exiting (as a camera command may).
  const camera = `ffmpeg -v error -re -i '${join(FIXTURES, f.name)}' -c copy -f h264 -`;
  const { relay, url } = await serveFromPackage(['--exec', camera]);
  try {
    await page.goto(url);
    await expect
      .poll(async () => (await videoState(page)).total, { timeout: 20_000 })
      .toBeGreaterThan(0);
    const reconnects = async (): Promise<number> =>
      ((await (await fetch(`${url}status`)).json()) as { source: { reconnects: number } }).source
        .reconnects;
    await expect.poll(reconnects, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    expect(relay.output()).toMatch(/ffmpeg exited with code 0/);
    // The page plays on after the command ran again: new frames (a live track's currentTime runs
    // on whether frames come or not).
    const frames = (await videoState(page)).total;
    await expect
      .poll(async () => (await videoState(page)).total, { timeout: 20_000 })
      .toBeGreaterThan(frames + 30);
    expect((await videoState(page)).error).toBeNull();
  } finally {
    await relay.stop();
  }
});

test('npx h264mux convert from the installed package passes the ffmpeg oracle', async () => {
  const f = fixture('p04'); // B-frames: the last frames come out only at the end
  const raw = join(FIXTURES, f.name);
  const out = join(installed.dir, 'p04.mp4');
  const r = await installed.npx(['h264mux', 'convert', raw, '-o', out]);
  expect(r.stderr).toContain(`${out}: ${f.frames} frames`);
  expect(r.code).toBe(0);
  const compared = await compareWithRaw(out, raw, f.fps!);
  expect(compared.theirs).toHaveLength(f.frames);
  expect(compared.ours).toEqual(compared.theirs);
  expect(compared.grid).toBeUndefined();
  expect(compared.errors.stderr).toBe('');
});
