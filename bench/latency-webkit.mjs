// WebKitGTK for the latency bench (bench/latency.mjs): its MiniBrowser driven by WebKitWebDriver over
// classic WebDriver (selenium-webdriver), on a private Xvfb display, behind the small part of
// puppeteer's Browser/Page interface the harness uses (bench/latency-harness.mjs runPage).
//
// Classic WebDriver has no script that runs before a page's own (puppeteer's evaluateOnNewDocument),
// which the barcode probe must be. So pages are opened from a second app server of the rig whose HTML
// carries the probe as its first script (latency-rig.mjs `probedOrigin`): `goto` keeps the path and the
// query and takes that origin. Our page is the same build wherever it is served; a relay path's page
// comes from that server too (its stream still comes from the relay, `?src=`).
// No console events (the first frame is found by polling; the page's own clock times it), no CDP (no
// CPU throttling, as in Firefox), no other script before the page's (no busy-page condition).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { Builder } from 'selenium-webdriver';

export const WEBKIT_DRIVER = '/usr/bin/WebKitWebDriver';
export const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

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

function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve(undefined));
    child.kill('SIGTERM');
  });
}

/** Xvfb on a display number it picks itself (-displayfd). */
async function startXvfb() {
  const child = spawn(
    'Xvfb',
    ['-displayfd', '3', '-screen', '0', '1280x900x24', '-nolisten', 'tcp'],
    {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (b) => (stderr += b));
  const display = await new Promise((resolve, reject) => {
    let out = '';
    child.stdio[3].on('data', (b) => {
      out += b;
      if (out.includes('\n')) resolve(`:${out.trim()}`);
    });
    child.once('error', (e) => reject(new Error(`Xvfb: ${e.message} (apt-get install -y xvfb)`)));
    child.once('exit', (code) => reject(new Error(`Xvfb exited (${code}): ${stderr.slice(-300)}`)));
  });
  return { display, close: () => stop(child) };
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

/** A page over one WebDriver session (one MiniBrowser window). */
class WebKitPage {
  constructor(driver, probedOrigin) {
    this.driver = driver;
    this.probedOrigin = probedOrigin;
  }

  /** The probe is in every page of the probed server; nothing else can run before a page's scripts. */
  async evaluateOnNewDocument(fn) {
    if (fn.name !== 'probeScript') {
      throw new Error('WebKit (classic WebDriver): no script can run before the page`s own');
    }
  }

  on() {}
  off() {}

  async goto(url) {
    const target = new URL(url);
    const probed = new URL(this.probedOrigin);
    target.protocol = probed.protocol;
    target.host = probed.host;
    await this.driver.get(target.href);
  }

  async evaluate(fn, ...args) {
    // W3C "execute script": the body's result is returned; a promise is awaited.
    return this.driver.executeScript(`return (${fn.toString()}).apply(null, arguments);`, ...args);
  }

  async waitForFunction(fn, { timeout = 30_000 } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const value = await this.evaluate(fn);
      if (value) return { jsonValue: async () => value };
      if (Date.now() > deadline) throw new Error(`Waiting failed: ${timeout}ms exceeded`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async createCDPSession() {
    throw new Error('WebKit has no DevTools protocol here: no CPU throttling');
  }
}

/**
 * A Browser whose contexts are WebDriver sessions (a MiniBrowser process each: nothing shared between
 * runs, as puppeteer's browser contexts). `probedOrigin`: the rig's app server with the probe.
 */
export async function launchWebKit(probedOrigin) {
  for (const path of [WEBKIT_DRIVER, MINIBROWSER]) {
    if (!existsSync(path)) {
      throw new Error(
        `${path} is missing: apt-get install -y webkit2gtk-driver gstreamer1.0-libav`,
      );
    }
  }
  if (!probedOrigin) throw new Error('WebKit needs the rig`s probed app server');
  const x = await startXvfb();
  const port = await freePort();
  // LANG as in test/e2e/engines/webkit.ts (navigator.language).
  const driverProcess = spawn(WEBKIT_DRIVER, [`--port=${port}`], {
    stdio: 'ignore',
    env: { ...process.env, DISPLAY: x.display, LANG: 'C.UTF-8', LC_ALL: '' },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForDriver(url, 10_000);
  } catch (error) {
    await stop(driverProcess);
    await x.close();
    throw error;
  }
  const session = () =>
    new Builder()
      .usingServer(url)
      .withCapabilities({
        browserName: 'MiniBrowser',
        'webkitgtk:browserOptions': {
          binary: MINIBROWSER,
          args: ['--automation', '--autoplay-policy=allow'],
        },
      })
      .build();
  let version;
  return {
    async version() {
      if (!version) {
        const driver = await session();
        try {
          version = `WebKitGTK ${(await driver.getCapabilities()).get('browserVersion')}`;
        } finally {
          await driver.quit();
        }
      }
      return version;
    },
    async createBrowserContext() {
      const driver = await session();
      await driver.manage().window().setRect({ width: 1280, height: 900 });
      return {
        async newPage() {
          return new WebKitPage(driver, probedOrigin);
        },
        async close() {
          await driver.quit();
        },
      };
    },
    async close() {
      await stop(driverProcess);
      await x.close();
    },
  };
}
