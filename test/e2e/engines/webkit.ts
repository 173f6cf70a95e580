// WebKitGTK (Safari's engine family): its MiniBrowser driven by WebKitWebDriver on a private Xvfb display
// (scripts/webkit-driver.mjs, shared with the latency bench). H.264 is decoded by GStreamer
// (gstreamer1.0-libav).
import { startWebKitDriver } from '../../../scripts/webkit-driver.mjs';
import { EngineError, pollUntil } from './engine.js';
import type { EngineSession, PageFunction } from './engine.js';

export async function launchWebKit(): Promise<EngineSession> {
  const webkit = await startWebKitDriver().catch((error: unknown) => {
    throw new EngineError('LAUNCH_FAILED', error instanceof Error ? error.message : String(error));
  });
  try {
    const driver = await webkit.session();
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
          await webkit.close();
        }
      },
    };
    return session;
  } catch (error) {
    await webkit.close();
    throw error;
  }
}
