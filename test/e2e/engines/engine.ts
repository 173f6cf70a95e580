// One small interface over the browsers the engine specs drive themselves (not Playwright's `page`):
// Firefox ESR through puppeteer-core's WebDriver BiDi, WebKitGTK's MiniBrowser through WebKitWebDriver,
// and Chromium through puppeteer-core's CDP, so that the same measurements run in all three.
// A spec is written once against EngineSession and runs in every engine (playwright.config.ts has one
// project per engine).

export type EngineName = 'chromium' | 'firefox' | 'webkit';

/** A function run in the page: its arguments and result must survive JSON (structured) cloning. */
export type PageFunction<A extends unknown[], R> = (...args: A) => R | Promise<R>;

export interface EngineSession {
  readonly name: EngineName;
  /** Browser name and version, e.g. "firefox 153.8.0esr". */
  readonly version: string;
  /** Navigates the session's one tab and waits for the load event. */
  open(url: string): Promise<void>;
  /** Runs `fn` in the page and returns its (awaited) result. */
  evaluate<A extends unknown[], R>(fn: PageFunction<A, R>, ...args: A): Promise<R>;
  /** Polls `fn` in the page until it returns a truthy value, which is returned; throws after `timeoutMs`. */
  waitFor<A extends unknown[], R>(
    fn: PageFunction<A, R>,
    options: { readonly timeoutMs: number; readonly what: string },
    ...args: A
  ): Promise<R>;
  close(): Promise<void>;
}

export class EngineError extends Error {
  constructor(
    readonly code: 'LAUNCH_FAILED' | 'WAIT_TIMEOUT' | 'DRIVER_FAILED',
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

const POLL_MS = 200;

/** waitFor for any session: polls `evaluate` from Node (one protocol round trip per poll). */
export async function pollUntil<A extends unknown[], R>(
  session: Pick<EngineSession, 'evaluate' | 'name'>,
  fn: PageFunction<A, R>,
  options: { readonly timeoutMs: number; readonly what: string },
  args: A,
): Promise<R> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await session.evaluate(fn, ...args);
    if (value) return value;
    if (Date.now() > deadline) {
      throw new EngineError(
        'WAIT_TIMEOUT',
        `${session.name}: ${options.what} not reached within ${options.timeoutMs} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export async function launchEngine(name: EngineName): Promise<EngineSession> {
  switch (name) {
    case 'chromium':
      return (await import('./chromium.js')).launchChromium();
    case 'firefox':
      return (await import('./firefox.js')).launchFirefox();
    case 'webkit':
      return (await import('./webkit.js')).launchWebKit();
  }
}
