export interface StaticServer {
  readonly port: number;
  readonly origin: string;
  /** URL of the app root (with the prefix). */
  readonly url: string;
  close(): Promise<void>;
}
export function startStaticServer(
  root: string,
  options?: {
    prefix?: string;
    port?: number;
    routes?: Record<string, { type: string; body: string | Uint8Array }>;
    /** Inserted as the first element of every HTML page's head. */
    headScript?: string;
  },
): Promise<StaticServer>;
