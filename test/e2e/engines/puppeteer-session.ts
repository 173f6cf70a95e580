// An EngineSession over a browser launched by puppeteer-core (Chromium over CDP, Firefox over WebDriver BiDi):
// its first page, navigation, evaluation and polling, the same for both.
import type { Browser } from 'puppeteer-core';
import { pollUntil } from './engine.js';
import type { EngineName, EngineSession, PageFunction } from './engine.js';

/** `browserVersion` turns puppeteer's version string ("HeadlessChrome/156…", "firefox/153…") into a number. */
export async function puppeteerSession(
  name: EngineName,
  browser: Browser,
  browserVersion: (raw: string) => string,
): Promise<EngineSession> {
  const page = (await browser.pages())[0] ?? (await browser.newPage());
  const session: EngineSession = {
    name,
    version: `${name} ${browserVersion(await browser.version())}`,
    async open(url) {
      await page.goto(url, { waitUntil: 'load' });
    },
    evaluate<A extends unknown[], R>(fn: PageFunction<A, R>, ...args: A): Promise<R> {
      return page.evaluate(fn as (...a: unknown[]) => R | Promise<R>, ...args);
    },
    waitFor(fn, options, ...args) {
      return pollUntil(session, fn, options, args);
    },
    async close() {
      await browser.close();
    },
  };
  return session;
}
