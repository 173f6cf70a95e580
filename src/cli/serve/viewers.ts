import type { ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import { announcement } from '../../sources/framing.js';
import {
  parseReceipt,
  receiptRequest,
  RECEIPT_EVERY_MS,
  skipMessage,
  SOURCE_FPS_HEADER,
  sourceFpsMessage,
  STREAM_FPS_HEADER,
  type SkipNotice,
  UPSTREAM_HEADER,
  UPSTREAM_REASON_HEADER,
  upstreamHeaders,
  upstreamMessage,
  type UpstreamNotice,
} from '../../sources/relay-protocol.js';
import type { Viewer } from './relay.js';

/** The close reason of a stream that ended (the source's end, not a cut). */
export const END_OF_STREAM = 'end of stream';

/** A client sending more messages a second than this is not sending receipts (asked every 250 ms). */
export const MAX_RECEIPTS_PER_S = Math.ceil(4000 / RECEIPT_EVERY_MS);

/** Headers of the endless raw stream: playable from a page on another origin, never cached. */
export const STREAM_HEADERS = {
  'Content-Type': 'video/h264',
  'Cache-Control': 'no-cache, no-store, must-revalidate',
  Pragma: 'no-cache',
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': `${UPSTREAM_HEADER}, ${UPSTREAM_REASON_HEADER}, ${SOURCE_FPS_HEADER}, ${STREAM_FPS_HEADER}`,
  'X-Content-Type-Options': 'nosniff',
} as const;

/**
 * The headers of `/stream.h264` (GET, and HEAD without the body, RFC 9110 §9.3.2): whether the
 * source is up, its steady rate once known, the operator's rate (src/sources/relay-protocol.ts).
 */
export function streamHeaders(
  upstream: UpstreamNotice,
  sourceFps: number | undefined,
  streamFps: number | undefined,
): Record<string, string> {
  return {
    ...STREAM_HEADERS,
    ...upstreamHeaders(upstream),
    ...(sourceFps !== undefined ? { [SOURCE_FPS_HEADER]: String(sourceFps) } : {}),
    ...(streamFps !== undefined ? { [STREAM_FPS_HEADER]: String(streamFps) } : {}),
  };
}

/**
 * `GET /stream.h264`: chunked HTTP/1.1 (RFC 9112 §7.1), bytes written as they arrive. The headers say
 * whether the relay's source is up, and its rate once known (src/sources/relay-protocol.ts); the
 * response stays open while it is down.
 */
export class HttpViewer implements Viewer {
  readonly mode = 'bytes';
  readonly transport = 'http';

  constructor(
    private readonly res: ServerResponse,
    upstream: UpstreamNotice,
    sourceFps?: number,
    /** The rate the operator times the stream by (--fps, or an upstream relay's): STREAM_FPS_HEADER. */
    streamFps?: number,
  ) {
    res.socket?.setNoDelay(true);
    res.writeHead(200, streamHeaders(upstream, sourceFps, streamFps));
    res.flushHeaders();
    // Camera down: a few zero bytes (leading_zero_8bits, H.264 B.1: every reader skips them), since
    // Firefox's fetch() resolves only with the body's first bytes: without them its page never saw
    // the headers that say the camera is down, and waited in silence.
    if (upstream.upstream === 'down') res.write(new Uint8Array(4));
  }

  buffered(): number {
    return this.res.writableLength;
  }

  writeBytes(data: Uint8Array): void {
    if (!this.res.destroyed) this.res.write(data);
  }

  /**
   * The chunked body ends cleanly (its last chunk, RFC 9112 §7.1) only when the stream ended: a
   * stream cut short (a frame the camera broke off, a stalled viewer, the relay stopping) is aborted,
   * so that a client such as `curl ... | h264mux convert -` does not take the cut for the end.
   */
  close(reason: string): void {
    if (reason === END_OF_STREAM) this.res.end();
    else this.res.destroy();
  }
}

/**
 * WebSocket on `/stream`. By default it announces access-unit framing (src/sources/framing.ts) and
 * sends one binary message per access unit; `?framing=none` gets the raw bytes as they arrive instead.
 * The announcement carries the operator's rate (--fps), as HttpViewer's STREAM_FPS_HEADER.
 * Text messages tell whether the relay's source is up (src/sources/relay-protocol.ts).
 */
export class WsViewer implements Viewer {
  readonly transport = 'ws';

  /** The client's last receipt (src/sources/relay-protocol.ts); undefined before its first. */
  private receivedBytes: number | undefined;
  private receipts = 0;
  private receiptsSince = 0;

  constructor(
    private readonly ws: WebSocket,
    readonly mode: 'bytes' | 'au',
    upstream: UpstreamNotice,
    /** The rate the operator times the stream by (as HttpViewer's), in the framing announcement. */
    streamFps?: number,
  ) {
    if (mode === 'au') ws.send(announcement('access-unit', streamFps));
    else if (streamFps !== undefined) ws.send(announcement('none', streamFps));
    ws.send(receiptRequest());
    if (upstream.upstream === 'down') this.notify(upstream);
  }

  received(): number | undefined {
    return this.receivedBytes;
  }

  /**
   * A message from the client: a receipt is taken (true); anything else, or receipts faster than
   * MAX_RECEIPTS_PER_S, is not (false: the caller ends the connection).
   */
  message(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): boolean {
    if (isBinary) return false;
    const t = performance.now();
    if (t - this.receiptsSince >= 1000) {
      this.receiptsSince = t;
      this.receipts = 0;
    }
    if (++this.receipts > MAX_RECEIPTS_PER_S) return false;
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString()
      : Buffer.isBuffer(data)
        ? data.toString()
        : Buffer.from(new Uint8Array(data)).toString();
    const received = parseReceipt(text);
    if (received === undefined) return false;
    this.receivedBytes = Math.max(this.receivedBytes ?? 0, received);
    return true;
  }

  buffered(): number {
    return this.ws.bufferedAmount;
  }

  writeBytes(data: Uint8Array): void {
    this.sendBinary(data);
  }

  writeAccessUnit(data: Uint8Array): void {
    this.sendBinary(data);
  }

  notify(notice: UpstreamNotice): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(upstreamMessage(notice));
  }

  skipped(notice: SkipNotice): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(skipMessage(notice));
  }

  sourceFps(fps: number): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(sourceFpsMessage(fps));
  }

  close(reason: string): void {
    if (reason === 'viewer stalled') this.ws.terminate();
    else this.ws.close(1000, reason.slice(0, 100));
  }

  private sendBinary(data: Uint8Array): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(data, { binary: true });
  }
}
