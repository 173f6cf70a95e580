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
  private held: { data: Uint8Array; endOfAccessUnit: boolean }[] = [];
  private heldBytes = 0;
  /** The page took the current connection: bytes go straight to the transmuxer. */
  private ready = false;
  private stopped = false;
  private readonly source: ByteSource;

  constructor(
    spec: SourceSpec,
    private readonly push: PushBytes,
    private readonly post: PostEvent,
    create: (spec: SourceSpec) => ByteSource = sourceForSpec,
  ) {
    this.source = create(spec);
  }

  start(): void {
    this.source.start(this.sink);
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

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.held = [];
    this.heldBytes = 0;
    this.source.stop();
  }

  private readonly sink: SourceSink = {
    connected: (info) => {
      if (this.stopped) return;
      this.ready = false;
      this.post({ type: 'connected', info, reconnects: this.source.reconnects });
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
      if (!this.stopped) this.post({ type: 'end' });
    },
    reconnecting: (attempt, delayMs, reason) => {
      if (!this.stopped) this.post({ type: 'reconnecting', attempt, delayMs, reason });
    },
    unreachable: (error, attempt, delayMs) => {
      if (!this.stopped)
        this.post({ type: 'unreachable', error: error.toJSON(), attempt, delayMs });
    },
    upstream: (notice) => {
      if (!this.stopped) this.post({ type: 'upstream', notice });
    },
    error: (error) => {
      if (!this.stopped) this.post({ type: 'error', error: error.toJSON() });
    },
  };
}
