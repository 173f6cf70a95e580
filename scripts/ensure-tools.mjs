// `pretest`: make sure ffmpeg, ffprobe, a Chromium, nginx, openssl, Firefox ESR and WebKitGTK's WebDriver (with
// GStreamer's H.264 decoder and an X server for it) are present before any test runs.
// Debian/Ubuntu as root: installs what is missing with apt-get. Elsewhere: exits 1 with the command to run.
// No test is silently skipped for want of a tool.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findChromium } from './browser.mjs';
import { findNginx } from './nginx.mjs';

/** @param {string} cmd */
function onPath(cmd) {
  const r = spawnSync(cmd, ['-version'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

/** GStreamer with the encoders test/oracle/encoders.test.ts uses (openh264enc, x264enc, h264parse). */
const GSTREAMER = [
  'gstreamer1.0-tools',
  'gstreamer1.0-plugins-bad',
  'gstreamer1.0-plugins-ugly',
  'libopenh264-7',
];

/** @param {string} element */
function hasGstElement(element) {
  const r = spawnSync('gst-inspect-1.0', [element], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

/**
 * The other engines of test/e2e/engines (paths as test/e2e/engines/firefox.ts and scripts/webkit-driver.mjs use them):
 * Debian package -> file it installs.
 */
const ENGINE_TOOLS = {
  'firefox-esr': '/usr/bin/firefox-esr',
  'webkit2gtk-driver': '/usr/bin/WebKitWebDriver',
  // WebKitGTK decodes H.264 with GStreamer's libav plugin.
  'gstreamer1.0-libav': '/usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstlibav.so',
  xvfb: '/usr/bin/Xvfb',
  xauth: '/usr/bin/xauth',
};

/** @returns {Promise<string[]>} Debian package names of the missing tools. */
async function missingPackages() {
  const missing = [];
  if (!onPath('ffmpeg') || !onPath('ffprobe')) missing.push('ffmpeg');
  if ((await findChromium()) === undefined) missing.push('chromium');
  if (findNginx() === undefined) missing.push('nginx');
  // Certificates for the relay's https tests (test/helpers/tls.ts).
  const openssl = spawnSync('openssl', ['version'], { stdio: 'ignore' });
  if (openssl.error !== undefined || openssl.status !== 0) missing.push('openssl');
  if (!['openh264enc', 'x264enc', 'h264parse'].every(hasGstElement)) missing.push(...GSTREAMER);
  for (const [pkg, path] of Object.entries(ENGINE_TOOLS)) {
    if (!existsSync(path) && !(pkg === 'gstreamer1.0-libav' && hasGstElement('avdec_h264'))) {
      missing.push(pkg);
    }
  }
  return missing;
}

async function describePresent() {
  const ffmpeg =
    spawnSync('ffmpeg', ['-version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? '';
  const version = /ffmpeg version (\S+)/.exec(ffmpeg)?.[1] ?? 'unknown';
  return `tools ok: ffmpeg/ffprobe ${version}, chromium ${await findChromium()}, firefox-esr, WebKitWebDriver, Xvfb`;
}

const missing = await missingPackages();
if (missing.length === 0) {
  console.log(await describePresent());
  process.exit(0);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get');
const installCmd = `apt-get install -y ${missing.join(' ')}`;

if (!(isRoot && hasApt)) {
  const sudo = hasApt ? `sudo apt-get update && sudo ${installCmd}` : undefined;
  console.error(`Missing test tools: ${missing.join(', ')}.`);
  if (sudo) console.error(`Install them with:\n  ${sudo}`);
  else {
    if (missing.includes('ffmpeg'))
      console.error(
        'Install ffmpeg (with ffprobe) from your package manager, e.g. `brew install ffmpeg`.',
      );
    if (missing.includes('chromium'))
      console.error('Install a Chromium for Playwright with:\n  npx playwright install chromium');
  }
  process.exit(1);
}

console.log(`Installing missing test tools: ${missing.join(', ')} (apt-get)`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update'], ['install', '-y', ...missing]]) {
  const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
  if (r.status !== 0) {
    console.error(
      `\`apt-get ${args.join(' ')}\` failed (exit ${r.status}). Run it by hand:\n  apt-get update && ${installCmd}`,
    );
    process.exit(1);
  }
}
const still = await missingPackages();
if (still.length > 0) {
  console.error(
    `Still missing after apt-get: ${still.join(', ')}. Run:\n  apt-get update && apt-get install -y ${still.join(' ')}`,
  );
  process.exit(1);
}
console.log(await describePresent());
