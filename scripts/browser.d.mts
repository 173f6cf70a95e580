// Types of scripts/browser.mjs (plain JS so that scripts can run before `npm ci` builds anything).
export declare const SYSTEM_CHROMIUM: string;
export declare const CHROMIUM_ARGS: readonly string[];
export declare function findChromium(): Promise<string | undefined>;
export declare function chromiumLaunchOptions(): Promise<{
  executablePath: string;
  args: string[];
  headless: boolean;
}>;
