import { concatBytes, type InitSegment, type MediaSegment } from '../../../core/index.js';
import type { MediaPlaylist, PlaylistSegment } from './playlist.js';

/**
 * Gathers the core's one-frame fragments into LL-HLS parts and segments, and keeps a bounded window of
 * them in memory.
 *
 * - A part is a run of whole frames (each a moof+mdat from the core: CMAF chunks), `framesPerPart` of them,
 *   about `partSeconds`; the last part of a segment may be shorter.
 * - A segment starts at a keyframe once the current one holds `segmentSeconds`; it is cut without one only
 *   when the next frame would take it past the target duration (a very long GOP), and the next keyframe
 *   then starts a segment again. Such a segment is not independent, and the playlist stops claiming
 *   EXT-X-INDEPENDENT-SEGMENTS from then on.
 * - A changed init segment (new SPS/PPS) starts a segment with a new EXT-X-MAP and EXT-X-DISCONTINUITY; a
 *   source reconnect ends the segment in progress and re-anchors the program date-time (the core keeps the
 *   media timeline going, so no discontinuity is needed when the parameter sets are the same).
 * - Parts are numbered across segments (p0, p1, ...), so the preload hint names the next part before anyone
 *   knows whether it will open a new segment.
 */

export interface SegmenterOptions {
  /** Part duration aimed at (s); parts hold whole frames and never exceed it. Default 1/3 s. */
  readonly partSeconds?: number;
  /** A segment closes at the first keyframe after this many seconds. Default 2. */
  readonly segmentSeconds?: number;
  /** EXT-X-TARGETDURATION (whole seconds): no segment is longer. Default 3. */
  readonly targetDuration?: number;
  /** Complete segments listed (more when needed to cover 3 target durations). Default 6. */
  readonly listSegments?: number;
  /** Bound on the bytes kept (segments, parts, init segments). Default 64 MiB. */
  readonly maxBytes?: number;
  /** Path component that makes every URI unique to this run, so caches never mix two runs. */
  readonly epoch: string;
  readonly now?: () => number;
}

interface InitEntry {
  readonly index: number;
  readonly data: Uint8Array;
  readonly uri: string;
}

export interface Part {
  /** Number across segments. */
  readonly n: number;
  readonly uri: string;
  readonly data: Uint8Array;
  /** Ticks. */
  readonly duration: number;
  readonly independent: boolean;
}

interface Segment {
  readonly msn: number;
  readonly uri: string;
  readonly parts: Part[];
  /** Ticks. */
  duration: number;
  bytes: number;
  readonly init: InitEntry;
  readonly discontinuity: boolean;
  readonly independent: boolean;
  readonly programDateTime: number;
  complete: boolean;
}

const PART_MEDIA_TYPE = 'm4s';

export class HlsSegmenter {
  readonly epoch: string;
  private readonly partSeconds: number;
  private readonly segmentSeconds: number;
  readonly targetDuration: number;
  private readonly listSegments: number;
  private readonly maxBytes: number;
  private readonly now: () => number;

  private timescale = 0;
  private framesPerPart = 0;
  private frameTicks = 0;
  private inits: InitEntry[] = [];
  private init: InitEntry | undefined;
  /** The next segment must start anew: a new init segment (with a discontinuity) or a reconnect. */
  private pendingInit: InitEntry | undefined;
  private pendingDiscontinuity = false;
  private reanchor = true;
  private anchor = { wall: 0, ticks: 0 };
  private lastCutForced = false;
  private independentSoFar = true;

  /** Complete segments, oldest first, then the one in progress (if any). */
  private readonly segments: Segment[] = [];
  private current: Segment | undefined;
  private readonly parts = new Map<number, Part>();
  private nextMsn = 0;
  private nextPart = 0;
  /** Frames of the part in progress. */
  private partChunks: Uint8Array[] = [];
  private partFrames = 0;
  private partTicks = 0;
  private partIndependent = false;
  private bytes = 0;
  /** Discontinuities in segments dropped from memory. */
  private droppedDiscontinuities = 0;
  private ended = false;
  private version = 0;
  private rendered: { version: number; playlist: MediaPlaylist | undefined } | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(options: SegmenterOptions) {
    this.epoch = options.epoch;
    this.partSeconds = options.partSeconds ?? 1 / 3;
    this.segmentSeconds = options.segmentSeconds ?? 2;
    this.targetDuration = options.targetDuration ?? 3;
    this.listSegments = options.listSegments ?? 6;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.now = options.now ?? Date.now;
    if (!(this.targetDuration >= 1 && Number.isInteger(this.targetDuration)))
      throw new RangeError(`targetDuration must be a whole number of seconds ≥ 1`);
    if (this.segmentSeconds > this.targetDuration)
      throw new RangeError(`segmentSeconds must not exceed targetDuration`);
    if (this.partSeconds > this.segmentSeconds)
      throw new RangeError(`partSeconds must not exceed segmentSeconds`);
  }

  /** PART-TARGET in seconds (0 until the first frame). */
  get partTarget(): number {
    return this.timescale > 0 ? (this.framesPerPart * this.frameTicks) / this.timescale : 0;
  }

  /** An init segment from the core (first one, after a reset, or on a parameter-set change). */
  addInit(segment: InitSegment): void {
    if (this.init && sameBytes(this.init.data, segment.data) && !this.pendingInit) return;
    const index = this.inits.length === 0 ? 0 : this.inits[this.inits.length - 1]!.index + 1;
    const entry: InitEntry = { index, data: segment.data, uri: `${this.epoch}/init${index}.mp4` };
    this.inits.push(entry);
    this.bytes += entry.data.length;
    this.pendingDiscontinuity ||= this.init !== undefined;
    this.pendingInit = entry;
  }

  /** One frame's moof+mdat from the core (fragment 'frame'). */
  addFrame(segment: MediaSegment): void {
    if (this.ended) return;
    if (this.timescale === 0) this.startTiming(segment);
    const cur = this.current;
    if (cur) {
      const ticks = cur.duration + this.partTicks;
      if (this.pendingInit || this.pendingDiscontinuity) this.closeSegment(false);
      else if (
        segment.keyframe &&
        (ticks >= this.segmentSeconds * this.timescale || this.lastCutForced)
      )
        this.closeSegment(false);
      else if (ticks + segment.duration > this.targetDuration * this.timescale)
        this.closeSegment(!segment.keyframe);
    }
    if (!this.current) this.openSegment(segment);
    if (this.partFrames === 0) this.partIndependent = segment.keyframe;
    for (const view of segment.parts ?? [segment.data]) this.partChunks.push(view);
    this.partFrames++;
    this.partTicks += segment.duration;
    if (this.partFrames >= this.framesPerPart) this.closePart();
  }

  /**
   * The source broke and resumes later: the segment in progress ends here, and the next one gets a fresh
   * program date-time. `timeline: true` when the media timeline itself restarts (a new transmuxer).
   */
  discontinuity(timeline = false): void {
    if (this.current) this.closeSegment(false);
    this.reanchor = true;
    if (timeline) this.pendingDiscontinuity = this.init !== undefined;
    this.changed();
  }

  /** End of the stream: the last segment is closed and the playlist gets EXT-X-ENDLIST. */
  end(): void {
    if (this.current) this.closeSegment(false);
    this.ended = true;
    this.changed();
  }

  // Lookups for the HTTP side.

  initData(index: number): Uint8Array | undefined {
    return this.inits.find((i) => i.index === index)?.data;
  }

  /** A complete segment's bytes, as its parts. */
  segmentData(msn: number): readonly Uint8Array[] | undefined {
    const s = this.segments.find((x) => x.msn === msn);
    return s?.complete ? s.parts.map((p) => p.data) : undefined;
  }

  /** 'ready' with the bytes, 'next' for the part the preload hint names, else 'gone' (or never). */
  part(n: number): { state: 'ready'; data: Uint8Array } | { state: 'next' | 'absent' } {
    const p = this.parts.get(n);
    if (p) return { state: 'ready', data: p.data };
    if (n === this.nextPart && !this.ended) return { state: 'next' };
    return { state: 'absent' };
  }

  /** The playlist model, or undefined before the first part. Rebuilt only after a change. */
  playlist(): MediaPlaylist | undefined {
    if (this.rendered?.version !== this.version)
      this.rendered = { version: this.version, playlist: this.buildPlaylist() };
    return this.rendered.playlist;
  }

  /** Version of the state: changes with every new part, segment or init segment. */
  get stateVersion(): number {
    return this.version;
  }

  /** Last part published: its segment's MSN and its index there; undefined before the first. */
  lastPart(): { msn: number; index: number } | undefined {
    const s = this.current ?? this.segments[this.segments.length - 1];
    if (!s || s.parts.length === 0) return undefined;
    return { msn: s.msn, index: s.parts.length - 1 };
  }

  /** MSN of the last complete segment (-1 before the first). */
  lastCompleteMsn(): number {
    for (let i = this.segments.length - 1; i >= 0; i--)
      if (this.segments[i]!.complete) return this.segments[i]!.msn;
    return -1;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Calls `check` after every change until it returns true (resolves true), or until `signal` aborts. */
  waitFor(check: () => boolean, signal: AbortSignal): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        this.waiters.delete(onChange);
        signal.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      const onChange = (): void => {
        if (check()) done(true);
        else if (this.ended) done(false);
      };
      const onAbort = (): void => done(false);
      if (signal.aborted) return done(false);
      this.waiters.add(onChange);
      signal.addEventListener('abort', onAbort);
    });
  }

  stats(): Record<string, number | boolean> {
    return {
      segments: this.segments.filter((s) => s.complete).length,
      parts: this.parts.size,
      bytes: this.bytes,
      mediaSequence: this.nextMsn,
      nextPart: this.nextPart,
      partTarget: this.partTarget,
      targetDuration: this.targetDuration,
      independentSegments: this.independentSoFar,
      waiting: this.waiters.size,
      ended: this.ended,
    };
  }

  // Internals.

  private startTiming(first: MediaSegment): void {
    this.timescale = first.timescale;
    this.frameTicks = first.duration / Math.max(1, first.frames);
    // Whole frames, at most partSeconds (a hair of tolerance for 1/3 s written as a float).
    const fit = Math.floor((this.partSeconds * this.timescale) / this.frameTicks + 1e-6);
    this.framesPerPart = Math.max(1, fit);
  }

  private openSegment(first: MediaSegment): void {
    const init = this.pendingInit ?? this.init;
    if (!init) throw new Error('HLS segmenter: media before any init segment');
    if (this.reanchor) {
      // Wall clock from here on, but never before the end of the previous segment: a date-time that
      // went back would map two segments to the same moment (RFC 8216bis §6.2.1).
      const prev = this.segments[this.segments.length - 1];
      const prevEnd = prev ? prev.programDateTime + (prev.duration * 1000) / this.timescale : 0;
      this.anchor = { wall: Math.max(this.now(), prevEnd), ticks: first.baseDecodeTime };
      this.reanchor = false;
    }
    const msn = this.nextMsn++;
    const independent = first.keyframe;
    if (!independent) this.independentSoFar = false;
    this.current = {
      msn,
      uri: `${this.epoch}/s${msn}.${PART_MEDIA_TYPE}`,
      parts: [],
      duration: 0,
      bytes: 0,
      init,
      discontinuity: this.pendingDiscontinuity,
      independent,
      programDateTime:
        this.anchor.wall + ((first.baseDecodeTime - this.anchor.ticks) * 1000) / this.timescale,
      complete: false,
    };
    this.segments.push(this.current);
    this.init = init;
    this.pendingInit = undefined;
    this.pendingDiscontinuity = false;
  }

  private closePart(): void {
    const cur = this.current;
    if (!cur || this.partFrames === 0) return;
    const data = concatBytes(this.partChunks);
    const n = this.nextPart++;
    const part: Part = {
      n,
      uri: `${this.epoch}/p${n}.${PART_MEDIA_TYPE}`,
      data,
      duration: this.partTicks,
      independent: this.partIndependent,
    };
    cur.parts.push(part);
    cur.duration += this.partTicks;
    cur.bytes += data.length;
    this.bytes += data.length;
    this.parts.set(n, part);
    this.partChunks = [];
    this.partFrames = 0;
    this.partTicks = 0;
    this.prune();
    this.changed();
  }

  private closeSegment(forced: boolean): void {
    this.closePart();
    const cur = this.current;
    if (!cur) return;
    this.current = undefined;
    if (cur.parts.length === 0) {
      this.segments.pop();
      this.nextMsn--;
      return;
    }
    cur.complete = true;
    this.lastCutForced = forced;
    this.prune();
    this.changed();
  }

  /**
   * Drops the segments no client may still ask for (RFC 8216bis §6.2.2): a segment stays for its duration
   * plus the playlist's after it appeared, and a part for three target durations after its EXT-X-PART tag
   * went (tags go three target durations from the edge), so a segment is kept until it is the larger of
   * six target durations, or the listed duration plus one, behind the live edge. The byte bound wins over
   * both; the segment in progress and the newest complete one always stay.
   */
  private prune(): void {
    const listedFrom = this.listedFrom();
    const td = this.targetDuration * this.timescale;
    let listedTicks = 0;
    for (let i = listedFrom; i < this.segments.length; i++)
      listedTicks += this.segments[i]!.duration;
    const retain = Math.max(6 * td, listedTicks + td);
    // Age of segment i: how far its end is behind the live edge.
    let age = this.partTicks;
    for (let i = 1; i < this.segments.length; i++) age += this.segments[i]!.duration;
    let drop = 0;
    let bytes = this.bytes;
    while (drop < listedFrom && age > retain) {
      bytes -= this.segments[drop]!.bytes;
      drop++;
      age -= this.segments[drop]!.duration;
    }
    while (bytes > this.maxBytes && drop < this.segments.length - 2) {
      bytes -= this.segments[drop]!.bytes;
      drop++;
    }
    if (drop === 0) return;
    for (const s of this.segments.splice(0, drop)) {
      if (s.discontinuity) this.droppedDiscontinuities++;
      for (const p of s.parts) this.parts.delete(p.n);
    }
    this.bytes = bytes;
    const used = new Set(this.segments.map((s) => s.init));
    if (this.pendingInit) used.add(this.pendingInit);
    if (this.init) used.add(this.init);
    this.inits = this.inits.filter((i) => {
      if (used.has(i)) return true;
      this.bytes -= i.data.length;
      return false;
    });
  }

  /** Index in `segments` of the first listed one: the newest `listSegments` complete ones, or more to cover 3 target durations. */
  private listedFrom(): number {
    const minTicks = 3 * this.targetDuration * this.timescale;
    let complete = 0;
    let ticks = 0;
    let i = this.segments.length;
    while (i > 0) {
      const s = this.segments[i - 1]!;
      if (s.complete) {
        if (complete >= this.listSegments && ticks >= minTicks) break;
        complete++;
        ticks += s.duration;
      }
      i--;
    }
    return i;
  }

  private buildPlaylist(): MediaPlaylist | undefined {
    const from = this.listedFrom();
    const listed = this.segments.slice(from).filter((s) => s.parts.length > 0);
    if (listed.length === 0 || this.timescale === 0) return undefined;
    let discontinuitySequence = this.droppedDiscontinuities;
    for (const s of this.segments.slice(0, from)) if (s.discontinuity) discontinuitySequence++;
    // Parts are listed for the segments that end within three target durations of the live edge.
    let edgeTicks = 0;
    const partWindow = 3 * this.targetDuration * this.timescale;
    const withParts = new Set<Segment>();
    for (let i = listed.length - 1; i >= 0 && edgeTicks < partWindow; i--) {
      withParts.add(listed[i]!);
      edgeTicks += listed[i]!.duration;
    }
    const segments: PlaylistSegment[] = listed.map((s, i) => ({
      uri: s.complete ? s.uri : undefined,
      duration: s.duration / this.timescale,
      parts: withParts.has(s)
        ? s.parts.map((p) => ({
            uri: p.uri,
            duration: p.duration / this.timescale,
            independent: p.independent,
          }))
        : [],
      map: i === 0 || listed[i - 1]!.init !== s.init ? s.init.uri : undefined,
      discontinuity: s.discontinuity,
      programDateTime: s.programDateTime,
    }));
    // Rounded up as written (5 decimals), so that no part's exact duration exceeds the written target.
    const partTarget = ceilSeconds(this.partTarget);
    return {
      targetDuration: this.targetDuration,
      partTarget,
      // Three part targets (§4.4.3.8 requires at least two; Apple asks for three).
      partHoldBack: ceilSeconds(3 * partTarget),
      mediaSequence: listed[0]!.msn,
      discontinuitySequence,
      independentSegments: this.independentSoFar,
      segments,
      preloadHint: `${this.epoch}/p${this.nextPart}.${PART_MEDIA_TYPE}`,
      ended: this.ended,
    };
  }

  private changed(): void {
    this.version++;
    for (const w of [...this.waiters]) w();
  }
}

/** Seconds rounded up to the 5 decimals the playlist writes. */
function ceilSeconds(value: number): number {
  return Math.ceil(Math.round(value * 1e9) / 1e4) / 100_000;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}
