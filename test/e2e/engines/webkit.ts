// WebKitGTK (Safari's engine family): its MiniBrowser driven by WebKitWebDriver (package webkit2gtk-driver)
// through selenium-webdriver, on a private Xvfb display. H.264 is decoded by GStreamer (gstreamer1.0-libav).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { Builder } from 'selenium-webdriver';
import { EngineError, pollUntil } from './engine.js';
import type { EngineSession, PageFunction } from './engine.js';
import { startXvfb, stopProcess } from './xvfb.js';

export const WEBKIT_DRIVER = '/usr/bin/WebKitWebDriver';
export const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

function freePort(): Promise<number> {
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

async function waitForDriver(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`${url}/status`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new EngineError('LAUNCH_FAILED', `WebKitWebDriver did not answer at ${url}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function launchWebKit(): Promise<EngineSession> {
  for (const path of [WEBKIT_DRIVER, MINIBROWSER]) {
    if (!existsSync(path)) {
      throw new EngineError(
        'LAUNCH_FAILED',
        `${path} is missing: run \`npm run pretest\` (apt-get install -y webkit2gtk-driver)`,
      );
    }
  }
  const x = await startXvfb();
  const port = await freePort();
  const driverProcess = spawn(WEBKIT_DRIVER, [`--port=${port}`], {
    stdio: 'ignore',
    // WebKitGTK takes navigator.language from LANG: under LANG=C.UTF-8 (CI machines) it is "C", which Intl rejects (uPlot's
    // module-level Intl.NumberFormat(navigator.language) threw and the page UI did not load). Run under
    // LANG=C.UTF-8 on purpose: src/app/locale.ts must keep the page working there.
    env: { ...process.env, DISPLAY: x.display, LANG: 'C.UTF-8', LC_ALL: '' },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForDriver(url, 10_000);
    const driver = await new Builder()
      .usingServer(url)
      .withCapabilities({
        browserName: 'MiniBrowser',
        'webkitgtk:browserOptions': {
          binary: MINIBROWSER,
          args: ['--automation', '--autoplay-policy=allow'],
        },
      })
      .build();
    const capabilities = await driver.getCapabilities();
    const version = `webkitgtk ${String(capabilities.get('browserVersion'))}`;
    const session: EngineSession = {
      name: 'webkit',
      version,
      async open(target) {
        await driver.get(target);
      },
      async evaluate<A extends unknown[], R>(fn: PageFunction<A, R>, ...args: A): Promise<R> {
        // W3C "execute script": the body returns the function's result, a promise is awaited.
        const body = `return (${fn.toString()}).apply(null, arguments);`;
        return await driver.executeScript(body, ...args);
      },
      waitFor(fn, options, ...args) {
        return pollUntil(session, fn, options, args);
      },
      async close() {
        try {
          await driver.quit();
        } finally {
          await stopProcess(driverProcess);
          await x.close();
        }
      },
    };
    return session;
  } catch (error) {
    await stopProcess(driverProcess);
    await x.close();
    throw error;
  }
}
