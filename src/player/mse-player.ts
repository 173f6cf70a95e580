/**
 * MSE controller: takes init and media segments from the transmuxer and feeds one SourceBuffer in
 * 'segments' mode, one append at a time from a queue.
 *
 * - A new init segment with another MIME type switches the SourceBuffer with `changeType()`
 *   (W3C MSE §3.3 changeType) without stopping playback; with the same type it is just appended.
 * - `QuotaExceededError` on append (MSE §3.5.10 "coded frame eviction" failed): evict behind the
 *   playhead and retry the same segment, so nothing is lost at the live edge.
 * - Eviction never removes the range holding the last keyframe at or before the playhead: removals
 *   end exactly at a keyframe time (MSE §3.5.9 removes dependent frames up to the next random access
 *   point, so ending the range at a keyframe keeps that GOP whole).
 * - Live: infinite duration; latency to the live edge held near the target with small playbackRate
 *   changes, and a jump to the edge only when far behind. The buffer behind the playhead is trimmed
 *   from a timer (not only from `timeupdate`), so it also happens while the tab is hidden.
 * - Live join: a relay's GOP cache arrives as one burst (a whole GOP at once); once it has settled,
 *   the playhead jumps once to the live edge (a seek within the GOP just decoded is cheap), then the
 *   gentle rate control takes over.
 * - A file's timeline starts at its first presented frame: a B-frame stream without edit list has
 *   its first PTS at, e.g., 0.067 s; the SourceBuffer's timestampOffset is set to minus that before
 *   the first media segment (MSE §3.1 timestampOffset, applied in coded frame processing §3.5.8), so
 *   the buffer starts at 0, where the playhead is: no start gap, no seek and no nudge at the start
 *   (a nudge made Chromium decode a frame twice). A live stream starts at its first buffered time
 *   instead (the playhead is moved there before the first frame is appended).
 * - File seeking: a seek outside the buffer is reported (`onSeekOutsideBuffer`); the session then
 *   restarts the source at a keyframe and calls `restart(timestampOffset)`, which drops the buffer and
 *   places the new segments on the file's timeline (MSE §3.1 timestampOffset, less the start shift).
 *   The duration is an estimate until the end (so that the whole file is seekable), exact after
 *   `endOfStream`.
 */
import { CodedError, type InitSegment, type MediaSegment } from '../core/index.js';
import { findMediaSource, isTypeSupported } from './media-source.js';
import type { MediaSourceKind } from './media-source.js';

export type PlayerErrorCode = 'NO_MSE' | 'CODEC_UNSUPPORTED' | 'APPEND_FAILED' | 'MEDIA_ERROR';

export class PlayerError extends CodedError<PlayerErrorCode> {
  override readonly name = 'PlayerError';
}

export interface PlayerOptions {
  /** Live stream (infinite duration, latency control) or a file (endOfStream at the end). */
  live: boolean;
  /**
   * Live: how far (s) the playhead may fall behind the newest frame before playback speeds up to
   * catch up. 0 (default) holds it at the live edge; more absorbs network jitter without stalls.
   */
  targetLatency: number;
  /** Seconds of media kept behind the playhead (more is removed, up to a keyframe). */
  keepBehind: number;
  /** File: the source waits while more than this many seconds are buffered ahead of the playhead. */
  maxAhead: number;
  /** File: playback rate (tests play long fixtures fast). */
  playbackRate: number;
  /**
   * Live: the underflow guard's maximum, in frames (see GUARD_STEP). More: fewer stalls and frames
   * counted as dropped; less: lower latency. Measured on loopback at 30 fps: 0 -> ~30% counted
   * dropped; 0.6 frame (20 ms) -> 3-8%, p95 +10..15 ms.
   */
  maxGuardFrames: number;
}

export const DEFAULT_PLAYER_OPTIONS: PlayerOptions = {
  live: false,
  targetLatency: 0,
  keepBehind: 20,
  maxAhead: 20,
  playbackRate: 1,
  maxGuardFrames: 0.6,
};

export interface PlayerStats {
  readonly mediaSource: string;
  readonly mimeType: string;
  readonly bufferedStart: number;
  readonly bufferedEnd: number;
  /** Seconds buffered ahead of the playhead. */
  readonly bufferedAhead: number;
  /** Live: end of buffer minus playhead, in seconds. */
  readonly latency: number;
  readonly playbackRate: number;
  readonly decodedFrames: number;
  readonly droppedFrames: number;
  /** Live: stalls at the live edge ('waiting' while playing). */
  readonly underflows: number;
  /** Live: the underflow guard (ms kept behind the newest frame beyond the target). */
  readonly guardMs: number;
  readonly appendedSegments: number;
  readonly appendedBytes: number;
  readonly queuedSegments: number;
  readonly evictions: number;
  readonly quotaExceeded: number;
  readonly jumps: number;
  readonly typeChanges: number;
  /** File seeks that restarted the stream at a keyframe. */
  readonly restarts: number;
}

type QueueItem =
  | { readonly kind: 'init'; readonly data: Uint8Array; readonly mimeType: string }
  | {
      readonly kind: 'media';
      readonly data: Uint8Array;
      readonly start: number;
      readonly keyframes: readonly number[];
    }
  | { readonly kind: 'end' };

/** Live: a playhead further than this behind the edge jumps instead of speeding up. */
const JUMP_MIN_SECONDS = 3;
/**
 * Live underflow guard: every stall at the edge ('waiting': the playhead ran past the newest frame
 * before the next one arrived) keeps the playhead GUARD_STEP further behind the newest frame, up to
 * `maxGuardFrames` frames (option); after GUARD_RELAX_MS without a stall it comes GUARD_RELAX_STEP closer
 * again. Chromium counts the frames around each such stall as dropped (though it shows them), and
 * each stall delays the next frame. It starts at its maximum (stalls are the rule at a bare edge:
 * Chromium stalls as soon as the newest frame starts showing) so latency does not creep up during a
 * run, and relaxes towards 0 for a stream that arrives without jitter.
 */
const GUARD_STEP = 0.004;
const GUARD_RELAX_MS = 3000;
const GUARD_RELAX_STEP = 0.001;
/** Stalls this soon after the first frame (joining, catching up) do not count. */
const GUARD_SETTLE_MS = 1000;
/** Live: back in a visible tab, a playhead this far (s) behind the target jumps to the edge. */
const VISIBLE_JUMP_SECONDS = 0.3;
/** Live join: appends are a burst (a relay's GOP cache) until none came for this long. */
const JOIN_SETTLE_MS = 12;
/** Live join: the one jump to the edge happens only this soon after the first frame... */
const JOIN_WINDOW_MS = 3000;
/** ...and only when the playhead is this far (s) behind where the latency target puts it. */
const JOIN_JUMP_MIN_SECONDS = 0.1;
/** Live: playbackRate never goes above this while catching up. */
const MAX_CATCH_UP_RATE = 2;
const MAINTENANCE_INTERVAL_MS = 250;
/** Consecutive media segments are appended together up to this many bytes. */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** A playhead stuck before or between buffered ranges this long is moved to the next range. */
const GAP_NUDGE_MS = 400;

export class MsePlayer {
  onError: ((error: PlayerError) => void) | undefined;
  /** Called once when the first frame can be shown. */
  onStarted: (() => void) | undefined;
  /** File: the user sought to a time that is not buffered (the source may restart there). */
  onSeekOutsideBuffer: ((time: number) => void) | undefined;

  private options: PlayerOptions;
  private readonly kind: MediaSourceKind | undefined;
  private mediaSource: MediaSource | undefined;
  private objectUrl: string | undefined;
  private sourceBuffer: SourceBuffer | undefined;
  private mimeType = '';
  private readonly queue: QueueItem[] = [];
  /** The items of the append in progress (consecutive media segments go in one append). */
  private appending: QueueItem[] | undefined;
  private removing = false;
  private pendingRemoval: [number, number] | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly timer: ReturnType<typeof setInterval>;
  /** Presentation times (s) of buffered keyframes, ascending. */
  private keyframes: number[] = [];
  private startPositioned = false;
  private waitingForMetadata = false;
  private stuckSince: number | undefined;
  /** Duration of one frame (s), from the latest media segment. */
  private frameDuration = 0;
  private started = false;
  private startedAt = 0;
  /** Live underflow guard (s), see GUARD_STEP. */
  private guard = 0;
  private lastGuardChange = 0;
  private underflows = 0;
  private joinJumped = false;
  private joinTimer: ReturnType<typeof setTimeout> | undefined;
  /** File restart: timestampOffset for the segments that follow. */
  private pendingOffset: number | undefined;
  /** The SourceBuffer's timestampOffset for the append in progress (keyframe times). */
  private appendOffset = 0;
  /** File: the first presentation time of the stream (s), moved to 0; set at the first media. */
  private shift: number | undefined;
  /** File: duration (s) to set when the MediaSource is idle. */
  private pendingDuration: number | undefined;
  private failed = false;
  private ended = false;
  private roomWaiters: (() => void)[] = [];
  private counters = {
    appendedSegments: 0,
    appendedBytes: 0,
    evictions: 0,
    quotaExceeded: 0,
    jumps: 0,
    typeChanges: 0,
    restarts: 0,
  };
  private readonly onVideoError = (): void => {
    const error = this.video.error;
    this.fail(
      new PlayerError(
        'MEDIA_ERROR',
        `The browser could not decode the video${error?.message ? `: ${error.message}` : ''}.`,
        { mediaErrorCode: error?.code ?? 0 },
      ),
    );
  };
  private readonly onTimeUpdate = (): void => this.releaseRoomWaiters();
  private readonly onWaiting = (): void => {
    const video = this.video;
    if (!this.options.live || !this.started || video.seeking || video.paused) return;
    if (document.visibilityState !== 'visible') return;
    this.underflows++;
    if (performance.now() - this.startedAt < GUARD_SETTLE_MS) return;
    this.guard = Math.min(
      this.frameDuration * this.options.maxGuardFrames,
      this.guard + GUARD_STEP,
    );
    this.lastGuardChange = performance.now();
  };
  private readonly onSeeking = (): void => {
    if (this.options.live || !this.started || this.failed) return;
    const t = this.video.currentTime;
    if (!this.isBuffered(t)) this.onSeekOutsideBuffer?.(t);
  };
  private readonly onVisibility = (): void => {
    if (document.visibilityState !== 'visible' || !this.options.live || !this.started) return;
    // Back from a hidden tab (where the video did not advance): straight to the edge.
    const { end } = this.bufferedBounds();
    const behind = end - this.video.currentTime - this.frameDuration - this.options.targetLatency;
    if (behind > VISIBLE_JUMP_SECONDS) this.jumpToEdge();
    this.maintain();
    void this.video.play().catch(() => undefined);
  };

  constructor(
    private readonly video: HTMLVideoElement,
    options: Partial<PlayerOptions> = {},
  ) {
    this.options = { ...DEFAULT_PLAYER_OPTIONS, ...options };
    this.kind = findMediaSource();
    video.muted = true;
    video.playsInline = true;
    // ManagedMediaSource only opens with remote playback disabled (WebKit).
    video.disableRemotePlayback = true;
    video.addEventListener('error', this.onVideoError);
    video.addEventListener('timeupdate', this.onTimeUpdate);
    video.addEventListener('seeking', this.onSeeking);
    video.addEventListener('waiting', this.onWaiting);
    document.addEventListener('visibilitychange', this.onVisibility);
    this.timer = setInterval(() => this.maintain(), MAINTENANCE_INTERVAL_MS);
  }

  /** Creates the MediaSource and waits for `sourceopen`. */
  open(): Promise<void> {
    if (!this.kind) {
      return Promise.reject(
        new PlayerError(
          'NO_MSE',
          'This browser has no Media Source Extensions (MediaSource or ManagedMediaSource): it cannot play raw H.264 here.',
        ),
      );
    }
    const mediaSource = new this.kind.ctor();
    this.mediaSource = mediaSource;
    this.objectUrl = URL.createObjectURL(mediaSource);
    return new Promise((resolve) => {
      mediaSource.addEventListener('sourceopen', () => resolve(), { once: true });
      this.video.src = this.objectUrl ?? '';
    });
  }

  /** Live or file, latency target etc.; may change until the first segment (e.g. once HTTP headers say). */
  configure(options: Partial<PlayerOptions>): void {
    this.options = { ...this.options, ...options };
    if (!this.options.live) {
      this.video.defaultPlaybackRate = this.options.playbackRate;
      this.video.playbackRate = this.options.playbackRate;
    }
  }

  get live(): boolean {
    return this.options.live;
  }

  /**
   * Seconds the buffer's timeline is ahead of the stream's own PTS timeline (file: the first PTS,
   * 0 without B-frame delay; live: 0). Stream time = media time + timelineShift.
   */
  get timelineShift(): number {
    return this.shift ?? 0;
  }

  appendInit(segment: InitSegment): void {
    this.enqueue({ kind: 'init', data: segment.data, mimeType: segment.mimeType });
  }

  appendMedia(segment: MediaSegment): void {
    const keyframes: number[] = [];
    for (const sample of segment.samples) {
      if (sample.keyframe) keyframes.push(sample.pts / segment.timescale);
    }
    if (segment.frames > 0)
      this.frameDuration = segment.duration / segment.frames / segment.timescale;
    this.enqueue({
      kind: 'media',
      data: segment.data,
      start: segment.startPts / segment.timescale,
      keyframes,
    });
  }

  /**
   * File seek: the segments that follow start a new stream at `timestampOffset` seconds of the file's
   * own timeline (its first frame's DTS there). Everything queued and buffered is dropped (memory
   * stays bounded whatever the seeks).
   */
  restart(timestampOffset: number): void {
    if (this.failed) return;
    this.queue.length = 0;
    this.ended = false;
    this.keyframes = [];
    this.pendingOffset = timestampOffset - this.timelineShift;
    this.pendingRemoval = [0, Infinity];
    this.counters.restarts++;
    this.pump();
  }

  /** File: the expected duration (s) while the file is read; the real one is set at the end. */
  setDurationEstimate(seconds: number): void {
    if (this.options.live || this.ended || !(seconds > 0)) return;
    const current = this.mediaSource?.duration;
    if (current !== undefined && Math.abs(current - seconds) < 0.5) return;
    this.pendingDuration = seconds;
    this.pump();
  }

  /** File done: end the MediaSource once everything queued is appended, so `ended` fires. */
  endOfStream(): void {
    this.enqueue({ kind: 'end' });
  }

  /** Resolves when the buffer ahead of the playhead is short enough to take more (file backpressure). */
  waitForRoom(): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  get stats(): PlayerStats {
    const { start, end } = this.bufferedBounds();
    const t = this.video.currentTime;
    const quality = this.video.getVideoPlaybackQuality?.();
    return {
      mediaSource: this.kind?.name ?? 'none',
      mimeType: this.mimeType,
      bufferedStart: start,
      bufferedEnd: end,
      bufferedAhead: this.bufferedAhead(),
      latency: end > 0 ? Math.max(0, end - t) : 0,
      playbackRate: this.video.playbackRate,
      decodedFrames: quality?.totalVideoFrames ?? 0,
      droppedFrames: quality?.droppedVideoFrames ?? 0,
      underflows: this.underflows,
      guardMs: this.guard * 1000,
      queuedSegments: this.queue.length,
      ...this.counters,
    };
  }

  destroy(): void {
    clearInterval(this.timer);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    clearTimeout(this.joinTimer);
    this.video.removeEventListener('error', this.onVideoError);
    this.video.removeEventListener('timeupdate', this.onTimeUpdate);
    this.video.removeEventListener('seeking', this.onSeeking);
    this.video.removeEventListener('waiting', this.onWaiting);
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.queue.length = 0;
    this.failed = true;
    this.releaseRoomWaiters(true);
    this.video.removeAttribute('src');
    this.video.load();
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
  }

  private enqueue(item: QueueItem): void {
    if (this.failed || this.ended) return;
    this.queue.push(item);
    this.pump();
  }

  private pump(): void {
    const ms = this.mediaSource;
    // 'ended' too: after a file restart, an append or removal re-opens it (MSE §3.5.5 step 5).
    if (this.failed || !ms || ms.readyState === 'closed') return;
    if (this.appending || this.removing || this.sourceBuffer?.updating) return;
    if (this.pendingRemoval && this.sourceBuffer) {
      const [start, end] = this.pendingRemoval;
      this.pendingRemoval = undefined;
      if (this.sourceBuffer.buffered.length > 0) {
        this.removing = true;
        this.sourceBuffer.remove(start, end);
        return;
      }
    }
    if (this.pendingDuration !== undefined && ms.readyState === 'open' && !this.ended) {
      // Never below what is buffered (MSE §2.4.6 would refuse).
      const { end } = this.bufferedBounds();
      ms.duration = Math.max(this.pendingDuration, end);
      this.pendingDuration = undefined;
    }
    const item = this.queue[0];
    if (!item) return;
    if (item.kind !== 'end' && this.pendingOffset !== undefined && this.sourceBuffer) {
      this.sourceBuffer.timestampOffset = this.pendingOffset;
      this.pendingOffset = undefined;
    }
    try {
      if (item.kind === 'end') {
        this.queue.shift();
        this.ended = true;
        this.pendingDuration = undefined;
        ms.endOfStream();
        return;
      }
      if (item.kind === 'init' && !this.prepareSourceBuffer(ms, item.mimeType)) return;
      if (item.kind === 'media' && !this.startPositioned && this.sourceBuffer) {
        if (!this.options.live && this.shift === undefined) {
          // File: its first presented frame goes to 0 (see the header).
          this.shift = Math.max(0, item.start);
          if (this.shift > 0) this.sourceBuffer.timestampOffset = -this.shift;
        }
        const start = item.start + this.sourceBuffer.timestampOffset;
        // Seek before the first frame is appended: a seek after decoding began would decode the
        // first frames twice. Setting currentTime needs HAVE_METADATA (HTML §4.8.11.9). A stream
        // that starts at the playhead (no B-frame delay, or a file) needs no seek: append at once.
        const needsSeek = start > this.video.currentTime + 1e-3;
        if (needsSeek && this.video.readyState < HTMLMediaElement.HAVE_METADATA) {
          if (!this.waitingForMetadata) {
            this.waitingForMetadata = true;
            this.video.addEventListener('loadedmetadata', () => this.pump(), { once: true });
          }
          return;
        }
        this.positionStart(start);
      }
      const sb = this.sourceBuffer;
      if (!sb) return; // media before any init segment: cannot happen with the core's ordering
      // Media segments queued behind this one (a burst, e.g. a relay's GOP cache) go in the same
      // append: one parse and one updateend instead of one per frame.
      const batch: QueueItem[] = [item];
      let bytes = item.kind === 'init' || item.kind === 'media' ? item.data.byteLength : 0;
      if (item.kind === 'media' && this.started) {
        for (let i = 1; i < this.queue.length && bytes < MAX_BATCH_BYTES; i++) {
          const next = this.queue[i];
          if (next?.kind !== 'media') break;
          batch.push(next);
          bytes += next.data.byteLength;
        }
      }
      this.appending = batch;
      this.appendOffset = sb.timestampOffset;
      sb.appendBuffer(joinData(batch, bytes) as Uint8Array<ArrayBuffer>);
    } catch (error) {
      this.appending = undefined;
      if (error instanceof DOMException && error.name === 'QuotaExceededError') {
        this.onQuotaExceeded();
        return;
      }
      this.fail(
        new PlayerError(
          'APPEND_FAILED',
          `Could not append to the media buffer: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    }
  }

  /** Creates or switches the SourceBuffer for an init segment; false when it failed. */
  private prepareSourceBuffer(ms: MediaSource, mimeType: string): boolean {
    if (!this.sourceBuffer) {
      if (!isTypeSupported(mimeType)) {
        this.fail(unsupported(mimeType));
        return false;
      }
      const sb = ms.addSourceBuffer(mimeType);
      sb.mode = 'segments';
      sb.addEventListener('updateend', () => this.onUpdateEnd());
      this.sourceBuffer = sb;
      this.mimeType = mimeType;
      if (this.options.live) ms.duration = Infinity;
      return true;
    }
    if (mimeType !== this.mimeType) {
      if (!isTypeSupported(mimeType)) {
        this.fail(unsupported(mimeType));
        return false;
      }
      // Without changeType (old browsers), the same codec family usually accepts a new init segment.
      if (typeof this.sourceBuffer.changeType === 'function') {
        this.sourceBuffer.changeType(mimeType);
        this.counters.typeChanges++;
      }
      this.mimeType = mimeType;
    }
    return true;
  }

  /**
   * Before the first frame is appended: move the playhead to the first presentation time when the
   * element allows it (the seekable range covers it). Otherwise Chromium plays through the small
   * start gap by itself, and maintain() nudges a playhead that stays stuck before the buffer.
   */
  private positionStart(start: number): void {
    this.startPositioned = true;
    const video = this.video;
    if (start <= video.currentTime + 1e-3) return;
    const seekable = video.seekable;
    for (let i = 0; i < seekable.length; i++) {
      if (seekable.start(i) <= start && start <= seekable.end(i)) {
        video.currentTime = start;
        return;
      }
    }
  }

  private onUpdateEnd(): void {
    if (this.removing) {
      this.removing = false;
      this.pruneKeyframes();
    }
    const batch = this.appending;
    if (batch) {
      this.appending = undefined;
      let media = false;
      for (const item of batch) {
        // A restart may have emptied the queue meanwhile.
        if (this.queue[0] === item) this.queue.shift();
        if (item.kind === 'end') continue;
        this.counters.appendedSegments++;
        this.counters.appendedBytes += item.data.byteLength;
        if (item.kind !== 'media') continue;
        media = true;
        for (const k of item.keyframes) this.addKeyframe(k + this.appendOffset);
      }
      if (media) {
        if (this.started && this.options.live) {
          this.holdLatency();
          this.watchJoinBurst();
        }
        if (!this.started) {
          this.started = true;
          this.startedAt = performance.now();
          this.guard = this.frameDuration * this.options.maxGuardFrames;
          this.lastGuardChange = this.startedAt;
          if (this.options.live) this.watchJoinBurst();
          if (!this.options.live) this.configure({});
          void this.video.play().catch(() => undefined);
          this.onStarted?.();
        }
      }
    }
    this.pump();
    this.releaseRoomWaiters();
  }

  private onQuotaExceeded(): void {
    this.counters.quotaExceeded++;
    // Free everything behind the playhead that is not needed to decode the current frame.
    if (!this.scheduleEviction(0)) {
      // Nothing can go: wait for the playhead to move (live jumps in maintain()).
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.scheduleEviction(0);
        this.pump();
      }, 500);
    }
    this.pump();
  }

  /**
   * Plans a removal of everything before the last keyframe at or before `currentTime - behind`.
   * Returns false when nothing can be removed.
   */
  private scheduleEviction(behind: number): boolean {
    const sb = this.sourceBuffer;
    if (!sb || this.pendingRemoval) return this.pendingRemoval !== undefined;
    const { start } = this.bufferedBounds();
    const limit = this.video.currentTime - behind;
    let keyframe: number | undefined;
    for (const k of this.keyframes) {
      if (k <= limit) keyframe = k;
      else break;
    }
    if (keyframe === undefined || keyframe - start < 0.5) return false;
    this.pendingRemoval = [0, keyframe];
    this.counters.evictions++;
    return true;
  }

  private addKeyframe(time: number): void {
    const last = this.keyframes[this.keyframes.length - 1];
    if (last === undefined || time > last) this.keyframes.push(time);
    else if (!this.keyframes.includes(time)) {
      this.keyframes.push(time);
      this.keyframes.sort((a, b) => a - b);
    }
  }

  private pruneKeyframes(): void {
    const { start } = this.bufferedBounds();
    // Keep the keyframe the buffer starts at; drop the ones that were removed.
    this.keyframes = this.keyframes.filter((k) => k >= start - 0.01);
  }

  /** Timer: live latency control, gap skipping, trimming; runs in hidden tabs too (throttled). */
  private maintain(): void {
    if (this.failed || !this.sourceBuffer || !this.started) return;
    const video = this.video;
    const ranges = video.buffered;
    if (ranges.length === 0) return;
    const t = video.currentTime;
    // A playhead stuck before or between ranges (e.g. after a reconnect) moves to the next range.
    let inRange = false;
    let next: number | undefined;
    for (let i = 0; i < ranges.length; i++) {
      if (t >= ranges.start(i) - 0.01 && t < ranges.end(i)) inRange = true;
      else if (ranges.start(i) > t && next === undefined) next = ranges.start(i);
    }
    const stuck =
      !inRange &&
      next !== undefined &&
      !video.seeking &&
      video.readyState < HTMLMediaElement.HAVE_FUTURE_DATA;
    if (!stuck) this.stuckSince = undefined;
    else if (this.stuckSince === undefined) this.stuckSince = performance.now();
    else if (next !== undefined && performance.now() - this.stuckSince > GAP_NUDGE_MS) {
      this.stuckSince = undefined;
      video.currentTime = next;
      this.counters.jumps++;
    }
    if (this.options.live) {
      const now = performance.now();
      if (this.guard > 0 && now - this.lastGuardChange > GUARD_RELAX_MS) {
        this.guard = Math.max(0, this.guard - GUARD_RELAX_STEP);
        this.lastGuardChange = now;
      }
      this.holdLatency();
    }
    if (this.bufferedBounds().start < video.currentTime - this.options.keepBehind - 1) {
      if (this.scheduleEviction(this.options.keepBehind)) this.pump();
    }
    this.releaseRoomWaiters();
  }

  /**
   * Live join: a relay's GOP cache arrives at once, so the first frame shown is up to a GOP behind
   * the edge. When the appends settle, jump once to where the latency target puts the playhead: the
   * frames since the keyframe are still in the buffer, so the decoder only re-decodes this one GOP.
   */
  private watchJoinBurst(): void {
    if (this.joinJumped || performance.now() - this.startedAt > JOIN_WINDOW_MS) return;
    clearTimeout(this.joinTimer);
    this.joinTimer = setTimeout(() => {
      this.joinTimer = undefined;
      if (this.failed || this.joinJumped || !this.queueIsEmpty()) return;
      const video = this.video;
      const { end } = this.bufferedBounds();
      const edge = end - this.frameDuration - this.options.targetLatency;
      if (edge - video.currentTime > JOIN_JUMP_MIN_SECONDS && this.isBuffered(edge)) {
        this.joinJumped = true;
        video.currentTime = edge;
        this.counters.jumps++;
      }
    }, JOIN_SETTLE_MS);
  }

  private queueIsEmpty(): boolean {
    return this.queue.length === 0 && this.appending === undefined;
  }

  private isBuffered(time: number): boolean {
    const ranges = this.sourceBuffer ? this.video.buffered : undefined;
    if (!ranges) return false;
    for (let i = 0; i < ranges.length; i++) {
      if (time >= ranges.start(i) - 0.01 && time < ranges.end(i)) return true;
    }
    return false;
  }

  /** Live: moves the playhead to the newest frame (less the latency target). */
  private jumpToEdge(): void {
    const { end } = this.bufferedBounds();
    const edge = Math.max(end - this.frameDuration - this.options.targetLatency, 0);
    this.video.currentTime = this.isBuffered(edge) ? edge : Math.max(end - 0.001, 0);
    this.video.playbackRate = 1;
    this.counters.jumps++;
  }

  private holdLatency(): void {
    const video = this.video;
    const { end } = this.bufferedBounds();
    const latency = end - video.currentTime;
    const target = this.options.targetLatency;
    if (latency > Math.max(JUMP_MIN_SECONDS, target * 2 + 1)) {
      // Far behind (hidden tab, long stall): jump, the decoder restarts from the previous keyframe.
      this.jumpToEdge();
      if (video.paused && document.visibilityState === 'visible') {
        void video.play().catch(() => undefined);
      }
      return;
    }
    // Small distance: speed up a little (hls.js liveSync style), no seek, no decoder flush. The
    // newest frame's own duration is part of the distance to the buffer end, so it is allowed for.
    // Hysteresis: start catching up 10 ms beyond the target, stop at the target; gentle rates for
    // small distances (a fast playhead runs into the edge and stalls), up to 2x for large ones.
    const excess = latency - this.frameDuration - target - this.guard;
    const catchingUp = video.playbackRate > 1;
    let rate = 1;
    if (excess > (catchingUp ? 0 : 0.01)) {
      rate = Math.min(
        MAX_CATCH_UP_RATE,
        1 + Math.min(0.25, excess * 2) + Math.max(0, excess - 0.2) * 4,
      );
    }
    if (Math.abs(video.playbackRate - rate) > 0.01) video.playbackRate = rate;
  }

  private bufferedAhead(): number {
    const ranges = this.video.buffered;
    const t = this.video.currentTime;
    for (let i = 0; i < ranges.length; i++) {
      if (t >= ranges.start(i) - 0.1 && t < ranges.end(i)) return ranges.end(i) - t;
    }
    return 0;
  }

  private bufferedBounds(): { start: number; end: number } {
    const ranges = this.sourceBuffer ? this.video.buffered : undefined;
    if (!ranges || ranges.length === 0) return { start: 0, end: 0 };
    return { start: ranges.start(0), end: ranges.end(ranges.length - 1) };
  }

  private hasRoom(): boolean {
    if (this.failed) return true;
    if (this.queue.length > 8) return false;
    return !this.started || this.bufferedAhead() < this.options.maxAhead;
  }

  private releaseRoomWaiters(force = false): void {
    if (this.roomWaiters.length === 0 || !(force || this.hasRoom())) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private fail(error: PlayerError): void {
    if (this.failed) return;
    this.failed = true;
    this.releaseRoomWaiters(true);
    this.onError?.(error);
  }
}

/** The data of queued segments as one buffer (no copy for a single one). */
function joinData(items: readonly QueueItem[], bytes: number): Uint8Array {
  const first = items[0];
  if (items.length === 1 && first && first.kind !== 'end') return first.data;
  const out = new Uint8Array(bytes);
  let offset = 0;
  for (const item of items) {
    if (item.kind === 'end') continue;
    out.set(item.data, offset);
    offset += item.data.byteLength;
  }
  return out;
}

function unsupported(mimeType: string): PlayerError {
  return new PlayerError(
    'CODEC_UNSUPPORTED',
    `This browser cannot play ${mimeType} (MediaSource.isTypeSupported says no). Try another browser, or re-encode with a lower profile/level.`,
    { mimeType },
  );
}
