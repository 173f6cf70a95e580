/**
 * An HTTP(S) URL read with fetch + ReadableStream reader: a finite file (Content-Length present)
 * or an endless chunked live stream. Live streams are watched for stalls and reconnected with
 * backoff; a finite response is read with backpressure. A first connection that finds nothing there
 * (or a 5xx) is retried too, with the error visible meanwhile: a live camera may not be up yet. A
 * relay's headers saying its camera is down (./relay-protocol.ts) go to the sink, and that connection
 * is then not dropped for a lack of data until data flows.
 */
import {
  sourceFpsFromHeaders,
  streamFpsFromHeaders,
  upstreamFromHeaders,
} from './relay-protocol.js';
import { SourceError, isMixedContent, mixedContentError, probeHttp, retryAfter } from './source.js';
import type { ByteSource, SourceSink } from './source.js';

export interface HttpSourceOptions {
  /** Force live (true) or file (false) handling; default: live when there is no Content-Length. */
  readonly live?: boolean | undefined;
  /** No bytes for this long on a live stream: reconnect. */
  readonly stallTimeoutMs: number;
}

export class HttpSource implements ByteSource {
  readonly kind = 'http';
  reconnects = 0;
  private readonly stopController = new AbortController();

  constructor(
    readonly label: string,
    readonly options: HttpSourceOptions,
  ) {}

  start(sink: SourceSink): void {
    void this.run(sink);
  }

  stop(): void {
    this.stopController.abort();
  }

  private get stopped(): boolean {
    return this.stopController.signal.aborted;
  }

  /**
   * Whether a first connection that failed this way is worth retrying: nothing answered, or the
   * server said "not now" (5xx, 408, 429; RFC 9110 §15.6). A URL forced to file handling, CORS,
   * mixed content and other 4xx answers (e.g. a file URL that 404s) are fatal; with `live` forced,
   * every HTTP status is retried.
   */
  private mayComeUp(error: SourceError): boolean {
    if (this.options.live === false) return false;
    if (error.code === 'UNREACHABLE') return true;
    if (error.code !== 'HTTP_STATUS') return false;
    const status = Number(error.detail['status']);
    return this.options.live === true || status >= 500 || status === 408 || status === 429;
  }

  private async run(sink: SourceSink): Promise<void> {
    let url: URL;
    try {
      url = new URL(this.label, location.href);
    } catch {
      sink.error(new SourceError('BAD_URL', `Not a valid URL: ${this.label}`));
      return;
    }
    if (isMixedContent(url, location.protocol)) {
      sink.error(mixedContentError(url));
      return;
    }
    let connections = 0;
    let attempt = 0;
    let live = this.options.live ?? true;
    while (!this.stopped) {
      const connection = new AbortController();
      const abort = (): void => connection.abort();
      this.stopController.signal.addEventListener('abort', abort);
      let reason = 'the server closed the stream';
      let stalled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const arm = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          stalled = true;
          connection.abort();
        }, this.options.stallTimeoutMs);
      };
      try {
        let response: Response;
        // From the request on: a server that accepts and answers nothing (or, in Firefox, whose
        // fetch() waits for the first body bytes, headers and nothing) would hold the page for ever.
        arm();
        try {
          response = await fetch(url, { signal: connection.signal, cache: 'no-store' });
        } catch (error) {
          if (stalled) {
            throw new SourceError(
              'UNREACHABLE',
              `${url.href} sent nothing for ${(this.options.stallTimeoutMs / 1000).toFixed(1)} s: the server takes the connection but sends no stream (a camera behind it may be down).`,
              { url: url.href },
            );
          }
          throw await diagnoseFetchFailure(url, error);
        }
        clearTimeout(timer);
        if (!response.ok || !response.body) {
          throw new SourceError(
            'HTTP_STATUS',
            `${url.href} answered ${response.status} ${response.statusText}`.trim() + '.',
            { status: response.status, statusText: response.statusText, url: url.href },
          );
        }
        live = this.options.live ?? !response.headers.has('content-length');
        if (connections > 0) this.reconnects++;
        connections++;
        const streamFps = streamFpsFromHeaders(response.headers);
        await sink.connected({
          live,
          reconnect: connections > 1,
          accessUnitFraming: false,
          ...(streamFps !== undefined ? { streamFps } : {}),
        });
        const upstream = upstreamFromHeaders(response.headers);
        // The relay is up and its camera is not: the data starts when the camera is back.
        let waitingForCamera = upstream?.upstream === 'down';
        if (upstream) sink.upstream?.(upstream);
        const sourceFps = sourceFpsFromHeaders(response.headers);
        if (sourceFps !== undefined) sink.sourceFps?.(sourceFps);
        const reader = response.body.getReader();
        for (;;) {
          if (live && !waitingForCamera) arm();
          const { done, value } = await reader.read();
          clearTimeout(timer);
          if (this.stopped) return;
          if (done) break;
          attempt = 0;
          // A relay whose camera is down sends zero bytes so that the headers arrive (see
          // src/cli/serve/viewers.ts HttpViewer): they are not the camera.
          if (waitingForCamera && value.every((b) => b === 0)) continue;
          if (waitingForCamera) {
            waitingForCamera = false;
            sink.upstream?.({ upstream: 'up' });
          }
          await sink.data(value, false);
        }
        if (!live) {
          sink.end();
          return;
        }
      } catch (error) {
        clearTimeout(timer);
        if (this.stopped) return;
        if (connections === 0) {
          const failure =
            error instanceof SourceError
              ? error
              : new SourceError('UNREACHABLE', `Could not load ${url.href}: ${String(error)}`);
          if (!sink.unreachable || !this.mayComeUp(failure)) {
            sink.error(failure);
            return;
          }
          // A live stream that is not up yet (camera booting, relay restarting): keep trying.
          await retryAfter(sink, ++attempt, failure, this.stopController.signal);
          continue;
        }
        if (!live) {
          sink.error(
            new SourceError('READ_FAILED', `Reading ${url.href} failed: ${messageOf(error)}`),
          );
          return;
        }
        reason = stalled
          ? `no data for ${(this.options.stallTimeoutMs / 1000).toFixed(1)} s`
          : messageOf(error);
      } finally {
        this.stopController.signal.removeEventListener('abort', abort);
      }
      await retryAfter(sink, ++attempt, reason, this.stopController.signal);
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * fetch() rejects with the same TypeError for "nothing there" and "CORS blocked". A second request
 * in `no-cors` mode tells them apart: it succeeds (opaque response) when the server answered.
 */
async function diagnoseFetchFailure(url: URL, error: unknown): Promise<SourceError> {
  if (error instanceof SourceError) return error;
  if (url.origin !== location.origin && (await probeHttp(url, false)).answered) {
    return new SourceError(
      'CORS',
      `${url.href} answered, but the browser blocked it (CORS): the server must send the header "Access-Control-Allow-Origin: ${location.origin}" (or "*").`,
      { url: url.href, origin: location.origin },
    );
  }
  if (await answersWithRedirect(url)) {
    return new SourceError(
      'UNREACHABLE',
      `${url.href} answers with a redirect the browser cannot follow (a redirect loop, or to an address this page may not read): open it in a tab to see where it leads.`,
      { url: url.href, redirect: true },
    );
  }
  return new SourceError(
    'UNREACHABLE',
    `Could not reach ${url.href} (${messageOf(error)}): is the server running and the address right?`,
    { url: url.href },
  );
}

/**
 * Whether the server at `url` answers with a redirect (fetch's `redirect: 'manual'` gives an
 * `opaqueredirect` response then, Fetch §4.4), which fetch() failed to follow: a loop, too many, or to
 * a scheme or address it may not fetch.
 */
async function answersWithRedirect(url: URL, timeoutMs = 3000): Promise<boolean> {
  const probe = new AbortController();
  const timer = setTimeout(() => probe.abort(), timeoutMs);
  try {
    const response = await fetch(url, {
      // (no-cors requests may only follow redirects; a cross-origin redirect is seen with CORS headers)
      redirect: 'manual',
      signal: probe.signal,
      cache: 'no-store',
    });
    return response.type === 'opaqueredirect';
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    probe.abort();
  }
}
