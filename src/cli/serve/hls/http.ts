import type { IncomingMessage, ServerResponse } from 'node:http';
import { mediaPlaylist } from './playlist.js';
import type { HlsSegmenter } from './segmenter.js';

/** Where the rendition lives on the relay. */
export const HLS_PATH = '/hls/';
export const PLAYLIST_PATH = '/hls/live.m3u8';

/**
 * Cache-Control, for a cache or CDN in front:
 * - init segments, segments and parts never change under their URI (the URI names the run): cached for good;
 * - the playlist without a blocking-reload query changes with every part: not reused without asking;
 * - a playlist answering `_HLS_msn`/`_HLS_part` is a valid answer to that same query from then on, so a
 *   cache shares it among every viewer waiting for the same part; one second bounds how stale an answer can
 *   be for a viewer who asks late (and across a relay restart, which numbers segments from 0 again).
 */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const PLAYLIST_LIVE = 'no-cache';
const PLAYLIST_BLOCKING = 'public, max-age=1';
const ERROR = 'no-store';

const CORS = { 'Access-Control-Allow-Origin': '*' } as const;

export interface HlsHttpOptions {
  /** How long a blocking request is held (ms). Default: three target durations (RFC 8216bis §6.2.5.2). */
  readonly blockTimeoutMs?: number;
}

type Blocking =
  | { readonly kind: 'none' }
  | { readonly kind: 'msn'; readonly msn: number }
  | { readonly kind: 'part'; readonly msn: number; readonly part: number };

/** HTTP side of the LL-HLS rendition: the playlist (with blocking reload), init segments, segments, parts. */
export class HlsHttp {
  private text: { version: number; body: string } | undefined;
  /** Requests held (see hold), released at close; none once closed. */
  private readonly held = new Set<AbortController>();
  private closed = false;
  /** Requests that reached the relay, by kind (a cache in front should keep these near one per part). */
  readonly requests = {
    playlist: 0,
    blockingPlaylist: 0,
    part: 0,
    segment: 0,
    init: 0,
    rejected: 0,
  };

  constructor(
    private readonly segmenter: HlsSegmenter,
    private readonly options: HlsHttpOptions = {},
  ) {}

  /** Releases every held request (server shutdown). */
  close(): void {
    this.closed = true;
    for (const request of this.held) request.abort();
    this.held.clear();
  }

  /** Serves a request under /hls/. */
  handle(req: IncomingMessage, res: ServerResponse, pathname: string, query: string): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      this.fail(res, 405, 'use GET or HEAD', { Allow: 'GET, HEAD, OPTIONS' });
      return;
    }
    if (pathname === PLAYLIST_PATH) {
      const q = new URLSearchParams(query);
      if (q.has('_HLS_msn')) this.requests.blockingPlaylist++;
      else this.requests.playlist++;
      void this.playlist(req, res, q);
      return;
    }
    const m = /^\/hls\/([0-9a-z]+)\/(init|s|p)(\d{1,15})\.(mp4|m4s)$/.exec(pathname);
    if (!m || m[1] !== this.segmenter.epoch) {
      this.fail(
        res,
        404,
        'no such HLS resource (the relay may have restarted: reload the playlist)',
      );
      return;
    }
    const n = Number(m[3]);
    const kind = m[2] as 'init' | 's' | 'p';
    this.requests[kind === 'init' ? 'init' : kind === 's' ? 'segment' : 'part']++;
    if (kind === 'init') {
      const data = this.segmenter.initData(n);
      if (data && m[4] === 'mp4') this.media(req, res, [data]);
      else this.fail(res, 404, 'no such init segment');
    } else if (kind === 's') {
      const data = this.segmenter.segmentData(n);
      if (data && m[4] === 'm4s') this.media(req, res, data);
      else this.fail(res, 404, 'segment not in the window (too old, or not complete yet)');
    } else if (m[4] === 'm4s') void this.part(req, res, n);
    else this.fail(res, 404, 'no such part');
  }

  private async playlist(
    req: IncomingMessage,
    res: ServerResponse,
    q: URLSearchParams,
  ): Promise<void> {
    const seg = this.segmenter;
    // §6.2.5.2: the directives are ignored once the playlist has EXT-X-ENDLIST.
    const blocking: Blocking | string = seg.isEnded ? { kind: 'none' } : parseBlocking(q);
    if (typeof blocking === 'string') {
      this.fail(res, 400, blocking);
      return;
    }
    const last = seg.lastPart();
    if (last && blocking.kind !== 'none') {
      // §6.2.5.2: a request too far ahead of the playlist is answered at once with 400.
      if (blocking.msn > last.msn + 2) {
        this.fail(
          res,
          400,
          `_HLS_msn=${blocking.msn} is more than two segments ahead of ${last.msn}`,
        );
        return;
      }
      if (blocking.kind === 'part') {
        const limit = advancePartLimit(seg.partTarget);
        const ahead = blocking.msn === last.msn ? blocking.part - last.index : blocking.part + 1;
        if (blocking.msn >= last.msn && ahead > limit) {
          this.fail(res, 400, `_HLS_part=${blocking.part} is more than ${limit} parts ahead`);
          return;
        }
      }
    }
    const ready = (): boolean => {
      if (seg.playlist() === undefined) return false;
      if (seg.isEnded) return true;
      const l = seg.lastPart();
      switch (blocking.kind) {
        case 'none':
          return true;
        case 'msn':
          return seg.lastCompleteMsn() >= blocking.msn;
        case 'part':
          // The part, or any later one (the segment may have ended before reaching that index).
          return (
            l !== undefined &&
            (l.msn > blocking.msn || (l.msn === blocking.msn && l.index >= blocking.part))
          );
      }
    };
    if (!(await this.hold(res, ready))) {
      this.fail(res, 503, 'the stream has not reached that point yet (is the source running?)', {
        'Retry-After': '1',
      });
      return;
    }
    const body = this.playlistText();
    res.writeHead(200, {
      ...CORS,
      'Content-Type': 'application/vnd.apple.mpegurl',
      'Cache-Control': blocking.kind === 'none' ? PLAYLIST_LIVE : PLAYLIST_BLOCKING,
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private async part(req: IncomingMessage, res: ServerResponse, n: number): Promise<void> {
    let p = this.segmenter.part(n);
    // §6.2.6 (preload hints): the hinted part is requested before it exists; answer once it does.
    if (p.state === 'next') {
      await this.hold(res, () => this.segmenter.part(n).state !== 'next');
      p = this.segmenter.part(n);
    }
    if (p.state === 'ready') this.media(req, res, [p.data]);
    else if (res.writableEnded || res.destroyed) return;
    else this.fail(res, 404, 'part not in the window (too old, or the stream ended)');
  }

  /** Waits until `check` holds, the block timeout passes, the client leaves or the server closes. */
  private hold(res: ServerResponse, check: () => boolean): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    const timeoutMs = this.options.blockTimeoutMs ?? 3 * this.segmenter.targetDuration * 1000;
    // One controller per request, forgotten after: AbortSignal.any() with a server-lifelong signal left
    // an entry on it per request on Node 20 (nodejs/node#55351), about 57 bytes for each of the ~6
    // blocking requests a second an LL-HLS viewer makes, never freed.
    const request = new AbortController();
    const end = (): void => request.abort();
    if (this.closed) end();
    else this.held.add(request);
    const timer = setTimeout(end, timeoutMs);
    res.on('close', end);
    return this.segmenter.waitFor(check, request.signal).finally(() => {
      clearTimeout(timer);
      res.off('close', end);
      this.held.delete(request);
    });
  }

  private playlistText(): string {
    const version = this.segmenter.stateVersion;
    if (this.text?.version !== version) {
      const model = this.segmenter.playlist();
      this.text = { version, body: model ? mediaPlaylist(model) : '' };
    }
    return this.text.body;
  }

  private media(req: IncomingMessage, res: ServerResponse, chunks: readonly Uint8Array[]): void {
    let length = 0;
    for (const c of chunks) length += c.length;
    res.writeHead(200, {
      ...CORS,
      'Content-Type': 'video/mp4',
      'Cache-Control': IMMUTABLE,
      'Content-Length': length,
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    for (const c of chunks) res.write(c);
    res.end();
  }

  private fail(
    res: ServerResponse,
    status: number,
    message: string,
    headers: Record<string, string> = {},
  ): void {
    if (res.headersSent || res.destroyed) return;
    this.requests.rejected++;
    res.writeHead(status, {
      ...CORS,
      ...headers,
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': ERROR,
    });
    res.end(`${message}\n`);
  }
}

/** The delivery directives of a playlist request (§6.2.5.2), or the reason they are invalid. */
export function parseBlocking(q: URLSearchParams): Blocking | string {
  const msn = q.get('_HLS_msn');
  const part = q.get('_HLS_part');
  if (msn === null) return part === null ? { kind: 'none' } : '_HLS_part needs _HLS_msn';
  if (!/^\d{1,15}$/.test(msn)) return `_HLS_msn must be a decimal integer, got "${msn}"`;
  if (part === null) return { kind: 'msn', msn: Number(msn) };
  if (!/^\d{1,15}$/.test(part)) return `_HLS_part must be a decimal integer, got "${part}"`;
  return { kind: 'part', msn: Number(msn), part: Number(part) };
}

/** §6.2.5.2: three parts, or three seconds' worth when parts are shorter than a second. */
export function advancePartLimit(partTarget: number): number {
  return partTarget > 0 && partTarget < 1 ? Math.floor(3 / partTarget) : 3;
}
