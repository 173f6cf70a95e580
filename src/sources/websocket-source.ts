/**
 * A ws(s):// URL: binary messages (binaryType 'arraybuffer') are stream bytes, cut anywhere unless
 * access-unit framing applies (./framing.ts). Reconnects with backoff when the socket closes or no
 * message arrives for the stall timeout. A first connection that fails is retried the same way (the
 * error stays visible meanwhile): a live stream may simply not be up yet. A relay's word that its
 * camera is down (./relay-protocol.ts) goes to the sink; the relay repeats it while it lasts, which
 * keeps the stall timer from dropping a working connection. A relay that asks for receipts gets them:
 * how many bytes arrived, so that it keeps a viewer on a slow link near live.
 */
import { parseAnnouncement } from './framing.js';
import {
  ORIGIN_REFUSED_CODE,
  parseReceiptRequest,
  parseSkipMessage,
  parseSourceFpsMessage,
  parseUpstreamMessage,
  receiptMessage,
} from './relay-protocol.js';
import type { WsFraming } from './framing.js';
import { SourceError, isMixedContent, mixedContentError, probeHttp, retryAfter } from './source.js';
import type { ByteSource, SourceSink } from './source.js';

export interface WebSocketSourceOptions {
  /** Forced framing (page option `framing=`); undefined: as the server announces. */
  readonly framing?: WsFraming | undefined;
  readonly stallTimeoutMs: number;
}

export class WebSocketSource implements ByteSource {
  readonly kind = 'websocket';
  reconnects = 0;
  private readonly stopController = new AbortController();
  private socket: WebSocket | undefined;
  /** The close reason of a relay that refused this page for its origin (ORIGIN_REFUSED_CODE). */
  private refusal: string | undefined;

  constructor(
    readonly label: string,
    readonly options: WebSocketSourceOptions,
  ) {}

  start(sink: SourceSink): void {
    void this.run(sink);
  }

  stop(): void {
    this.stopController.abort();
    this.socket?.close();
  }

  private async run(sink: SourceSink): Promise<void> {
    let url: URL;
    try {
      url = new URL(this.label, location.href);
      if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error('scheme');
    } catch {
      sink.error(new SourceError('BAD_URL', `Not a valid WebSocket URL: ${this.label}`));
      return;
    }
    if (isMixedContent(url, location.protocol)) {
      sink.error(mixedContentError(url));
      return;
    }
    let connections = 0;
    let attempt = 0;
    while (!this.stopController.signal.aborted) {
      const outcome = await this.connectOnce(url, sink, connections > 0, () => {
        if (connections > 0) this.reconnects++;
        connections++;
        attempt = 0;
      });
      if (this.stopController.signal.aborted) return;
      if (this.refusal !== undefined) {
        // An h264mux relay that refuses this page's origin: retrying changes nothing.
        sink.error(
          new SourceError(
            'WS_REFUSED',
            `${url.host} refused this page: ${this.refusal || 'its origin is not allowed'} (the relay's own page may always play it).`,
            { url: url.href, status: 403 },
          ),
        );
        return;
      }
      if (connections === 0) {
        const error = await diagnoseWsFailure(url, outcome);
        if (this.stopController.signal.aborted) return;
        if (!sink.unreachable || isFinalRefusal(error)) {
          sink.error(error);
          return;
        }
        // Live: the camera or relay may not be up yet; keep trying with backoff.
        await retryAfter(sink, ++attempt, error, this.stopController.signal);
        continue;
      }
      await retryAfter(
        sink,
        ++attempt,
        outcome || 'the connection closed',
        this.stopController.signal,
      );
    }
  }

  /** One connection; resolves with a reason when it is over. */
  private connectOnce(
    url: URL,
    sink: SourceSink,
    reconnect: boolean,
    onOpen: () => void,
  ): Promise<string> {
    return new Promise((resolve) => {
      let socket: WebSocket;
      try {
        socket = new WebSocket(url.href);
      } catch (error) {
        resolve(error instanceof Error ? error.message : String(error));
        return;
      }
      this.socket = socket;
      socket.binaryType = 'arraybuffer';
      const forced = this.options.framing;
      let framing: WsFraming = forced ?? 'none';
      let streamFps: number | undefined;
      let opened = false;
      let stallReason = '';
      /** A text message the relay protocol does not know, while no binary one came. */
      let strayText: string | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const arm = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          const seconds = (this.options.stallTimeoutMs / 1000).toFixed(1);
          stallReason =
            strayText !== undefined && received === 0
              ? `no video for ${seconds} s: the server sends text messages, not H.264 (${JSON.stringify(strayText.slice(0, 60))}${strayText.length > 60 ? '…' : ''})`
              : `no data for ${seconds} s`;
          socket.close();
        }, this.options.stallTimeoutMs);
      };
      /** Receipts the relay asked for (ms between them), the bytes received, the last receipt. */
      let receiptEveryMs: number | undefined;
      let received = 0;
      let receiptAt = -Infinity;
      let receiptTimer: ReturnType<typeof setTimeout> | undefined;
      const sendReceipt = (): void => {
        clearTimeout(receiptTimer);
        receiptTimer = undefined;
        receiptAt = performance.now();
        if (socket.readyState === socket.OPEN) socket.send(receiptMessage(received));
      };
      /**
       * At most one receipt per interval, and the last bytes always told (a trailing receipt): a
       * relay that skipped this viewer waits for its word that all of it has arrived.
       */
      const receipt = (): void => {
        if (receiptEveryMs === undefined) return;
        const since = performance.now() - receiptAt;
        if (since >= receiptEveryMs) sendReceipt();
        else receiptTimer ??= setTimeout(sendReceipt, receiptEveryMs - since);
      };
      let announcedToSink = false;
      const announce = (): void => {
        if (announcedToSink) return;
        announcedToSink = true;
        void sink.connected({
          live: true,
          reconnect,
          accessUnitFraming: framing === 'access-unit',
          ...(streamFps !== undefined ? { streamFps } : {}),
        });
      };
      socket.onopen = () => {
        opened = true;
        onOpen();
        arm();
      };
      socket.onmessage = (event: MessageEvent<ArrayBuffer | string>) => {
        if (typeof event.data === 'string') {
          const text = event.data;
          const announced = parseAnnouncement(text);
          const notice = parseUpstreamMessage(text);
          const receiptsEvery = parseReceiptRequest(text);
          const skipped = parseSkipMessage(text);
          const sourceFps = parseSourceFpsMessage(text);
          // Text the relay protocol does not know keeps no connection alive: a server sending only
          // text (a JSON feed, a chat) stalls, and is named for it, where it held a spinner for ever.
          if (
            !announced &&
            !notice &&
            receiptsEvery === undefined &&
            !skipped &&
            sourceFps === undefined
          ) {
            if (received === 0 && stallReason === '') strayText = text;
            return;
          }
          arm();
          // The announcement counts only before the first binary message (see ./framing.ts).
          if (announced && !announcedToSink) {
            if (forced === undefined) framing = announced.framing;
            streamFps = announced.fps;
          }
          announce();
          if (notice) sink.upstream?.(notice);
          receiptEveryMs = receiptsEvery ?? receiptEveryMs;
          if (skipped) sink.skipped?.(skipped);
          if (sourceFps !== undefined) sink.sourceFps?.(sourceFps);
          return;
        }
        arm();
        received += event.data.byteLength;
        receipt();
        announce();
        void sink.data(new Uint8Array(event.data), framing === 'access-unit');
      };
      socket.onclose = (event: CloseEvent) => {
        clearTimeout(timer);
        clearTimeout(receiptTimer);
        if (event.code === ORIGIN_REFUSED_CODE) this.refusal = event.reason;
        if (this.socket === socket) this.socket = undefined;
        if (!opened) resolve(event.reason || `closed with code ${event.code}`);
        else
          resolve(
            stallReason || event.reason || `the server closed the connection (code ${event.code})`,
          );
      };
    });
  }
}

/**
 * Why a first WebSocket connection failed. The WebSocket API hides the server's answer (a 404 and a
 * refused connection both close with 1006), so a plain GET of the same URL tells "nothing there" from
 * "the server is up but has no WebSocket at this path", with its status when CORS lets the page read it.
 */
async function diagnoseWsFailure(url: URL, outcome: string): Promise<SourceError> {
  const http = new URL(url.href);
  http.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  const probe = await probeHttp(http, true);
  if (!probe.answered) {
    return new SourceError(
      'UNREACHABLE',
      `Could not connect to ${url.href}${outcome ? ` (${outcome})` : ''}: is the server running and the address right?`,
      { url: url.href },
    );
  }
  const status = probe.status;
  return new SourceError(
    'WS_REFUSED',
    `${url.host} answers${status !== undefined ? ` (HTTP ${status})` : ''} but did not accept a WebSocket at ${url.pathname}.`,
    { url: url.href, ...(status !== undefined ? { status } : {}) },
  );
}

/** A refusal that retrying cannot change: a 4xx other than 408 and 429 (RFC 9110 §15.5). */
function isFinalRefusal(error: SourceError): boolean {
  const status = error.detail['status'];
  return (
    error.code === 'WS_REFUSED' &&
    typeof status === 'number' &&
    status >= 400 &&
    status < 500 &&
    status !== 408 &&
    status !== 429
  );
}
