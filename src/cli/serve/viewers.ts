import type { ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import { ACCESS_UNIT_ANNOUNCEMENT } from '../../sources/framing.js';
import type { Viewer } from './relay.js';

/** Headers of the endless raw stream: playable from a page on another origin, never cached. */
export const STREAM_HEADERS = {
  'Content-Type': 'video/h264',
  'Cache-Control': 'no-cache, no-store, must-revalidate',
  Pragma: 'no-cache',
  'Access-Control-Allow-Origin': '*',
  'X-Content-Type-Options': 'nosniff',
} as const;

/** `GET /stream.h264`: chunked HTTP/1.1 (RFC 9112 §7.1), bytes written as they arrive. */
export class HttpViewer implements Viewer {
  readonly mode = 'bytes';
  readonly transport = 'http';

  constructor(private readonly res: ServerResponse) {
    res.socket?.setNoDelay(true);
    res.writeHead(200, STREAM_HEADERS);
    res.flushHeaders();
  }

  buffered(): number {
    return this.res.writableLength;
  }

  writeBytes(data: Uint8Array): void {
    if (!this.res.destroyed) this.res.write(data);
  }

  close(reason: string): void {
    if (reason === 'viewer stalled') this.res.destroy();
    else this.res.end();
  }
}

/**
 * WebSocket on `/stream`. By default it announces access-unit framing (src/sources/framing.ts) and
 * sends one binary message per AU; `?framing=none` gets the raw bytes as they arrive instead.
 */
export class WsViewer implements Viewer {
  readonly transport = 'ws';

  constructor(
    private readonly ws: WebSocket,
    readonly mode: 'bytes' | 'au',
  ) {
    if (mode === 'au') ws.send(ACCESS_UNIT_ANNOUNCEMENT);
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

  close(reason: string): void {
    if (reason === 'viewer stalled') this.ws.terminate();
    else this.ws.close(1000, reason.slice(0, 100));
  }

  private sendBinary(data: Uint8Array): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(data, { binary: true });
  }
}
