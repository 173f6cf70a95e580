// Firefox ESR (/usr/bin/firefox-esr, Debian's) driven by puppeteer-core over WebDriver BiDi, headless.
import { existsSync } from 'node:fs';
import puppeteer from 'puppeteer-core';
import { EngineError, pollUntil } from './engine.js';
import type { EngineSession, PageFunction } from './engine.js';

export const FIREFOX = '/usr/bin/firefox-esr';

export async function launchFirefox(): Promise<EngineSession> {
  if (!existsSync(FIREFOX)) {
    throw new EngineError(
      'LAUNCH_FAILED',
      `${FIREFOX} is missing: run \`npm run pretest\` (apt-get install -y firefox-esr)`,
    );
  }
  const browser = await puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath: FIREFOX,
    headless: true,
    // Autoplay of muted media is allowed by default; allow it with sound too, as the other engines do.
    extraPrefsFirefox: { 'media.autoplay.default': 0 },
  });
  const page = (await browser.pages())[0] ?? (await browser.newPage());
  const version = `firefox ${(await browser.version()).replace(/^firefox\//, '')}`;
  const session: EngineSession = {
    name: 'firefox',
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
