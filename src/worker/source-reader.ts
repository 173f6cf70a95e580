/**
 * A live WebSocket or HTTP stream read inside the transmuxer worker (the `source-open` command of
 * ./protocol.ts), for the WebCodecs renderer that shows the stream from the worker
 * (./track-renderer.ts): the bytes then go from the network to the transmuxer, the decoder and the
 * page's video track without waiting for the page's main thread (the page's interface loading at the
 * first frame held them for 150 ms, 500 ms on a throttled page, and those frames were shown late).
 *
 * The page still decides everything a connection implies: each `connected` goes to the page, which
 * configures (or resets) the transmuxer and says `source-ready`; bytes that arrive meanwhile are held,
 * then pushed in order. The source's other events (reconnecting, unreachable, the relay's upstream
 * notices, errors, the end) are forwarded as they come.
 */
import { HttpSource } from '../sources/http-source.js';
import { WebSocketSource } from '../sources/websocket-source.js';
import type { ByteSource, SourceSink } from '../sources/source.js';
import type { SourceEvent, SourceSpec } from './protocol.js';

/**
 * Bytes held at most while the page has not taken a connection yet; beyond, the held bytes are
 * dropped (the transmuxer then starts at the next keyframe, as when joining a stream mid-GOP).
 */
export const MAX_HELD_BYTES = 8 * 1024 * 1024;

/** Bytes of the source, as it gave them. */
export interface Chunk {
  readonly data: Uint8Array;
  readonly endOfAccessUnit: boolean;
}

export type PushBytes = (data: Uint8Array, endOfAccessUnit: boolean) => void;
export type PostEvent = (event: SourceEvent) => void;

/** The source for a spec. */
export function sourceForSpec(spec: SourceSpec): ByteSource {
  switch (spec.kind) {
    case 'websocket':
      return new WebSocketSource(spec.url, {
        framing: spec.framing,
        stallTimeoutMs: spec.stallTimeoutMs,
      });
    case 'http':
      return new HttpSource(spec.url, { live: spec.live, stallTimeoutMs: spec.stallTimeoutMs });
  }
}

export class SourceReader {
  private held: Chunk[] = [];
  /**
   * What a page that takes the source over is told: the current connection's `connected`, then the
   * source's latest event since (an end or an error: a short file may be read to its end before the
   * page comes; a connection lost, and then the connection is no longer current).
   */
  private lastConnected: SourceEvent | undefined;
  private lastEvent: SourceEvent | undefined;
  /** The relay's latest notice about its camera on the current connection. */
  private lastUpstream: SourceEvent | undefined;
  private heldBytes = 0;
  /** The page took the current connection: bytes go straight to the transmuxer. */
  private ready = false;
  private stopped = false;
  private readonly source: ByteSource;

  constructor(
    readonly spec: SourceSpec,
    private readonly push: PushBytes,
    private post: PostEvent,
    create: (spec: SourceSpec) => ByteSource = sourceForSpec,
  ) {
    this.source = create(spec);
  }

  start(): void {
    this.source.start(this.sink);
  }

  /**
   * A page takes over this source, opened before it was listening (by the page's first script, see
   * vite.config.ts): it is told the source's state again, and a connection made meanwhile waits for its
   * `source-ready` with the bytes held since.
   */
  adopt(post: PostEvent): void {
    this.post = post;
    if (this.lastConnected) post(this.lastConnected);
    if (this.lastEvent) post(this.lastEvent);
    if (this.lastUpstream) post(this.lastUpstream);
  }

  /** The page handled the last `connected` (its commands for it are queued before this): bytes flow. */
  resume(): void {
    if (this.stopped) return;
    this.ready = true;
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const chunk of held) this.push(chunk.data, chunk.endOfAccessUnit);
  }

  /**
   * Bytes pushed already (the early session's, see ./worker-session.ts) that the page's own
   * configuration must see again: held, before any held since, until its next `source-ready`.
   */
  rewind(chunks: readonly Chunk[]): void {
    if (this.stopped) return;
    this.ready = false;
    this.held = [...chunks, ...this.held];
    for (const chunk of chunks) this.heldBytes += chunk.data.byteLength;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.held = [];
    this.heldBytes = 0;
    this.source.stop();
  }

  private tell(event: SourceEvent): void {
    if (event.type === 'upstream') this.lastUpstream = event;
    else if (event.type === 'connected') {
      this.lastConnected = event;
      this.lastEvent = undefined;
      this.lastUpstream = undefined;
    } else {
      if (event.type === 'reconnecting' || event.type === 'unreachable') {
        this.lastConnected = undefined;
      }
      this.lastEvent = event;
      this.lastUpstream = undefined;
    }
    this.post(event);
  }

  private readonly sink: SourceSink = {
    connected: (info) => {
      if (this.stopped) return;
      this.ready = false;
      this.tell({ type: 'connected', info, reconnects: this.source.reconnects });
    },
    data: (data, endOfAccessUnit) => {
      if (this.stopped) return;
      if (this.ready) {
        this.push(data, endOfAccessUnit);
        return;
      }
      this.held.push({ data, endOfAccessUnit });
      this.heldBytes += data.byteLength;
      if (this.heldBytes > MAX_HELD_BYTES) {
        this.held = [];
        this.heldBytes = 0;
      }
    },
    end: () => {
      if (!this.stopped) this.tell({ type: 'end' });
    },
    reconnecting: (attempt, delayMs, reason) => {
      if (!this.stopped) this.tell({ type: 'reconnecting', attempt, delayMs, reason });
    },
    unreachable: (error, attempt, delayMs) => {
      if (!this.stopped)
        this.tell({ type: 'unreachable', error: error.toJSON(), attempt, delayMs });
    },
    upstream: (notice) => {
      if (!this.stopped) this.tell({ type: 'upstream', notice });
    },
    skipped: (notice) => {
      if (!this.stopped) this.tell({ type: 'skipped', notice });
    },
    sourceFps: (fps) => {
      if (!this.stopped) this.tell({ type: 'source-fps', fps });
    },
    error: (error) => {
      if (!this.stopped) this.tell({ type: 'error', error: error.toJSON() });
    },
  };
}
