/**
 * The MSE player: takes init and media segments from the transmuxer and plays them in a media
 * element through one SourceBuffer in 'segments' mode. A thin façade over single-purpose units:
 *
 * - ./media-source.ts   opening the MediaSource, the SourceBuffer and changeType, duration, end
 * - ./append-queue.ts   one SourceBuffer operation at a time, batching, a full buffer (QuotaExceeded)
 * - ./back-buffer.ts    trimming behind the playhead at keyframes
 * - ./gap-controller.ts the playhead at the start and before or between buffered ranges
 * - ./file-timeline.ts  a file's start shift, seek restarts, duration estimate and end
 * - ./decode-pace.ts    a file slows down rather than skip frames on a slow decoder
 * - ./live-playout.ts   live latency (policy in ./live-latency.ts): playbackRate and jumps
 * - ./room.ts           backpressure for a file's source
 * - ./frame-counter.ts  decoded/dropped frames across engine counter resets
 * - ./added-picture-tally.ts     the transmuxer's added pictures taken out of those counts
 *
 * It never touches `document` (the page's visibility is a dependency), so that it can run where MSE
 * exists without a page (a worker in Chromium).
 */
import type { InitSegment, MediaSegment } from '../core/index.js';
import { isRandomAccess } from '../core/random-access.js';
import { AppendQueue } from './append-queue.js';
import { BackBuffer } from './back-buffer.js';
import { systemClock } from './clock.js';
import type { Clock, TimerId } from './clock.js';
import { DecodePace } from './decode-pace.js';
import { PlayerError } from './errors.js';
import { FileTimeline } from './file-timeline.js';
import { FrameCounter, type FrameCounts } from './frame-counter.js';
import { GapController } from './gap-controller.js';
import { AddedPictureTally } from './added-picture-tally.js';
import { PlayoutDelayPolicy } from './live-latency.js';
import type { LatencyPolicy } from './live-latency.js';
import { LivePlayout } from './live-playout.js';
import { bounds, bufferedAhead } from './media-element.js';
import type { MediaElement } from './media-element.js';
import { findMediaSource, MediaSourceHost } from './media-source.js';
import type { AttachMediaSource, MediaSourceKind } from './media-source.js';
import { DEFAULT_PLAYER_OPTIONS } from './options.js';
import type { PlayerOptions, PlayerStats } from './options.js';
import { BufferRoom } from './room.js';
import { alwaysVisible } from './visibility.js';
import type { Visibility } from './visibility.js';

export { PlayerError } from './errors.js';
export type { PlayerErrorCode } from './errors.js';
export { DEFAULT_PLAYER_OPTIONS } from './options.js';
export type { PlayerOptions, PlayerStats } from './options.js';

/** What the player gets from its surroundings (all optional: a page's defaults). */
export interface PlayerDeps {
  readonly clock?: Clock;
  /** The page's visibility (default: always visible; a page passes documentVisibility(document)). */
  readonly visibility?: Visibility;
  /** The MediaSource constructor (default: MediaSource, else ManagedMediaSource). */
  readonly mediaSource?: MediaSourceKind | undefined;
  /** How the MediaSource reaches the element (default: an object URL). */
  readonly attach?: AttachMediaSource;
  /** The live latency policy (default: PlayoutDelayPolicy, adaptive or with the options' target). */
  readonly livePolicy?: (options: PlayerOptions) => LatencyPolicy;
}

/** What goes through the append queue with each append. */
type AppendMeta =
  | { readonly kind: 'init'; readonly discontinuity: boolean }
  | {
      readonly kind: 'media';
      readonly keyframes: readonly number[];
      /** The transmuxer's added pictures (start pictures, anchors): frames counted that are not the stream's. */
      readonly added: readonly number[];
      readonly generation: number;
      readonly seconds: number;
      /** The newest frame's presentation time (s, the stream's timeline). */
      readonly newest: number;
    };

type PlayerState = 'loading' | 'playing' | 'failed' | 'destroyed';

const MAINTENANCE_INTERVAL_MS = 250;
/** File: playback starts with this much (s) buffered ahead, or the whole file (startFileIfReady). */
const FILE_PREROLL_S = 0.5;

export class MsePlayer {
  onError: ((error: PlayerError) => void) | undefined;
  /** Called once when the first frame can be shown. */
  onStarted: (() => void) | undefined;
  /** File: the user sought to a time that is not buffered (the source may restart there). */
  onSeekOutsideBuffer: ((time: number) => void) | undefined;

  private options: PlayerOptions;
  private state: PlayerState = 'loading';
  private readonly clock: Clock;
  private readonly visibility: Visibility;
  private readonly host: MediaSourceHost;
  private readonly queue: AppendQueue<AppendMeta>;
  private readonly backBuffer: BackBuffer;
  private readonly gaps: GapController;
  private readonly file: FileTimeline;
  private readonly frames: FrameCounter;
  private readonly addedPictures = new AddedPictureTally();
  private pace: DecodePace | undefined;
  private readonly room: BufferRoom;
  private playout: LivePlayout | undefined;
  /** Duration of one frame (s), from the latest media segment. */
  private frameDuration = 0;
  private firstMediaQueued = false;
  private readonly timer: TimerId;
  private readonly onVideoError = (): void => {
    const error = this.media.error;
    this.fail(
      new PlayerError(
        'MEDIA_ERROR',
        `The browser could not decode the video${error?.message ? `: ${error.message}` : ''}.`,
        { mediaErrorCode: error?.code ?? 0 },
      ),
    );
  };
  private readonly onTimeUpdate = (): void => this.room.check();
  private readonly onSeeking = (): void => {
    if (!this.options.live && this.state === 'playing') this.file.seeking();
  };

  constructor(
    private readonly media: MediaElement,
    options: Partial<PlayerOptions> = {},
    private readonly deps: PlayerDeps = {},
  ) {
    this.options = { ...DEFAULT_PLAYER_OPTIONS, ...options };
    this.clock = deps.clock ?? systemClock;
    this.visibility = deps.visibility ?? alwaysVisible;
    this.host = new MediaSourceHost(
      media,
      'mediaSource' in deps ? deps.mediaSource : findMediaSource(),
      deps.attach,
    );
    this.backBuffer = new BackBuffer(this.options.keepBehind);
    this.queue = new AppendQueue<AppendMeta>({
      clock: this.clock,
      appended: (metas, offset) => this.appended(metas, offset),
      removed: () => {
        this.backBuffer.removed(this.media.buffered);
        this.file.removed();
        this.room.check();
      },
      evictable: () => this.backBuffer.evictable(this.media.currentTime, this.media.buffered),
      playhead: () => ({ time: this.media.currentTime, paused: this.media.paused }),
      // Live: the first frame goes alone (the fastest start). A file: whatever is queued goes at once,
      // so that a page starved by load has as much appended ahead as possible.
      batching: () => this.state === 'playing' || !this.options.live,
      failed: (error) => this.fail(error),
    });
    this.gaps = new GapController(
      media,
      this.clock,
      () => this.queue.resume(),
      () => !this.options.live,
    );
    this.file = new FileTimeline({
      media,
      host: this.host,
      queue: this.queue,
      backBuffer: this.backBuffer,
      seekOutsideBuffer: (time) => this.onSeekOutsideBuffer?.(time),
      beforeEnd: () => void this.gaps.runOff(),
    });
    this.frames = new FrameCounter(media);
    this.room = new BufferRoom(media, () => this.queued(), this.options.maxAhead);
    media.muted = true;
    media.playsInline = true;
    // ManagedMediaSource only opens with remote playback disabled (WebKit).
    media.disableRemotePlayback = true;
    media.addEventListener('error', this.onVideoError);
    media.addEventListener('timeupdate', this.onTimeUpdate);
    media.addEventListener('seeking', this.onSeeking);
    this.timer = this.clock.setInterval(() => this.maintain(), MAINTENANCE_INTERVAL_MS);
  }

  /** Creates the MediaSource and waits for `sourceopen`. */
  open(): Promise<void> {
    return this.host.open();
  }

  /** Live or file, latency target etc.; may change until the first segment (e.g. once HTTP headers say). */
  configure(options: Partial<PlayerOptions>): void {
    this.options = { ...this.options, ...options };
    this.backBuffer.setKeepBehind(this.options.keepBehind);
    this.room.setMaxAhead(this.options.maxAhead);
    if (!this.options.live) {
      this.pace?.setTarget(this.options.playbackRate);
      this.media.defaultPlaybackRate = this.options.playbackRate;
      this.frames.changeRate(this.options.playbackRate);
    }
  }

  get live(): boolean {
    return this.options.live;
  }

  /** The options as configured so far (a player that replaces this one starts with them). */
  get configuration(): Readonly<PlayerOptions> {
    return this.options;
  }

  appendInit(segment: InitSegment): void {
    if (!this.accepting) return;
    const { mimeType, info } = segment;
    this.reorderDepth = info.reorderDepth;
    this.livePolicy?.setReorderDepth(info.reorderDepth);
    this.queue.push({
      kind: 'call',
      name: 'prepare',
      run: () => {
        const first = this.host.sourceBuffer === undefined;
        this.queue.attach(this.host.prepare(mimeType, info));
        if (first && this.options.live) this.host.setDuration(Infinity);
        return 'done';
      },
    });
    this.queue.push({
      kind: 'append',
      data: segment.data,
      meta: { kind: 'init', discontinuity: segment.discontinuity },
      batchable: false,
    });
  }

  appendMedia(segment: MediaSegment): void {
    if (!this.accepting) return;
    // Trimming cuts only where every engine starts (not at a recovery point on a P picture).
    const keyframes: number[] = [];
    const added: number[] = [];
    for (const sample of segment.samples) {
      if (isRandomAccess(sample)) keyframes.push(sample.pts / segment.timescale);
      if (sample.startPicture || sample.anchor) added.push(sample.pts / segment.timescale);
    }
    if (segment.frames > 0)
      this.setFrameDuration(segment.duration / segment.frames / segment.timescale);
    if (!this.firstMediaQueued) {
      this.firstMediaQueued = true;
      const start = segment.startPts / segment.timescale;
      this.queue.push({ kind: 'call', name: 'start', run: () => this.positionStart(start) });
    }
    this.queue.push({
      kind: 'append',
      data: segment.data,
      meta: {
        kind: 'media',
        keyframes,
        added,
        generation: this.backBuffer.generation,
        seconds: segment.duration / segment.timescale,
        newest:
          (segment.endPts - segment.duration / Math.max(1, segment.frames)) / segment.timescale,
      },
      batchable: true,
    });
  }

  /**
   * File seek: the segments that follow start a new stream at `timestampOffset` seconds of the file's
   * own timeline (its first frame's DTS there). Everything queued and buffered is dropped.
   */
  restart(timestampOffset: number): void {
    if (this.state === 'failed' || this.state === 'destroyed') return;
    this.file.restart(timestampOffset);
    this.addedPictures.restart();
  }

  /** File: the expected duration (s) while the file is read; the real one is set at the end. */
  setDurationEstimate(seconds: number): void {
    if (this.options.live || !this.accepting) return;
    this.file.setDurationEstimate(seconds);
  }

  /** File done: end the MediaSource once everything queued is appended, so `ended` fires. */
  endOfStream(): void {
    if (!this.accepting) return;
    this.file.end();
    // A file shorter than the preroll, all of it appended already: start now.
    this.startFileIfReady();
  }

  /** Resolves when the buffer ahead of the playhead is short enough to take more (file backpressure). */
  waitForRoom(): Promise<void> {
    return this.room.wait();
  }

  get stats(): PlayerStats {
    const media = this.media;
    const buffered = media.buffered;
    const { start, end } = bounds(buffered);
    const now = this.clock.now();
    const frames = this.frameCounts(now);
    const live = this.playout;
    const minutes = live?.startedAt !== undefined ? (now - live.startedAt) / 60_000 : 0;
    return {
      mediaSource: this.host.name,
      mimeType: this.host.mimeType,
      bufferedStart: start,
      bufferedEnd: end,
      bufferedAhead: bufferedAhead(buffered, media.currentTime),
      latency: end > 0 ? Math.max(0, end - media.currentTime) : 0,
      playbackRate: media.playbackRate,
      decodedFrames: frames.decoded,
      droppedFrames: frames.dropped,
      shownFrames: this.frames.shown(frames),
      underflows: live?.underflows ?? 0,
      targetDelayMs: this.livePolicy?.targetMs(now) ?? 0,
      jitterMs: this.livePolicy?.jitterMs() ?? 0,
      sourcePace: this.livePolicy?.sourcePace() ?? 1,
      skippedFrames: live?.skippedFrames ?? 0,
      unpresentedFrames: live?.unpresented ?? 0,
      stallsPerMinute: live && minutes > 0 ? live.underflows / minutes : 0,
      slowedForDecoder: this.pace?.slowed ?? false,
      slowdowns: this.pace?.slowdowns ?? 0,
      ...this.queue.counters,
      queuedSegments: this.queue.length,
      evictions: this.backBuffer.evictions,
      jumps: this.gaps.jumps + (live?.jumps ?? 0),
      runOffs: this.gaps.runOffs,
      typeChanges: this.host.typeChanges,
      restarts: this.file.restarts,
    };
  }

  destroy(): void {
    if (this.state === 'destroyed') return;
    this.state = 'destroyed';
    this.clock.clearInterval(this.timer);
    this.media.removeEventListener('error', this.onVideoError);
    this.media.removeEventListener('timeupdate', this.onTimeUpdate);
    this.media.removeEventListener('seeking', this.onSeeking);
    this.playout?.destroy();
    this.pace?.destroy();
    this.queue.destroy();
    this.gaps.destroy();
    this.file.destroy();
    this.frames.destroy();
    this.backBuffer.destroy();
    this.room.release();
    this.host.destroy();
  }

  private livePolicy: LatencyPolicy | undefined;
  /** The last init segment's StreamInfo.reorderDepth. */
  private reorderDepth = 0;

  /** Appends are taken until the player failed or the end of a file was queued. */
  private get accepting(): boolean {
    return (this.state === 'loading' || this.state === 'playing') && !this.file.ending;
  }

  /** Segments queued for the SourceBuffer and the seconds of media among them. */
  private queued(): { segments: number; seconds: number } {
    let seconds = 0;
    for (const meta of this.queue.pending()) if (meta.kind === 'media') seconds += meta.seconds;
    return { segments: this.queue.length, seconds };
  }

  private setFrameDuration(seconds: number): void {
    this.frameDuration = seconds;
    this.playout?.setFrameDuration(seconds);
    this.pace?.setFrameRate(1 / seconds);
  }

  /** Before the first media segment: the playhead to its first frame (a live stream's first time). */
  private positionStart(start: number): 'done' | 'wait' {
    return this.gaps.positionStart(start + (this.host.sourceBuffer?.timestampOffset ?? 0));
  }

  private appended(metas: readonly AppendMeta[], offset: number): void {
    let media = false;
    let newest = -Infinity;
    for (const meta of metas) {
      // A reconnect: the arrivals that follow start again (appends complete in order).
      if (meta.kind === 'init' && meta.discontinuity) this.playout?.discontinuity();
      if (meta.kind !== 'media') continue;
      media = true;
      newest = Math.max(newest, meta.newest + offset);
      this.backBuffer.add(
        meta.keyframes.map((k) => k + offset),
        meta.generation,
      );
      if (meta.generation === this.backBuffer.generation)
        this.addedPictures.add(meta.added.map((t) => t + offset));
    }
    if (media) {
      const starting = this.state === 'loading';
      if (starting && this.options.live) this.begin();
      else if (starting) this.startFileIfReady();
      this.playout?.arrived(newest);
      if (!starting) this.playout?.appended();
      // A file's playhead may have run past the data while this append waited (a starved page).
      this.gaps.runOff();
    }
    this.room.check();
  }

  /**
   * File: plays once FILE_PREROLL_S is buffered ahead of the playhead, or the whole file (its end
   * requested, nothing left queued); called at each append, at the end and from the timer. Started at
   * its first frame, a short file whose later appends were delayed (a loaded machine) saw Chromium's
   * clock run past the buffered data at a size change (Error_I_P: currentTime 0.54 s with 0.16 s of a
   * 0.24 s file buffered), and the run-off correction then decoded frames twice.
   */
  private startFileIfReady(): void {
    if (this.state !== 'loading' || this.options.live || this.media.buffered.length === 0) return;
    const { end } = bounds(this.media.buffered);
    const whole = this.file.ending && this.queue.idle;
    if (whole || end - this.media.currentTime >= FILE_PREROLL_S) this.begin();
  }

  /** The first frame is buffered: play. */
  private begin(): void {
    this.state = 'playing';
    if (this.options.live) {
      const fixed = this.options.targetLatency > 0 ? this.options.targetLatency * 1000 : undefined;
      this.livePolicy = this.deps.livePolicy?.(this.options) ?? new PlayoutDelayPolicy(fixed);
      this.playout = new LivePlayout({
        media: this.media,
        clock: this.clock,
        visibility: this.visibility,
        policy: this.livePolicy,
        frames: this.frames,
        queueIdle: () => this.queue.idle,
      });
      this.playout.setFrameDuration(this.frameDuration);
      this.livePolicy.setReorderDepth(this.reorderDepth);
      this.playout.start();
    } else {
      this.pace = new DecodePace(this.media, this.clock, this.frames, this.options.playbackRate);
      this.pace.setFrameRate(1 / this.frameDuration);
      this.configure({});
    }
    void this.media.play().catch(() => undefined);
    this.onStarted?.();
  }

  /** The element's frame counts less the transmuxer's added pictures (read from the timer too: ./added-picture-tally.ts). */
  private frameCounts(now: number): FrameCounts {
    return this.addedPictures.correct(this.frames.read(), this.media.currentTime, now);
  }

  /** Timer: gaps, live latency or file pace, trimming; runs in hidden pages too (throttled). */
  private maintain(): void {
    // A file that reached its end while appends were queued starts here once they are done.
    if (this.state === 'loading') return this.startFileIfReady();
    if (this.state !== 'playing') return;
    const media = this.media;
    if (media.buffered.length === 0) return;
    this.frameCounts(this.clock.now());
    this.gaps.tick();
    this.playout?.tick();
    this.pace?.tick();
    const trim = this.backBuffer.trim(media.currentTime, media.buffered);
    if (trim) this.queue.remove(trim[0], trim[1]);
    this.room.check();
  }

  private fail(error: PlayerError): void {
    if (this.state === 'failed' || this.state === 'destroyed') return;
    this.state = 'failed';
    this.room.release();
    this.onError?.(error);
  }
}
