// Types of scripts/webkit-driver.mjs.
import type { ChildProcess } from 'node:child_process';
import type { WebDriver } from 'selenium-webdriver';

export declare const WEBKIT_DRIVER: string;
export declare const MINIBROWSER: string;
export declare function stopProcess(child: ChildProcess): Promise<void>;
export interface XDisplay {
  /** e.g. ":99" */
  readonly display: string;
  close(): Promise<void>;
}
export declare function startXvfb(): Promise<XDisplay>;
export interface WebKitDriver {
  readonly url: string;
  readonly display: string;
  /** A new MiniBrowser window under automation (a WebDriver session). */
  session(): Promise<WebDriver>;
  close(): Promise<void>;
}
export declare function startWebKitDriver(): Promise<WebKitDriver>;
