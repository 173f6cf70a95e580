// WebKitGTK for the latency bench (bench/latency.mjs): its MiniBrowser over classic WebDriver
// (scripts/webkit-driver.mjs, as the engine specs drive it), behind the small part of puppeteer's
// Browser/Page interface the harness uses (bench/latency-harness.mjs runPage).
//
// Classic WebDriver has no script that runs before a page's own (puppeteer's evaluateOnNewDocument),
// which the barcode probe must be. So pages are opened from a second app server of the rig whose HTML
// carries the probe as its first script (latency-rig.mjs `probedOrigin`): `goto` keeps the path and the
// query and takes that origin. Our page is the same build wherever it is served; a relay path's page
// comes from that server too (its stream still comes from the relay, `?src=`).
// No console events (the first frame is found by polling; the page's own clock times it), no CDP (no
// CPU throttling, as in Firefox), no other script before the page's (no busy-page condition).
import { startWebKitDriver } from '../scripts/webkit-driver.mjs';

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
  if (!probedOrigin) throw new Error('WebKit needs the rig`s probed app server');
  const webkit = await startWebKitDriver();
  let version;
  return {
    async version() {
      if (!version) {
        const driver = await webkit.session();
        try {
          version = `WebKitGTK ${(await driver.getCapabilities()).get('browserVersion')}`;
        } finally {
          await driver.quit();
        }
      }
      return version;
    },
    async createBrowserContext() {
      const driver = await webkit.session();
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
    close: () => webkit.close(),
  };
}
