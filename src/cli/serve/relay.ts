import { AccessUnitScanner, concat, type KeyframeInfo, type ScannerSink } from './au-scanner.js';

/**
 * The relay hub: one source in, many viewers out, no muxing.
 *
 * - Bytes are forwarded as soon as they arrive to every "live" byte-stream viewer (HTTP).
 * - Access-unit viewers (WebSocket, one message per AU) get each AU when it is proven complete.
 * - GOP cache: the AUs from the latest keyframe on (with the SPS/PPS a decoder needs in front), so a
 *   new viewer starts decoding at once.
 * - Slow viewers: each viewer's queue is its socket's buffer, bounded; a viewer over its bound stops
 *   receiving at the end of the current AU (a NAL is never cut) and resumes at the next keyframe.
 *   The source is never paused.
 */

export interface Viewer {
  /** 'bytes': the raw stream, forwarded as it arrives; 'au': one whole access unit per write. */
  readonly mode: 'bytes' | 'au';
  readonly transport: 'http' | 'ws';
  /** Bytes queued towards the client and not yet taken by the kernel. */
  buffered(): number;
  /** Raw bytes ('bytes' viewers). */
  writeBytes?(data: Uint8Array): void;
  /** One whole AU ('au' viewers). */
  writeAccessUnit?(data: Uint8Array): void;
  /** Ends the viewer's connection (reason for the log). */
  close(reason: string): void;
}

type ViewerState =
  /** Receiving the stream. */
  | 'live'
  /** Over its buffer bound: receives the rest of the current AU, then waits (HTTP only). */
  | 'finishing'
  /** Waiting for the next keyframe (just joined without a cache, or skipped). */
  | 'waiting';

interface ViewerEntry {
  readonly viewer: Viewer;
  state: ViewerState;
  /** The viewer received bytes of the AU in progress (HTTP). */
  midAu: boolean;
  /** When the viewer started waiting after a skip (ms), 0 when not skipping. */
  skippingSince: number;
  skips: number;
  bytesOut: number;
  readonly joinedAt: number;
}

export interface RelayOptions {
  /** Give joiners the GOP cache (default true; false only for the benchmark's comparison). */
  readonly gopCache?: boolean;
  /** Per-viewer bound on queued bytes beyond the current GOP (default 4 MiB). */
  readonly maxViewerBuffer?: number;
  /** GOPs bigger than this are not cached; joiners then wait for the next keyframe (default 16 MiB). */
  readonly maxGopBytes?: number;
  /** A skipping viewer that has not drained for this long is disconnected (default 30 s). */
  readonly stallTimeoutMs?: number;
  readonly now?: () => number;
}

export interface ViewerStatus {
  readonly transport: 'http' | 'ws';
  readonly mode: 'bytes' | 'au';
  readonly state: string;
  readonly skips: number;
  readonly bytesOut: number;
  readonly buffered: number;
  readonly seconds: number;
}

export interface RelayStats {
  readonly viewers: {
    readonly http: number;
    readonly ws: number;
    readonly total: number;
    /** Largest queue of any viewer now (bytes): stays under the bound, whatever the clients do. */
    readonly maxBuffered: number;
    /** The first 100 viewers, for inspection. */
    readonly list: readonly ViewerStatus[];
  };
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly accessUnits: number;
  readonly keyframes: number;
  readonly skips: number;
  readonly slowDisconnects: number;
  readonly fps: number;
  readonly bitrate: number;
  readonly gopCache: {
    readonly enabled: boolean;
    readonly frames: number;
    readonly bytes: number;
  };
}

interface Gop {
  /** Completed AUs from the keyframe on; the first one with the parameter sets inserted. */
  readonly aus: Uint8Array[];
  bytes: number;
  readonly info: KeyframeInfo;
}

const RATE_WINDOW_MS = 2000;

export class Relay implements ScannerSink {
  private readonly scanner = new AccessUnitScanner(this);
  private readonly viewers = new Set<ViewerEntry>();
  private readonly gopCacheEnabled: boolean;
  private readonly maxViewerBuffer: number;
  private readonly maxGopBytes: number;
  private readonly stallTimeoutMs: number;
  private readonly now: () => number;
  /** Bytes of the AU in progress. */
  private auChunks: Uint8Array[] = [];
  /** The AU in progress is a keyframe (its parameter set info). */
  private auKey: KeyframeInfo | null = null;
  private gop: Gop | null = null;
  private bytesIn = 0;
  private bytesOut = 0;
  private keyframes = 0;
  private skips = 0;
  private slowDisconnects = 0;
  private readonly auTimes: number[] = [];
  private readonly byteTimes: { t: number; n: number }[] = [];

  constructor(options: RelayOptions = {}) {
    this.gopCacheEnabled = options.gopCache ?? true;
    this.maxViewerBuffer = options.maxViewerBuffer ?? 4 * 1024 * 1024;
    this.maxGopBytes = options.maxGopBytes ?? 16 * 1024 * 1024;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 30_000;
    this.now = options.now ?? (() => performance.now());
  }

  /** Source bytes; `endOfAccessUnit` when the source proves the chunk ends an AU (file source). */
  push(chunk: Uint8Array, endOfAccessUnit = false): void {
    this.bytesIn += chunk.length;
    const t = this.now();
    this.byteTimes.push({ t, n: chunk.length });
    this.prune(t);
    // Batch the writes of one chunk per socket (cork/uncork in the viewers).
    this.scanner.push(chunk, endOfAccessUnit);
  }

  /** The source ended normally: the AU in progress is complete. */
  end(): void {
    this.scanner.flush();
  }

  /**
   * The source broke (reconnect): the AU in progress can not be proven complete, so it is dropped.
   * Byte-stream viewers that already got part of it are closed (their player reconnects and resumes
   * at a keyframe) rather than handed a NAL cut in two; AU viewers only ever got whole AUs and wait for
   * the next keyframe. The GOP cache is cleared: the next connection starts its own stream.
   */
  sourceReset(): void {
    this.scanner.reset();
    for (const e of this.viewers) {
      if (e.viewer.mode === 'bytes' && e.midAu) {
        e.viewer.close('source lost mid-frame');
        this.viewers.delete(e);
        continue;
      }
      e.state = 'waiting';
      e.midAu = false;
    }
    this.auChunks = [];
    this.auKey = null;
    this.gop = null;
  }

  /** A new viewer: with the GOP cache it starts at once from the latest keyframe. */
  addViewer(viewer: Viewer): () => void {
    const entry: ViewerEntry = {
      viewer,
      state: 'waiting',
      midAu: false,
      skippingSince: 0,
      skips: 0,
      bytesOut: 0,
      joinedAt: this.now(),
    };
    this.viewers.add(entry);
    if (this.gopCacheEnabled) {
      if (this.gop && this.gop.aus.length > 0) {
        // Completed AUs of the GOP, then (byte viewers) the AU in progress.
        for (const au of this.gop.aus) this.send(entry, au, true);
        if (viewer.mode === 'bytes') {
          for (const c of this.auChunks) this.send(entry, c, false);
          entry.midAu = this.auChunks.length > 0;
        }
        entry.state = 'live';
      } else if (this.auKey) {
        this.startAtKeyframe(entry);
      }
    }
    return () => {
      this.viewers.delete(entry);
    };
  }

  stats(): RelayStats {
    const t = this.now();
    this.prune(t);
    let http = 0;
    let ws = 0;
    let maxBuffered = 0;
    const list: ViewerStatus[] = [];
    for (const e of this.viewers) {
      if (e.viewer.transport === 'http') http++;
      else ws++;
      const buffered = e.viewer.buffered();
      maxBuffered = Math.max(maxBuffered, buffered);
      if (list.length < 100) {
        list.push({
          transport: e.viewer.transport,
          mode: e.viewer.mode,
          state: e.state,
          skips: e.skips,
          bytesOut: e.bytesOut,
          buffered,
          seconds: Math.round(t - e.joinedAt) / 1000,
        });
      }
    }
    let windowBytes = 0;
    for (const b of this.byteTimes) windowBytes += b.n;
    return {
      viewers: { http, ws, total: http + ws, maxBuffered, list },
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      accessUnits: this.scanner.accessUnits,
      keyframes: this.keyframes,
      skips: this.skips,
      slowDisconnects: this.slowDisconnects,
      fps: Math.round((this.auTimes.length * 1000 * 100) / RATE_WINDOW_MS) / 100,
      bitrate: Math.round((windowBytes * 8 * 1000) / RATE_WINDOW_MS),
      gopCache: {
        enabled: this.gopCacheEnabled,
        frames: this.gop ? this.gop.aus.length + (this.auChunks.length > 0 ? 1 : 0) : 0,
        bytes: this.gop ? this.gop.bytes : 0,
      },
    };
  }

  /** Closes every viewer (shutdown, end of stream). */
  closeAll(reason: string): void {
    for (const e of this.viewers) e.viewer.close(reason);
    this.viewers.clear();
  }

  // ScannerSink: called by the scanner in stream order.

  bytes(data: Uint8Array): void {
    this.auChunks.push(data);
    for (const e of this.viewers) {
      if (e.viewer.mode !== 'bytes' || e.state === 'waiting') continue;
      if (e.state === 'live' && e.viewer.buffered() > this.bound()) {
        // Over its bound: finish the AU it is in (never cut a NAL), then skip to the next keyframe.
        if (!e.midAu) {
          this.skip(e);
          continue;
        }
        e.state = 'finishing';
      }
      this.send(e, data, false);
      e.midAu = true;
    }
  }

  keyframe(info: KeyframeInfo): void {
    this.keyframes++;
    this.auKey = info;
    // The GOP restarts at this AU; it is stored (with parameter sets) when complete.
    this.gop = this.gopCacheEnabled ? { aus: [], bytes: 0, info } : null;
    const t = this.now();
    for (const e of this.viewers) {
      if (e.state !== 'waiting') continue;
      if (e.viewer.buffered() > this.bound() / 2) {
        if (e.skippingSince > 0 && t - e.skippingSince > this.stallTimeoutMs) {
          this.slowDisconnects++;
          this.viewers.delete(e);
          e.viewer.close('viewer stalled');
        }
        continue;
      }
      this.startAtKeyframe(e);
    }
  }

  accessUnitEnd(): void {
    const t = this.now();
    this.auTimes.push(t);
    const raw = concat(this.auChunks);
    const au = this.auKey ? withParameterSets(raw, this.auKey) : raw;
    for (const e of this.viewers) {
      if (e.viewer.mode === 'bytes') {
        if (e.state === 'finishing') this.skip(e);
        e.midAu = false;
        continue;
      }
      if (e.state !== 'live') continue;
      if (e.viewer.buffered() > this.bound()) {
        this.skip(e);
        continue;
      }
      this.send(e, au, true);
    }
    if (this.gop) {
      this.gop.aus.push(au);
      this.gop.bytes += au.length;
      if (this.gop.bytes > this.maxGopBytes) this.gop = null;
    }
    this.auChunks = [];
    this.auKey = null;
  }

  /** Starts a waiting viewer at the keyframe AU in progress. */
  private startAtKeyframe(e: ViewerEntry): void {
    const key = this.auKey;
    if (!key) return;
    e.state = 'live';
    e.skippingSince = 0;
    if (e.viewer.mode === 'bytes') {
      // The keyframe AU's bytes so far, parameter sets inserted; the rest follows live.
      const head = withParameterSets(concat(this.auChunks), key);
      if (head.length > 0) {
        this.send(e, head, false);
        e.midAu = true;
      }
    }
    // AU viewers get the whole keyframe AU (with parameter sets) at its end.
  }

  private skip(e: ViewerEntry): void {
    e.state = 'waiting';
    e.midAu = false;
    e.skips++;
    this.skips++;
    e.skippingSince = this.now();
  }

  private send(e: ViewerEntry, data: Uint8Array, wholeAu: boolean): void {
    if (data.length === 0) return;
    if (wholeAu && e.viewer.writeAccessUnit) e.viewer.writeAccessUnit(data);
    else if (e.viewer.writeBytes) e.viewer.writeBytes(data);
    else return;
    e.bytesOut += data.length;
    this.bytesOut += data.length;
  }

  /** A viewer may hold a whole GOP (the join burst) plus the configured margin. */
  private bound(): number {
    return this.maxViewerBuffer + (this.gop ? this.gop.bytes : 0);
  }

  private prune(t: number): void {
    while (this.auTimes.length > 0 && t - this.auTimes[0]! > RATE_WINDOW_MS) this.auTimes.shift();
    while (this.byteTimes.length > 0 && t - this.byteTimes[0]!.t > RATE_WINDOW_MS)
      this.byteTimes.shift();
  }
}

/** The AU with the joiner's SPS/PPS inserted (after a leading AUD), or the AU itself when it has them. */
export function withParameterSets(au: Uint8Array, key: KeyframeInfo): Uint8Array {
  if (key.parameterSets.length === 0) return au;
  const at = Math.min(key.insertAt, au.length);
  return concat([au.subarray(0, at), key.parameterSets, au.subarray(at)]);
}
