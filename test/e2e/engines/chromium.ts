// Chromium (Debian's /usr/bin/chromium, else Playwright's build) through puppeteer-core, headless: the
// engine specs run in it too, so that every engine is measured by the same code.
import puppeteer from 'puppeteer-core';
import { chromiumLaunchOptions } from '../../../scripts/browser.mjs';
import type { EngineSession } from './engine.js';
import { puppeteerSession } from './puppeteer-session.js';

export async function launchChromium(): Promise<EngineSession> {
  const options = await chromiumLaunchOptions();
  const browser = await puppeteer.launch({ ...options, browser: 'chrome' });
  return puppeteerSession('chromium', browser, (raw) => raw.replace(/^\D+\//, ''));
}
