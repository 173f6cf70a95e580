// WebKitGTK (Safari's engine family) under automation, for the engine specs (test/e2e/engines/webkit.ts)
// and the latency bench (bench/latency-webkit.mjs): WebKitWebDriver (package webkit2gtk-driver) on a
// private Xvfb display, and MiniBrowser sessions through selenium-webdriver. H.264 is decoded by
// GStreamer (gstreamer1.0-libav). Plain JS, as ./browser.mjs.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { Builder } from 'selenium-webdriver';

export const WEBKIT_DRIVER = '/usr/bin/WebKitWebDriver';
export const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

/** Ends `child` (SIGTERM) and resolves when it has exited. */
export function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve(undefined));
    child.kill('SIGTERM');
  });
}

/** A private X display: Xvfb picks a free display number itself (-displayfd) and tells it. */
export async function startXvfb() {
  const child = spawn(
    'Xvfb',
    ['-displayfd', '3', '-screen', '0', '1280x900x24', '-nolisten', 'tcp'],
    {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk.toString()));
  const fd3 = child.stdio[3];
  if (!fd3 || !('on' in fd3)) throw new Error('Xvfb: no display fd');
  const number = await new Promise((resolve, reject) => {
    let out = '';
    fd3.on('data', (chunk) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('error', (error) =>
      reject(new Error(`Xvfb: ${error.message} (apt-get install -y xvfb)`)),
    );
    child.once('exit', (code) => reject(new Error(`Xvfb exited (${code}): ${stderr.slice(-500)}`)));
  });
  return { display: `:${number}`, close: () => stopProcess(child) };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForDriver(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${url}/status`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`WebKitWebDriver did not answer at ${url}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * WebKitWebDriver on its own Xvfb display; `session()` opens a MiniBrowser window (a WebDriver session,
 * nothing shared with another one), `close()` ends the driver and the display.
 */
export async function startWebKitDriver() {
  for (const path of [WEBKIT_DRIVER, MINIBROWSER]) {
    if (!existsSync(path)) {
      throw new Error(
        `${path} is missing: run \`npm run pretest\` (apt-get install -y webkit2gtk-driver gstreamer1.0-libav)`,
      );
    }
  }
  const x = await startXvfb();
  const port = await freePort();
  const driverProcess = spawn(WEBKIT_DRIVER, [`--port=${port}`], {
    stdio: 'ignore',
    // WebKitGTK takes navigator.language from LANG: under LANG=C.UTF-8 (CI machines) it is "C", which
    // Intl rejects (uPlot's module-level Intl.NumberFormat(navigator.language) threw and the page UI did
    // not load). Run under LANG=C.UTF-8 on purpose: src/app/locale.ts must keep the page working there.
    env: { ...process.env, DISPLAY: x.display, LANG: 'C.UTF-8', LC_ALL: '' },
  });
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    try {
      await stopProcess(driverProcess);
    } finally {
      await x.close();
    }
  };
  try {
    await waitForDriver(url, 10_000);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    url,
    display: x.display,
    session() {
      return new Builder()
        .usingServer(url)
        .withCapabilities({
          browserName: 'MiniBrowser',
          'webkitgtk:browserOptions': {
            binary: MINIBROWSER,
            args: ['--automation', '--autoplay-policy=allow'],
          },
        })
        .build();
    },
    close,
  };
}
