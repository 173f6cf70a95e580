/**
 * The byte source for what the caller hands `play()`: an http(s) or ws(s) URL, a File or Blob, or a
 * ReadableStream of bytes.
 */
import type { WsFraming } from '../sources/framing.js';
import { FileSource } from '../sources/file-source.js';
import { HttpSource } from '../sources/http-source.js';
import { SourceError } from '../sources/source.js';
import type { ByteSource } from '../sources/source.js';
import { StreamSource } from '../sources/stream-source.js';
import { WebSocketSource } from '../sources/websocket-source.js';

export type PlaySource = string | URL | Blob | ReadableStream<Uint8Array>;

export interface SourceOptions {
  /** HTTP or a stream: force live (true) or file (false) handling (HTTP default: live without Content-Length; a stream: live). */
  readonly live?: boolean | undefined;
  /** WebSocket framing override (see src/sources/framing.ts; default: what the server announces). */
  readonly framing?: WsFraming | undefined;
  /** Live: reconnect after this many milliseconds without data (default 5000). */
  readonly stallTimeoutMs?: number | undefined;
}

const DEFAULT_STALL_MS = 5000;

export function sourceFor(source: PlaySource, options: SourceOptions = {}): ByteSource {
  if (typeof source === 'string' || source instanceof URL) return sourceForUrl(source, options);
  if (source instanceof Blob) return new FileSource(source);
  return new StreamSource(source, { live: options.live });
}

/** A URL as typed; relative ones resolve against the page (when there is one). */
function sourceForUrl(src: string | URL, options: SourceOptions): ByteSource {
  let url: URL;
  try {
    url = new URL(src, globalThis.location?.href);
  } catch {
    throw new SourceError('BAD_URL', `Not a valid URL: ${String(src)}`);
  }
  const stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_MS;
  switch (url.protocol) {
    case 'ws:':
    case 'wss:':
      return new WebSocketSource(url.href, { framing: options.framing, stallTimeoutMs });
    case 'http:':
    case 'https:':
      return new HttpSource(url.href, { live: options.live, stallTimeoutMs });
    default:
      throw new SourceError('BAD_URL', `Cannot read ${url.protocol} URLs: ${String(src)}`);
  }
}
