// Chromium (Debian's /usr/bin/chromium, else Playwright's build) through puppeteer-core, headless: the
// engine specs run in it too, so that every engine is measured by the same code.
import puppeteer from 'puppeteer-core';
import { chromiumLaunchOptions } from '../../../scripts/browser.mjs';
import { pollUntil } from './engine.js';
import type { EngineSession, PageFunction } from './engine.js';

export async function launchChromium(): Promise<EngineSession> {
  const options = await chromiumLaunchOptions();
  const browser = await puppeteer.launch({ ...options, browser: 'chrome' });
  const page = (await browser.pages())[0] ?? (await browser.newPage());
  const version = `chromium ${(await browser.version()).replace(/^\D+\//, '')}`;
  const session: EngineSession = {
    name: 'chromium',
    version,
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
