/**
 * What every byte source (file, HTTP, WebSocket) offers the session: bytes in order, connection
 * events, and errors as data with a code the page can explain.
 */
import { CodedError } from '../core/errors.js';
import type { SkipNotice, UpstreamNotice } from './relay-protocol.js';

export type SourceKind = 'file' | 'http' | 'websocket' | 'stream';

export type SourceErrorCode =
  /** The URL is not valid or uses a scheme we cannot read. */
  | 'BAD_URL'
  /** Nothing answered (DNS, refused, reset, timeout). */
  | 'UNREACHABLE'
  /** The server answered but without `Access-Control-Allow-Origin` for this page. */
  | 'CORS'
  /** An http:// or ws:// stream on an https:// page: the browser blocks it. */
  | 'MIXED_CONTENT'
  /** The server answered with a non-2xx status. */
  | 'HTTP_STATUS'
  /** The server answers HTTP but did not accept a WebSocket at that URL (`detail.status` when known). */
  | 'WS_REFUSED'
  /** Reading the body or file failed. */
  | 'READ_FAILED';

export class SourceError extends CodedError<SourceErrorCode> {
  override readonly name = 'SourceError';
}

export interface ConnectionInfo {
  /** True for an endless stream (no Content-Length, WebSocket); false for a file. */
  readonly live: boolean;
  /** True from the second successful connection on. */
  readonly reconnect: boolean;
  /** True when every chunk is exactly one access unit (see ./framing.ts). */
  readonly accessUnitFraming: boolean;
  /**
   * The frame rate the server times the stream by because its operator chose it (an h264mux relay's
   * --fps: ./relay-protocol.ts STREAM_FPS_HEADER, ./framing.ts), undefined when it says none.
   */
  readonly streamFps?: number;
}

export interface SourceSink {
  /** A connection is up (before its first bytes). May return a promise the source awaits. */
  connected(info: ConnectionInfo): Promise<void> | void;
  /**
   * Bytes in stream order. A returned promise is backpressure: the source reads no more until it
   * settles. `endOfAccessUnit` is set only under proven access-unit framing.
   */
  data(chunk: Uint8Array, endOfAccessUnit: boolean): Promise<void> | void;
  /** A finite source ended normally. */
  end(): void;
  /** The connection was lost; the source will try again after `delayMs`. */
  reconnecting(attempt: number, delayMs: number, reason: string): void;
  /**
   * A live source could not connect at all yet (e.g. the camera is not up): `error` says why, in the
   * same words as a fatal error would, and the source tries again after `delayMs`.
   */
  unreachable?(error: SourceError, attempt: number, delayMs: number): void;
  /**
   * A seekable source restarts reading at a keyframe (a seek): the bytes that follow are a new
   * stream whose first presented frame, that keyframe, is frame number `frame` of the source in
   * presentation order (0 = the first frame). May return a promise the source awaits before sending
   * them.
   */
  restarted?(frame: number): Promise<void> | void;
  /**
   * The server is an h264mux relay and says whether its own source (the camera) is up
   * (./relay-protocol.ts). While it is down the connection is kept: no data is no stall then.
   */
  upstream?(notice: UpstreamNotice): void;
  /**
   * The relay left frames out: the link carries less than the stream (./relay-protocol.ts). The bytes
   * that follow start at a keyframe.
   */
  skipped?(notice: SkipNotice): void;
  /**
   * The relay's source (the camera) delivers `fps` frames a second (./relay-protocol.ts): arrivals
   * slower than that are the link's.
   */
  sourceFps?(fps: number): void;
  /** Fatal: the source has stopped. */
  error(error: SourceError): void;
}

export interface ByteSource {
  readonly kind: SourceKind;
  /** Human label (file name or URL). */
  readonly label: string;
  /** Successful reconnections so far. */
  readonly reconnects: number;
  start(sink: SourceSink): void;
  stop(): void;
}

/** A source that can restart reading at a keyframe (a local file). */
export interface SeekableSource extends ByteSource {
  /** Bytes of the whole source. */
  readonly size: number;
  /** Bytes of it read so far, each once: what a seek reads again is not counted again. */
  readonly bytesRead: number;
  /** Frames in the source, exact once it has been read or indexed to the end, else estimated. */
  estimateFrames(): number;
  /**
   * Makes frame `frame` (presentation order) arrive soon: restarts reading at the keyframe at or before it
   * when that skips bytes, or when `rewind` says the frame was read before and is gone (evicted);
   * otherwise reading just goes on. A restart is announced with `SourceSink.restarted`. With `past`, it
   * restarts at the first keyframe presented after frame `frame` instead (a frame the browser fails to
   * decode lies between them), when the file has one.
   */
  seek(frame: number, rewind: boolean, past?: boolean): void;
}

export function isSeekable(source: ByteSource): source is SeekableSource {
  return 'seek' in source && typeof source.seek === 'function';
}

/** Reconnect delays: 0.25 s doubling up to `maxMs`, reset after data flows again. */
export function backoffDelay(attempt: number, maxMs = 5000): number {
  return Math.min(maxMs, 250 * 2 ** Math.max(0, attempt - 1));
}

/**
 * Waits before connection attempt `attempt + 1`, with backoff, after telling the sink why: a first
 * connection that failed (`why` is the error; the sink takes `unreachable`) or a lost connection (`why`
 * is the reason).
 */
export async function retryAfter(
  sink: SourceSink,
  attempt: number,
  why: SourceError | string,
  signal: AbortSignal,
): Promise<void> {
  const delay = backoffDelay(attempt);
  if (typeof why === 'string') sink.reconnecting(attempt, delay, why);
  else sink.unreachable?.(why, attempt, delay);
  await sleep(delay, signal);
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** What a plain GET of a URL tells: nothing answered, or the server's status (when CORS lets us read it). */
export type HttpProbe =
  { readonly answered: false } | { readonly answered: true; readonly status: number | undefined };

/**
 * Asks the server at `url` with a plain GET (headers only: the body is cancelled), to explain a
 * failed connection. With `readStatus` a CORS request first, whose status the page may read; then a
 * `no-cors` one, which succeeds (opaque, status unknown) whenever the server answered at all.
 */
export async function probeHttp(
  url: URL,
  readStatus: boolean,
  timeoutMs = 3000,
): Promise<HttpProbe> {
  const probe = new AbortController();
  const timer = setTimeout(() => probe.abort(), timeoutMs);
  const get = (mode: RequestMode): Promise<Response> =>
    fetch(url, { mode, signal: probe.signal, cache: 'no-store' });
  try {
    if (readStatus) {
      try {
        const response = await get('cors');
        void response.body?.cancel();
        return { answered: true, status: response.status };
      } catch {
        // Blocked by CORS or unreachable: the no-cors request tells which.
      }
    }
    await get('no-cors');
    return { answered: true, status: undefined };
  } catch {
    return { answered: false };
  } finally {
    clearTimeout(timer);
    probe.abort();
  }
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * An insecure stream URL on a secure page is blocked as mixed content (W3C Mixed Content §4.3).
 * Loopback hosts are potentially trustworthy and allowed.
 */
export function isMixedContent(url: URL, pageProtocol: string): boolean {
  if (pageProtocol !== 'https:') return false;
  if (url.protocol !== 'http:' && url.protocol !== 'ws:') return false;
  return !LOOPBACK_HOSTS.has(url.hostname) && !url.hostname.endsWith('.localhost');
}

export function mixedContentError(url: URL): SourceError {
  const secure = url.protocol === 'ws:' ? 'wss://' : 'https://';
  return new SourceError(
    'MIXED_CONTENT',
    `This page was loaded over https://, so the browser blocks the insecure stream ${url.href} (mixed content). Serve the stream over ${secure}, or open this page over http://.`,
    { url: url.href },
  );
}
