import {
  AccessUnitReader,
  concatBytes,
  FRAME_END_PAUSE_MS,
  FrameEndBudget,
  type RawAccessUnit,
} from '../../core/index.js';
import { ChunkWindow } from '../../core/bytes/chunk-window.js';
import type { SkipNotice, UpstreamNotice } from '../../sources/relay-protocol.js';
import { ViewerLag } from './viewer-lag.js';
import { arrivalRate } from '../rate-check.js';

/**
 * The relay hub: one source in, many viewers out, no muxing. Access units are found by the core's
 * AccessUnitReader, the access-unit model the Transmuxer itself uses.
 *
 * - Byte-stream viewers (HTTP, WebSocket `?framing=none`) get the bytes as soon as the reader has
 *   placed them (`settledTo`: at most a start code and a NAL header later than they arrive), so that a
 *   viewer's stream can always be ended exactly at the end of an access unit.
 * - When the source proves where an access unit ends (a file, read access unit by access unit), byte
 *   viewers get an access unit delimiter right after it. A delimiter begins the next access unit
 *   (§7.4.1.2.3), so their player knows the frame is complete at once instead of when the next frame's
 *   start code arrives; the next access unit's own leading delimiter is then left out (never two).
 * - A byte-stream source (a camera's raw HTTP or TCP) does not say where a frame ends: the next
 *   frame's start code would, a frame interval later. When the source pauses (no bytes for
 *   FRAME_END_PAUSE_MS), the reader walks the slice in progress; when it is the whole last slice of its frame
 *   (`AccessUnitReader.endIfFrameWhole`), the access unit ends there: access-unit viewers get it at
 *   once (byte viewers have its bytes already; see `paused`). The walks stop if they take more than
 *   40 % of a core (`FrameEndBudget`, e.g. 1080p CABAC on a slow CPU).
 * - Access-unit viewers (WebSocket, one message per access unit) get each one when it is complete.
 * - GOP cache: the access units from the latest keyframe on (with the SPS/PPS a decoder needs in
 *   front), so a new viewer starts decoding at once.
 * - Slow viewers: each viewer's queue is its socket's buffer, bounded in time and in bytes; a viewer
 *   whose oldest queued byte waited more than MAX_VIEWER_LAG_MS (a link slower than the stream:
 *   ./viewer-lag.ts), or whose queue is over its byte bound, stops at the end of an access unit (a NAL
 *   is never cut) and resumes at the next keyframe once its queue has drained. The source is never
 *   paused.
 * - Source lost (a reconnect follows): the reader judges the access unit in progress by walking its
 *   last slice; a whole one is delivered, a cut one dropped. Every viewer stays and resumes at the next
 *   keyframe, except byte viewers that already got part of a cut frame: plain bytes cannot tell their
 *   player to drop it, so they are closed (their player reconnects and resumes at a keyframe too).
 */

export interface Viewer {
  /** 'bytes': the raw stream, forwarded as it arrives; 'au': one whole access unit per write. */
  readonly mode: 'bytes' | 'au';
  readonly transport: 'http' | 'ws';
  /** Bytes queued towards the client and not yet taken by the kernel. */
  buffered(): number;
  /** Raw bytes ('bytes' viewers). */
  writeBytes?(data: Uint8Array): void;
  /** One whole access unit ('au' viewers). */
  writeAccessUnit?(data: Uint8Array): void;
  /** The relay's source went down or came back (see src/sources/relay-protocol.ts). */
  notify?(notice: UpstreamNotice): void;
  /** Bytes the client says it has received (its last receipt), undefined without receipts. */
  received?(): number | undefined;
  /** It was skipped for its slow link and starts again now, at a keyframe (relay-protocol.ts). */
  skipped?(notice: SkipNotice): void;
  /** The source's steady rate (frames a second), at connect time and every few seconds. */
  sourceFps?(fps: number): void;
  /** Ends the viewer's connection (reason for the log). */
  close(reason: string): void;
}

type ViewerState =
  /** Receiving the stream. */
  | 'live'
  /** Waiting for the next keyframe (just joined without a cache, skipped, or the source reconnects). */
  | 'waiting';

interface ViewerEntry {
  readonly viewer: Viewer;
  state: ViewerState;
  /** Byte viewer: a delimiter followed the last access unit it got (the next one's is left out). */
  delimited: boolean;
  /** When the viewer started waiting after a skip (ms), 0 when not skipping. */
  skippingSince: number;
  skips: number;
  /** Access units left out since the last skip. */
  skippedFrames: number;
  /** Since when it has been sent to, with how many bytes taken then: its link's rate at a skip. */
  sentSince: { at: number; taken: number };
  /** What its link took (kbit/s) from `sentSince` to the last skip. */
  linkKbps: number;
  bytesOut: number;
  /** How long its oldest queued byte has waited (./viewer-lag.ts). */
  readonly lag: ViewerLag;
  readonly joinedAt: number;
}

export interface RelayOptions {
  /** Give joiners the GOP cache (default true; false only for the benchmark's comparison). */
  readonly gopCache?: boolean;
  /** Per-viewer bound on queued bytes beyond the current GOP (default 4 MiB). */
  readonly maxViewerBuffer?: number;
  /** Per-viewer bound on how long its oldest queued byte may wait (ms, default MAX_VIEWER_LAG_MS). */
  readonly maxViewerLagMs?: number;
  /** GOPs bigger than this are not cached; joiners then wait for the next keyframe (default 16 MiB). */
  readonly maxGopBytes?: number;
  /** A skipping viewer that has not drained for this long is disconnected (default 30 s). */
  readonly stallTimeoutMs?: number;
  /**
   * End a frame as soon as a byte-stream source pauses after its last slice (default true; false
   * waits for the next frame's start code, for the benchmark's comparison).
   */
  readonly earlyFrameEnd?: boolean;
  /** Notes for the operator's log (early frame ends stopping). */
  readonly log?: (message: string) => void;
  readonly now?: () => number;
}

export interface ViewerStatus {
  readonly transport: 'http' | 'ws';
  readonly mode: 'bytes' | 'au';
  readonly state: string;
  readonly skips: number;
  readonly bytesOut: number;
  readonly buffered: number;
  /** How long its oldest queued byte has waited (ms): how far behind live its link keeps it. */
  readonly lagMs: number;
  readonly seconds: number;
}

export interface RelayStats {
  readonly viewers: {
    readonly http: number;
    readonly ws: number;
    readonly total: number;
    /** Largest queue of any viewer now (bytes): stays under the bound, whatever the clients do. */
    readonly maxBuffered: number;
    /** Longest wait of any viewer's oldest queued byte now (ms; see ViewerStatus.lagMs). */
    readonly maxLagMs: number;
    /** The first 100 viewers, for inspection. */
    readonly list: readonly ViewerStatus[];
  };
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Source bytes the relay holds now (the frame in progress): bounded whatever the source sends. */
  readonly heldBytes: number;
  readonly accessUnits: number;
  readonly keyframes: number;
  readonly skips: number;
  readonly slowDisconnects: number;
  /** Frames the source broke inside (dropped). */
  readonly cutFrames: number;
  /** Frames ended when the source paused after their last slice, not at the next start code. */
  readonly earlyFrameEnds: {
    readonly count: number;
    /** Share of the time spent walking frames' last slices (0..1, the last 2 s judged). */
    readonly walkShare: number;
    /** Why early ends stopped (too slow here), or false while on; undefined when disabled. */
    readonly stopped: string | false | undefined;
  };
  readonly fps: number;
  /** The steady rate last told to viewers (null while unknown; see tellSourceFps). */
  readonly sourceFps: number | null;
  readonly bitrate: number;
  readonly gopCache: {
    readonly enabled: boolean;
    readonly frames: number;
    readonly bytes: number;
  };
}

interface Gop {
  /** Completed access units from the keyframe on; the first one with the parameter sets inserted. */
  readonly aus: Uint8Array[];
  bytes: number;
}

/** An access unit delimiter NAL unit (§7.3.2.4): primary_pic_type 7 (any slice type), stop bit. */
export const ACCESS_UNIT_DELIMITER = Uint8Array.of(0, 0, 0, 1, 0x09, 0xf0);

const RATE_WINDOW_MS = 2000;
/** The source's frame rate is fitted to its frames' arrivals over this long (ms; see arrivalFps). */
const FRAME_RATE_WINDOW_MS = 4000;

/**
 * A viewer whose oldest queued byte waited longer than this (ms) skips to the next keyframe: about
 * live rather than ever further behind. Above a Wi-Fi link's hiccups (a few hundred ms), which it
 * drains; mpegts.js chases its live edge from 1.5 s behind, hls.js from three target durations.
 */
export const MAX_VIEWER_LAG_MS = 2000;

export class Relay {
  private readonly reader = new AccessUnitReader();
  private readonly viewers = new Set<ViewerEntry>();
  private readonly gopCacheEnabled: boolean;
  private readonly maxViewerBuffer: number;
  private readonly maxViewerLagMs: number;
  private readonly maxGopBytes: number;
  private readonly stallTimeoutMs: number;
  private readonly now: () => number;
  private readonly log: (message: string) => void;
  /** Source chunks from the last access unit's end on, with their stream positions. */
  private readonly window = new ChunkWindow();
  /** Live byte viewers have the stream up to this position. */
  private sentTo = 0;
  /** End of the last access unit. */
  private lastEnd = 0;
  /** A delimiter followed the last access unit (proven end): later bytes wait for the next one. */
  private delimiting = false;
  private gop: Gop | null = null;
  private upstream: UpstreamNotice = { upstream: 'up' };
  /** The source's steady rate last told to viewers (see tellSourceFps); undefined while unknown. */
  private sourceFpsTold: number | undefined;
  private bytesIn = 0;
  private bytesOut = 0;
  private accessUnits = 0;
  private keyframes = 0;
  private skips = 0;
  private slowDisconnects = 0;
  private readonly auTimes: number[] = [];
  private readonly byteTimes: { t: number; n: number }[] = [];
  /** Undefined when early frame ends are disabled. */
  private readonly frameEnds: FrameEndBudget | undefined;
  private earlyFrameEnds = 0;
  private pauseTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: RelayOptions = {}) {
    this.gopCacheEnabled = options.gopCache ?? true;
    this.maxViewerBuffer = options.maxViewerBuffer ?? 4 * 1024 * 1024;
    this.maxViewerLagMs = options.maxViewerLagMs ?? MAX_VIEWER_LAG_MS;
    this.maxGopBytes = options.maxGopBytes ?? 16 * 1024 * 1024;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 30_000;
    this.now = options.now ?? (() => performance.now());
    this.frameEnds = (options.earlyFrameEnd ?? true) ? new FrameEndBudget() : undefined;
    this.log = options.log ?? (() => undefined);
  }

  /** Source bytes; `endOfAccessUnit` when the source proves the chunk ends an access unit (a file). */
  push(chunk: Uint8Array, endOfAccessUnit = false): void {
    this.bytesIn += chunk.length;
    const t = this.now();
    this.byteTimes.push({ t, n: chunk.length });
    this.prune(t);
    this.window.push(chunk);
    const aus = this.reader.push(chunk, endOfAccessUnit);
    for (const au of aus) this.accessUnit(au);
    if (endOfAccessUnit && aus.length > 0) this.delimit();
    else if (!this.delimiting) this.forward(this.reader.settledTo);
    this.release();
    clearTimeout(this.pauseTimer);
    if (!endOfAccessUnit && this.frameEnds?.allowed) {
      this.pauseTimer = setTimeout(() => this.paused(), FRAME_END_PAUSE_MS);
      this.pauseTimer.unref?.();
    }
  }

  /** The byte-stream source paused: the frame in progress ends now if its last slice is whole. */
  paused(): void {
    const budget = this.frameEnds;
    if (!budget?.allowed) return;
    const t = this.now();
    const aus = this.reader.endIfFrameWhole();
    budget.spent(t, this.now());
    if (budget.stopped)
      this.log(`frames now end at the next start code (a frame later): ${budget.stopped}`);
    if (aus.length === 0) return;
    this.earlyFrameEnds++;
    // Access-unit viewers get the frame now; byte viewers have all its bytes already. They get no
    // delimiter after it: unlike a proven end, this one is the relay's own judgement, and a delimiter
    // left without a picture when the stream ends or resets is an access unit without a picture
    // (§7.4.1.2.3), which decoders report. Their player judges the pause itself (ours does).
    for (const au of aus) this.accessUnit(au);
    this.release();
  }

  /** The source ended normally: the access unit in progress ends here (unless it is cut short). */
  end(): void {
    clearTimeout(this.pauseTimer);
    for (const au of this.reader.flush()) this.accessUnit(au);
    if (!this.delimiting) this.forward(this.reader.position);
  }

  /**
   * The source broke (a reconnect follows): the access unit in progress is delivered when its slices
   * prove it whole, else dropped; viewers wait for the next keyframe (see the class comment for byte
   * viewers that got part of a cut frame). The GOP cache is cleared: the next connection starts its
   * own stream.
   */
  sourceReset(): void {
    clearTimeout(this.pauseTimer);
    for (const au of this.reader.flush()) this.accessUnit(au);
    // Bytes past the last whole access unit that byte viewers got: a frame cut short (zero bytes
    // alone may trail any NAL unit; an oversized frame in progress is no longer held, see release()).
    const held = this.window.span(this.lastEnd, this.sentTo);
    const cut =
      held.reduce((n, part) => n + part.length, 0) < this.sentTo - this.lastEnd ||
      held.some((part) => part.some((b) => b !== 0));
    for (const e of this.viewers) {
      if (cut && liveBytes(e)) {
        this.viewers.delete(e);
        e.viewer.close('source lost mid-frame');
        continue;
      }
      e.state = 'waiting';
      e.delimited = false;
    }
    this.reader.reset();
    this.window.clear();
    this.sentTo = this.lastEnd = this.reader.position;
    this.delimiting = false;
    this.gop = null;
  }

  /** A new viewer: with the GOP cache it starts at once from the latest keyframe. */
  addViewer(viewer: Viewer): () => void {
    const entry: ViewerEntry = {
      viewer,
      state: 'waiting',
      delimited: false,
      skippingSince: 0,
      skips: 0,
      skippedFrames: 0,
      sentSince: { at: this.now(), taken: 0 },
      linkKbps: 0,
      bytesOut: 0,
      lag: new ViewerLag(),
      joinedAt: this.now(),
    };
    this.viewers.add(entry);
    // Not while the source is down (or silent): its cached frames are not live, and the viewer, told
    // so, starts at the next keyframe when it is back.
    if (
      this.gopCacheEnabled &&
      this.upstream.upstream === 'up' &&
      this.gop &&
      this.gop.aus.length > 0
    ) {
      // Completed access units of the GOP, then (byte viewers) the access unit in progress.
      for (const au of this.gop.aus) this.send(entry, au, true);
      if (viewer.mode === 'bytes') {
        if (this.delimiting) this.sendDelimiter(entry);
        else
          for (const part of this.window.span(this.lastEnd, this.sentTo))
            this.send(entry, part, false);
      }
      entry.state = 'live';
    }
    if (this.sourceFpsTold !== undefined) viewer.sourceFps?.(this.sourceFpsTold);
    return () => {
      this.viewers.delete(entry);
    };
  }

  /** What viewers are told about the source now (a new viewer gets it when it connects). */
  get upstreamNotice(): UpstreamNotice {
    return this.upstream;
  }

  /** The source went down or came back (or the reason changed): every viewer is told. */
  setUpstream(notice: UpstreamNotice): void {
    if (JSON.stringify(notice) === JSON.stringify(this.upstream)) return;
    this.upstream = notice;
    // Until it streams steadily again, its rate is not known.
    if (notice.upstream === 'down') this.sourceFpsTold = undefined;
    this.notifyAll();
  }

  /**
   * The source's rate, measured steady (../serve/server.ts: two checks in a row that agree), for every
   * viewer (src/sources/relay-protocol.ts): a page then knows frames it gets slower are its link's.
   */
  tellSourceFps(fps: number): void {
    this.sourceFpsTold = fps;
    for (const e of this.viewers) e.viewer.sourceFps?.(fps);
  }

  /** The source's steady rate as last told (see tellSourceFps), undefined while unknown. */
  get sourceFps(): number | undefined {
    return this.sourceFpsTold;
  }

  /** Tells every viewer the source's state again (a down notice is repeated while it lasts). */
  notifyAll(): void {
    for (const e of this.viewers) e.viewer.notify?.(this.upstream);
  }

  /** Access units a second from the source, fitted to their arrivals over FRAME_RATE_WINDOW_MS. */
  arrivalFps(): number {
    this.prune(this.now());
    return Math.round(arrivalRate(this.auTimes, FRAME_RATE_WINDOW_MS) * 100) / 100;
  }

  stats(): RelayStats {
    const t = this.now();
    this.prune(t);
    let http = 0;
    let ws = 0;
    let maxBuffered = 0;
    let maxLagMs = 0;
    const list: ViewerStatus[] = [];
    for (const e of this.viewers) {
      if (e.viewer.transport === 'http') http++;
      else ws++;
      const buffered = e.viewer.buffered();
      const lagMs = Math.round(e.lag.lag(taken(e, buffered), t));
      maxBuffered = Math.max(maxBuffered, buffered);
      maxLagMs = Math.max(maxLagMs, lagMs);
      if (list.length < 100) {
        list.push({
          transport: e.viewer.transport,
          mode: e.viewer.mode,
          state: e.state,
          skips: e.skips,
          bytesOut: e.bytesOut,
          buffered,
          lagMs,
          seconds: Math.round(t - e.joinedAt) / 1000,
        });
      }
    }
    return {
      viewers: { http, ws, total: http + ws, maxBuffered, maxLagMs, list },
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      heldBytes: this.window.heldBytes,
      accessUnits: this.accessUnits,
      keyframes: this.keyframes,
      skips: this.skips,
      slowDisconnects: this.slowDisconnects,
      cutFrames: this.reader.truncatedFrames,
      earlyFrameEnds: {
        count: this.earlyFrameEnds,
        walkShare: Math.round((this.frameEnds?.lastShare ?? 0) * 1000) / 1000,
        stopped: this.frameEnds ? (this.frameEnds.stopped ?? false) : undefined,
      },
      fps: this.arrivalFps(),
      sourceFps: this.sourceFpsTold ?? null,
      bitrate: Math.round(this.bitrate(t)),
      gopCache: {
        enabled: this.gopCacheEnabled,
        frames: this.gop ? this.gop.aus.length + (this.sentTo > this.lastEnd ? 1 : 0) : 0,
        bytes: this.gop ? this.gop.bytes : 0,
      },
    };
  }

  /** Closes every viewer (shutdown, end of stream). */
  closeAll(reason: string): void {
    clearTimeout(this.pauseTimer);
    for (const e of this.viewers) e.viewer.close(reason);
    this.viewers.clear();
  }

  /** A complete access unit, in stream order. */
  private accessUnit(au: RawAccessUnit): void {
    this.accessUnits++;
    this.auTimes.push(this.now());
    const end = au.offset + au.size;
    // What live byte viewers do not have yet of this access unit (and of the bytes before it).
    const from = this.sentTo;
    const rest = end > from ? this.window.span(from, end) : [];
    // For viewers that got a delimiter after the last access unit: without this one's own.
    let restWithoutDelimiter: Uint8Array[] | undefined;
    const restAfterDelimiter = (): Uint8Array[] =>
      (restWithoutDelimiter ??=
        au.delimiterSize > 0 && from <= au.offset
          ? [
              ...this.window.span(from, au.offset),
              ...this.window.span(au.offset + au.delimiterSize, end),
            ]
          : rest);
    const start = au.keyframe ? withParameterSets(au) : undefined;
    if (start) this.keyframes++;
    const now = this.now();
    for (const e of this.viewers) {
      if (e.state === 'live') {
        if (e.viewer.mode === 'bytes') {
          for (const part of e.delimited ? restAfterDelimiter() : rest) this.send(e, part, false);
          e.delimited = false;
          // At the end of an access unit: a viewer over its bound stops here, never inside a NAL.
          if (this.behind(e, now, 1)) this.skip(e);
        } else if (this.behind(e, now, 1)) {
          this.skip(e);
          e.skippedFrames = 1; // this one
        } else this.send(e, au.data, true);
        continue;
      }
      if (e.skippingSince > 0) e.skippedFrames++;
      if (!start) continue;
      // Back at a keyframe once most of what was queued before the skip has gone.
      if (this.behind(e, now, 0.5)) {
        if (e.skippingSince > 0 && this.now() - e.skippingSince > this.stallTimeoutMs) {
          this.slowDisconnects++;
          this.viewers.delete(e);
          e.viewer.close('viewer stalled');
        }
        continue;
      }
      e.state = 'live';
      if (e.skippingSince > 0) {
        e.viewer.skipped?.({
          // This keyframe is sent, not left out.
          frames: e.skippedFrames - 1,
          ms: Math.round(now - e.skippingSince),
          linkKbps: e.linkKbps,
          streamKbps: Math.round(this.bitrate(now) / 1000),
        });
        e.sentSince = { at: now, taken: taken(e, e.viewer.buffered()) };
      }
      e.skippingSince = 0;
      e.skippedFrames = 0;
      this.send(e, start, true);
    }
    if (start) {
      this.gop = this.gopCacheEnabled ? { aus: [start], bytes: start.length } : null;
    } else if (this.gop) {
      this.gop.aus.push(au.data);
      this.gop.bytes += au.size;
      if (this.gop.bytes > this.maxGopBytes) this.gop = null;
    }
    this.sentTo = Math.max(this.sentTo, end);
    this.lastEnd = end;
    this.delimiting = false;
  }

  /** The last access unit's end is proven: live byte viewers get a delimiter right after it. */
  private delimit(): void {
    for (const e of this.viewers) {
      if (liveBytes(e)) this.sendDelimiter(e);
    }
    this.delimiting = true;
  }

  private sendDelimiter(e: ViewerEntry): void {
    this.send(e, ACCESS_UNIT_DELIMITER, false);
    e.delimited = true;
  }

  /**
   * Live byte viewers get the settled bytes up to `to`, unless the access unit in progress has grown
   * past any picture of the stream (junk from the source: 200 MB of zeros went to every HTTP viewer at
   * the source's speed); they then wait for the next keyframe, as the reader drops it.
   */
  private forward(to: number): void {
    if (to <= this.sentTo) return;
    if (to - this.lastEnd > this.reader.pictureByteLimit) {
      let stopped = 0;
      for (const e of this.viewers) {
        if (!liveBytes(e)) continue;
        e.state = 'waiting';
        e.delimited = false;
        stopped++;
      }
      if (stopped > 0)
        this.log(
          `the frame in progress is past ${this.reader.pictureByteLimit} bytes, more than any picture of this stream can hold: not H.264; ${stopped} HTTP viewer(s) resume at the next keyframe`,
        );
      this.sentTo = to;
      return;
    }
    const parts = this.window.span(this.sentTo, to);
    for (const e of this.viewers) {
      if (!liveBytes(e)) continue;
      for (const part of parts) this.send(e, part, false);
    }
    this.sentTo = to;
  }

  /** Lets go of chunks before the access unit in progress. */
  private release(): void {
    let keepFrom = Math.min(this.lastEnd, this.sentTo);
    // The frame in progress is held for joiners (after the cached GOP); one bigger than a cached GOP
    // may be is not: the cache goes, and joiners wait for the next keyframe. Memory stays bounded.
    if (this.sentTo - this.lastEnd > this.maxGopBytes) {
      this.gop = null;
      keepFrom = this.sentTo;
    }
    this.window.releaseBefore(keepFrom);
  }

  private skip(e: ViewerEntry): void {
    const now = this.now();
    const ms = now - e.sentSince.at;
    const bytes = taken(e, e.viewer.buffered()) - e.sentSince.taken;
    e.linkKbps = ms > 0 ? Math.round((bytes * 8) / ms) : 0;
    e.state = 'waiting';
    e.delimited = false;
    e.skips++;
    this.skips++;
    e.skippingSince = now;
    e.skippedFrames = 0;
  }

  private send(e: ViewerEntry, data: Uint8Array, wholeAu: boolean): void {
    if (data.length === 0) return;
    if (wholeAu && e.viewer.writeAccessUnit) e.viewer.writeAccessUnit(data);
    else if (e.viewer.writeBytes) e.viewer.writeBytes(data);
    else return;
    e.bytesOut += data.length;
    e.lag.wrote(e.bytesOut, this.now());
    this.bytesOut += data.length;
  }

  /** The source's bitrate over the last RATE_WINDOW_MS (bit/s). */
  private bitrate(t: number): number {
    this.prune(t);
    let bytes = 0;
    for (const b of this.byteTimes) bytes += b.n;
    return (bytes * 8 * 1000) / RATE_WINDOW_MS;
  }

  /** A viewer may hold a whole GOP (the join burst) plus the configured margin. */
  private bound(): number {
    return this.maxViewerBuffer + (this.gop ? this.gop.bytes : 0);
  }

  /** Whether a viewer's queue is over `share` of its bounds: in bytes, or in time waited. */
  private behind(e: ViewerEntry, now: number, share: number): boolean {
    const buffered = e.viewer.buffered();
    return (
      buffered > this.bound() * share ||
      e.lag.lag(taken(e, buffered), now) > this.maxViewerLagMs * share
    );
  }

  private prune(t: number): void {
    while (this.auTimes.length > 0 && t - this.auTimes[0]! > FRAME_RATE_WINDOW_MS) {
      this.auTimes.shift();
    }
    while (this.byteTimes.length > 0 && t - this.byteTimes[0]!.t > RATE_WINDOW_MS)
      this.byteTimes.shift();
  }
}

/** A byte viewer receiving the stream as it arrives (not waiting for a keyframe). */
function liveBytes(e: ViewerEntry): boolean {
  return e.viewer.mode === 'bytes' && e.state === 'live';
}

/**
 * The bytes a viewer has taken of those written to it: by its receipts when it sends them (what the
 * network still holds included), else all but its queue here. A receipt counts no more than has left
 * the queue: a client claiming more (9e15) was never behind, and queued up to the byte bound.
 */
function taken(e: ViewerEntry, buffered: number): number {
  const left = e.bytesOut - buffered;
  const received = e.viewer.received?.();
  return received === undefined ? left : Math.min(received, left);
}

/** The access unit with the SPS/PPS a joiner needs (after a leading delimiter), when it lacks them. */
export function withParameterSets(au: RawAccessUnit): Uint8Array {
  if (au.carriesParameterSets) return au.data;
  const data = au.data;
  const at = au.delimiterSize;
  return concatBytes([data.subarray(0, at), au.parameterSets, data.subarray(at)]);
}
