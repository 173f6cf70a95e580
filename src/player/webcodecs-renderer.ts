/**
 * The WebCodecs renderer: a live stream's segments decoded by a `VideoDecoder` (configured from the
 * init segment's avcC, ./decoder-config.ts, `optimizeForLatency`) and put on screen at their due time
 * through the adaptive playout delay (./jitter-estimator.ts: due = the best arrival + the target
 * delay, reached at a bounded speed by ./playout-clock.ts). It bypasses MSE's buffering and the media element's clock. Where the frames go is a
 * ./frame-sink.ts: a page's canvas, or a video track written from the transmuxer worker
 * (src/worker/track-renderer.ts), so that the whole path from bytes to screen is off the main thread.
 *
 * A frame's arrival is when the decoder outputs it: decode time and its jitter are measured with the
 * network's (not in a hidden page). Scheduling (paint, skip, late, closing every frame) is ./frame-scheduler.ts.
 * DOM-free: it runs in a page or a worker.
 */
import { samplePayloads } from '../core/mp4/fragment.js';
import type { InitSegment, MediaSegment } from '../core/index.js';
import { systemClock } from './clock.js';
import type { Clock } from './clock.js';
import { decoderConfig } from './decoder-config.js';
import { PlayerError, unsupported } from './errors.js';
import { FrameScheduler } from './frame-scheduler.js';
import type { FrameSink } from './frame-sink.js';
import { JitterEstimator } from './jitter-estimator.js';
import { OVERLOAD_PAINT_SHARE } from './paint-overload.js';
import { startPictureData } from './start-picture.js';
import { PlayoutClock } from './playout-clock.js';
import { RecoveryBudget } from './recovery-budget.js';
import { alwaysVisible } from './visibility.js';
import type { Visibility } from './visibility.js';

/** What a renderer reports (both renderers; see src/play/player.ts). */
export interface RendererStats {
  readonly kind: 'mse' | 'webcodecs';
  /** Where the frames show: the <video> fed by MSE, a page's canvas, a track the worker writes. */
  readonly output: 'video' | FrameSink['kind'];
  /** Frames shown more than a frame interval after their due time (WebCodecs), stalls (MSE). */
  readonly late: number;
  /**
   * Stalls: the picture froze past its time. MSE: `waiting` while playing; WebCodecs: runs of late
   * frames (./frame-scheduler.ts), one per freeze as MSE counts one `waiting` per underrun.
   */
  readonly stalls: number;
  /** Frames decoded (or received) but never shown. */
  readonly skipped: number;
  /** Joining, frames decoded only to reach the first one shown (WebCodecs; MSE's are not told). */
  readonly prerolled: number;
  /** Frames shown. */
  readonly painted: number;
  /**
   * What showing one frame costs the renderer's thread (ms, a moving mean; 0 for MSE, whose frames
   * the browser shows): a canvas converts and draws each frame there.
   */
  readonly paintMs: number;
  /** Stalls per minute since the first frame. */
  readonly stallsPerMinute: number;
  /** The playout delay's current target and the measured jitter's p99 (ms). */
  readonly targetDelayMs: number;
  readonly jitterMs: number;
  /**
   * The source's pace: media seconds it sends per second (1: it keeps the stream's timeline; 0.83: a
   * 25 fps camera on a 30 fps timeline). The playout follows it (../player/source-pace.ts).
   */
  readonly sourcePace: number;
  /** Decode errors recovered from: a new decoder (WebCodecs) or MediaSource (MSE) took over. */
  readonly recovered: number;
}

/** Whether this page or worker has WebCodecs video decoding. */
export function hasWebCodecs(): boolean {
  return typeof VideoDecoder !== 'undefined' && typeof EncodedVideoChunk !== 'undefined';
}

/** The paint only needs the decoder's and the paint's clock; a fixed margin for timers and vsync. */
const WEBCODECS_DECODE_MARGIN_MS = 4;
/**
 * The playout delay's floor in the first second (JitterEstimator SETTLE_MS, when it measures no jitter
 * yet): the start is the busiest second of a page (its bundle, the player's start, the decoder's and
 * the JIT's warm-up), and frames then came 35-75 ms past due with the decode margin alone (Chromium,
 * the worker's track, 2 cores; bench:latency). Dropped after it, as fast as the playout clock moves.
 */
export const WEBCODECS_SETTLING_TARGET_MS = 30;
/**
 * A decoder behind the live rate: more than MAX_DECODE_QUEUE chunks waiting in it for BACKLOG_MS
 * without draining, after the first frame was shown. Deltas are then dropped until the next keyframe.
 * A join's burst (a relay's frames since the last keyframe: more than this from a camera with long
 * GOPs) is no such thing: it is decoded whole (./frame-scheduler.ts) and drains, and dropping its
 * deltas left the picture waiting for the next keyframe (a 68 s GOP showed one frame).
 */
export const MAX_DECODE_QUEUE = 30;
/** How long (ms) a queue over MAX_DECODE_QUEUE may stay there without draining. */
export const BACKLOG_MS = 1000;

type RendererState =
  'waiting-for-config' | 'waiting-for-keyframe' | 'decoding' | 'failed' | 'closed';

export interface WebCodecsRendererOptions {
  /** The playout delay (s): 0 adaptive, more a fixed target. */
  readonly targetLatency: number;
}

export class WebCodecsRenderer {
  onError: ((error: PlayerError) => void) | undefined;
  /** A decode error was recovered from (./recovery-budget.ts): the message for a warning. */
  onRecovered: ((message: string) => void) | undefined;
  /** Called once, at the first painted frame. */
  onStarted: (() => void) | undefined;

  private state: RendererState = 'waiting-for-config';
  private readonly estimator: JitterEstimator;
  private readonly playout = new PlayoutClock();
  private readonly scheduler: FrameScheduler<VideoFrame>;
  private decoder: VideoDecoder | undefined;
  private config: VideoDecoderConfig | undefined;
  /** The init segment the decoder is configured for (named when it cannot decode it). */
  private init: InitSegment | undefined;
  private frameMs = 1000 / 30;
  private firstPaint: number | undefined;
  /** Frames dropped before the decoder (waiting for a keyframe). */
  private dropped = 0;
  /** Since when, and from what size, the decoder's queue is over MAX_DECODE_QUEUE. */
  private backlog: { readonly since: number; readonly size: number } | undefined;
  private readonly recoveries = new RecoveryBudget();
  /** Moving mean of the sink's paint time (see RendererStats.paintMs). */
  private paintMs = 0;
  /** An init segment said the next media segment starts a new connection's arrivals. */
  private discontinuity = false;
  /** The decoder was configured and has been given nothing since: its first chunk must be an IDR. */
  private fresh = false;
  /** Timestamps (µs) of start pictures given to the decoder (see startPictureData): never shown. */
  private readonly startPictures = new Set<number>();

  constructor(
    private readonly sink: FrameSink,
    options: WebCodecsRendererOptions,
    private readonly clock: Clock = systemClock,
    private readonly visibility: Visibility = alwaysVisible,
  ) {
    this.estimator = new JitterEstimator({
      fixedMs: options.targetLatency > 0 ? options.targetLatency * 1000 : undefined,
      decodeMarginMs: WEBCODECS_DECODE_MARGIN_MS,
      settlingTargetMs: WEBCODECS_SETTLING_TARGET_MS,
      paceFrom: 'received',
    });
    this.scheduler = new FrameScheduler<VideoFrame>({
      clock,
      dueAt: (mediaTime, now) => this.dueAt(mediaTime, now),
      paint: (frame, dueAt) => this.paint(frame, dueAt),
      // A hidden page's timers and compositor are throttled: lateness there says nothing of the
      // network, and would keep the target high once the page is back (MSE's playout does the same).
      late: (now) => {
        if (this.visibility.visible) this.estimator.late(now);
      },
      // A frame's interval on the source's pace (a camera slower than its timeline: longer).
      frameMs: () => this.frameMs * this.estimator.pace.msPerMediaMs,
      decoding: () => this.decoder?.decodeQueueSize ?? 0,
    });
  }

  appendInit(init: InitSegment): void {
    if (this.state === 'failed' || this.state === 'closed') return;
    // A reconnect: the arrivals start again at the next segment's first frame.
    if (init.discontinuity) this.discontinuity = true;
    const config = decoderConfig(init, { optimizeForLatency: true });
    if (this.config && sameConfig(this.config, config)) return;
    this.config = config;
    this.init = init;
    try {
      this.decoder ??= this.newDecoder();
      if (this.decoder.state === 'configured') this.decoder.reset();
      this.decoder.configure(config);
      this.fresh = true;
      this.state = 'waiting-for-keyframe';
    } catch (error) {
      this.fail(`WebCodecs cannot decode ${init.codec}: ${String(error)}`);
    }
  }

  appendMedia(segment: MediaSegment): void {
    const decoder = this.decoder;
    if (!decoder || (this.state !== 'waiting-for-keyframe' && this.state !== 'decoding')) return;
    if (segment.frames > 0) {
      this.frameMs = (segment.duration / segment.frames / segment.timescale) * 1000;
    }
    if (this.discontinuity) {
      this.discontinuity = false;
      this.estimator.discontinuity(segment.startPts / segment.timescale);
    }
    if (this.behind(decoder.decodeQueueSize)) this.state = 'waiting-for-keyframe';
    // The source's pace learns when frames come, not when the decoder gives them back; not while
    // painting costs this thread what PaintOverload judges too much (a 4K canvas): frames then wait
    // for it before they are seen, and the worker's pace would pass for the camera's.
    if (this.visibility.visible && this.paintMs <= OVERLOAD_PAINT_SHARE * this.frameMs) {
      const now = this.clock.now();
      for (const sample of segment.samples) {
        this.estimator.received(now, sample.pts / segment.timescale);
      }
    }
    const payloads = samplePayloads(segment.data);
    const frameUs = (segment.duration / Math.max(1, segment.frames) / segment.timescale) * 1e6;
    segment.samples.forEach((sample, i) => {
      const data = payloads[i];
      // An anchor (TransmuxerOptions.anchorInterval) is for MSE's random access points: nothing refers to it.
      if (!data || sample.anchor) return;
      if (this.state === 'waiting-for-keyframe') {
        if (!sample.keyframe) {
          this.dropped++;
          return;
        }
        this.state = 'decoding';
      }
      const timestamp = Math.round((sample.pts * 1e6) / segment.timescale);
      let type: EncodedVideoChunkType = sample.keyframe ? 'key' : 'delta';
      try {
        // A recovery point that is not an IDR picture (periodic intra refresh; open GOP): a fresh
        // decoder first gets the start picture, then it as a delta; a decoder that has decoded
        // before gets it as a delta too (its references stand in for the frames left out).
        if (sample.startPicture) {
          // The transmuxer's start picture (TransmuxerOptions.startPicture): decoded, not shown.
          this.startPictures.add(timestamp);
        } else if (sample.keyframe && sample.pictureType !== 'IDR') {
          if (!this.fresh || this.decodeStartPicture(decoder, timestamp - 1)) type = 'delta';
        }
        this.fresh = false;
        decoder.decode(
          new EncodedVideoChunk({ type, timestamp, duration: Math.round(frameUs), data }),
        );
      } catch (error) {
        this.fail(`The browser's video decoder refused a frame (WebCodecs): ${String(error)}`);
      }
    });
  }

  get stats(): RendererStats {
    const now = this.clock.now();
    const minutes = this.firstPaint === undefined ? 0 : (now - this.firstPaint) / 60_000;
    return {
      kind: 'webcodecs',
      output: this.sink.kind,
      late: this.scheduler.late,
      stalls: this.scheduler.stalls,
      skipped: this.scheduler.skipped + this.dropped + this.sink.dropped,
      painted: this.scheduler.painted,
      paintMs: this.paintMs,
      prerolled: this.scheduler.prerolled,
      stallsPerMinute: minutes > 0 ? this.scheduler.stalls / minutes : 0,
      targetDelayMs: this.estimator.target(now),
      jitterMs: this.estimator.jitter(),
      sourcePace: this.estimator.pace.rate,
      recovered: this.recoveries.granted,
    };
  }

  destroy(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.scheduler.destroy();
    this.sink.close();
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
  }

  /** Whether a decoder with `queued` chunks waiting is behind the live rate (see BACKLOG_MS). */
  private behind(queued: number): boolean {
    if (queued <= MAX_DECODE_QUEUE || this.firstPaint === undefined) {
      this.backlog = undefined;
      return false;
    }
    const now = this.clock.now();
    // A queue smaller than when it went over is draining: a burst, not a slow decoder.
    if (!this.backlog || queued < this.backlog.size) this.backlog = { since: now, size: queued };
    if (now - this.backlog.since < BACKLOG_MS) return false;
    this.backlog = undefined;
    return true;
  }

  private newDecoder(): VideoDecoder {
    const decoder: VideoDecoder = new VideoDecoder({
      output: (frame) => this.decoded(frame),
      error: (error) => this.decoderFailed(decoder, error),
    });
    return decoder;
  }

  /**
   * The decoder closed itself on an error (WebCodecs §4.5 "Close VideoDecoder"): a new one, configured
   * as the last, resumes at the next keyframe, within the recovery budget. The frames decoded before
   * the error are still shown.
   */
  private decoderFailed(decoder: VideoDecoder, error: DOMException): void {
    if (decoder !== this.decoder || this.state === 'failed' || this.state === 'closed') return;
    if (error.name === 'NotSupportedError' && this.init) {
      // Configure found the codec unsupported (WebCodecs §4.5 configure(), step "supported is false"):
      // no new decoder would take it.
      this.fail(unsupported(this.init.mimeType, this.init.info, 'WebCodecs'));
      return;
    }
    const message = `The browser's video decoder failed (WebCodecs): ${error.message.replace(/\.$/, '')}`;
    const config = this.config;
    const before = this.recoveries.granted;
    if (!config || !this.recoveries.take(this.clock.now())) {
      this.fail(before > 0 ? `${message} (again, after ${before} recoveries)` : message);
      return;
    }
    try {
      const next = this.newDecoder();
      next.configure(config);
      this.decoder = next;
      this.fresh = true;
    } catch (reason) {
      this.fail(`${message}; a new decoder could not be configured: ${String(reason)}`);
      return;
    }
    this.state = 'waiting-for-keyframe';
    this.onRecovered?.(`${message}. A new decoder resumes at the next keyframe.`);
  }

  /**
   * Gives a fresh decoder the init segment's start picture (./start-picture.ts) at `timestamp` (µs), to
   * be dropped when it comes out; false where there is none for this stream.
   */
  private decodeStartPicture(decoder: VideoDecoder, timestamp: number): boolean {
    const data = this.init && startPictureData(this.init.description);
    if (!data) return false;
    decoder.decode(new EncodedVideoChunk({ type: 'key', timestamp, duration: 0, data }));
    this.startPictures.add(timestamp);
    return true;
  }

  private decoded(frame: VideoFrame): void {
    if (
      this.state === 'closed' ||
      this.state === 'failed' ||
      this.startPictures.delete(frame.timestamp)
    ) {
      frame.close();
      return;
    }
    // A hidden page's timers and messages are throttled: its arrivals say nothing of the network.
    if (this.visibility.visible) this.estimator.push(this.clock.now(), frame.timestamp / 1e6);
    this.scheduler.push(frame);
  }

  /** When the frame at `mediaTime` (s) is due (ms); undefined before the first frame. */
  private dueAt(mediaTime: number, now: number): number | undefined {
    const best = this.estimator.baseline;
    if (best === undefined) return undefined;
    const source = this.estimator.pace.sourceMs(mediaTime * 1000);
    return this.playout.dueAt(source, now, best + this.estimator.target(now));
  }

  private paint(frame: VideoFrame, dueAt: number): void {
    const start = this.clock.now();
    try {
      this.sink.show(frame, dueAt);
      const spent = this.clock.now() - start;
      this.paintMs =
        this.firstPaint === undefined ? spent : this.paintMs + (spent - this.paintMs) / 8;
    } catch (error) {
      // Said, not thrown into the decoder's output callback: the picture would freeze with no word
      // (Firefox 153's OffscreenCanvas refused its context again after a size change, every frame).
      this.fail(
        `Could not show a frame on the ${this.sink.kind}: ${String(error)}`,
        'RENDER_FAILED',
      );
      return;
    }
    if (this.firstPaint === undefined) {
      this.firstPaint = this.clock.now();
      this.playout.start(this.firstPaint, this.estimator.pace.sourceMs(frame.timestamp / 1e3));
      this.onStarted?.();
    }
  }

  private fail(
    reason: string | PlayerError,
    code: 'DECODER_ERROR' | 'RENDER_FAILED' = 'DECODER_ERROR',
  ): void {
    if (this.state === 'failed' || this.state === 'closed') return;
    this.state = 'failed';
    this.scheduler.destroy();
    this.onError?.(typeof reason === 'string' ? new PlayerError(code, reason) : reason);
  }
}

function sameConfig(a: VideoDecoderConfig, b: VideoDecoderConfig): boolean {
  if (a.codec !== b.codec || a.codedWidth !== b.codedWidth || a.codedHeight !== b.codedHeight) {
    return false;
  }
  const x = a.description instanceof Uint8Array ? a.description : undefined;
  const y = b.description instanceof Uint8Array ? b.description : undefined;
  return (
    x !== undefined && y !== undefined && x.length === y.length && x.every((v, i) => v === y[i])
  );
}
