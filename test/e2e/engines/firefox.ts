// Firefox ESR (/usr/bin/firefox-esr, Debian's) driven by puppeteer-core over WebDriver BiDi, headless.
import { existsSync } from 'node:fs';
import puppeteer from 'puppeteer-core';
import { EngineError } from './engine.js';
import type { EngineSession } from './engine.js';
import { puppeteerSession } from './puppeteer-session.js';

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
  return puppeteerSession('firefox', browser, (raw) => raw.replace(/^firefox\//, ''));
}
