/**
 * One playback: a byte source feeding the transmuxer worker, whose segments feed the MSE player.
 * Outputs are handled strictly in stream order; a finite source is paced by the player (backpressure).
 */
import type { StreamInfo, TransmuxerOutput } from '../core/index.js';
import { MsePlayer, PlayerError } from '../player/mse-player.js';
import type { PlayerStats } from '../player/mse-player.js';
import { SourceError } from '../sources/source.js';
import type { ByteSource, ConnectionInfo, SourceSink } from '../sources/source.js';
import { TransmuxError, TransmuxWorker } from '../worker/client.js';

export type SessionState =
  'connecting' | 'buffering' | 'playing' | 'paused' | 'reconnecting' | 'ended' | 'error';

/** An error or notice as shown in the page and exposed to tests. */
export interface SessionError {
  readonly code: string;
  readonly message: string;
  readonly detail: Readonly<Record<string, string | number | boolean>>;
}

export interface SessionWarning {
  readonly code: string;
  readonly message: string;
  count: number;
}

export interface SessionOptions {
  /** Frame rate override (`?fps=`). */
  readonly fps?: number | undefined;
  /** Live latency target in seconds (`?latency=`). */
  readonly targetLatency: number;
  /** File playback rate (`?rate=`, for tests and quick looks). */
  readonly playbackRate: number;
}

export interface SessionStats {
  readonly source: string;
  readonly sourceKind: string;
  readonly live: boolean;
  readonly accessUnitFraming: boolean;
  readonly state: SessionState;
  readonly info: StreamInfo | undefined;
  readonly bytesReceived: number;
  /** Input bitrate over the last seconds, bit/s. */
  readonly bitrate: number;
  /** Frames the transmuxer produced. */
  readonly framesMuxed: number;
  /** Frames received per second over the last seconds. */
  readonly receivedFps: number;
  /** Frames decoded per second by the browser over the last seconds. */
  readonly presentedFps: number;
  readonly reconnects: number;
  readonly reconnectAttempts: number;
  readonly firstSegmentKeyframe: boolean | undefined;
  readonly initSegments: number;
  /** Milestones in ms since navigation start (performance.now()): startup cost at a glance. */
  readonly timeline: Readonly<
    Record<
      | 'created'
      | 'sourceOpen'
      | 'workerReady'
      | 'connected'
      | 'firstBytes'
      | 'firstInit'
      | 'firstMedia',
      number | undefined
    >
  >;
  readonly player: PlayerStats | undefined;
}

interface Sample {
  readonly time: number;
  readonly bytes: number;
  readonly frames: number;
  readonly decoded: number;
}

const RATE_WINDOW_MS = 2000;

export class Session {
  state: SessionState = 'connecting';
  readonly errors: SessionError[] = [];
  readonly warnings: SessionWarning[] = [];
  info: StreamInfo | undefined;
  /** Called on every state change, error and warning. */
  onChange: (() => void) | undefined;

  private readonly worker = new TransmuxWorker();
  private readonly player: MsePlayer;
  private readonly opened: Promise<void>;
  private readonly openMediaSource: () => void;
  private chain: Promise<void>;
  private configured = false;
  private live = false;
  private accessUnitFraming = false;
  private stopped = false;
  private bytesReceived = 0;
  private framesMuxed = 0;
  private initSegments = 0;
  private reconnectAttempts = 0;
  private firstSegmentKeyframe: boolean | undefined;
  private samples: Sample[] = [];
  private readonly timeline: {
    created: number;
    sourceOpen?: number;
    workerReady?: number;
    connected?: number;
    firstBytes?: number;
    firstInit?: number;
    firstMedia?: number;
  } = { created: performance.now() };
  private readonly sampler: ReturnType<typeof setInterval>;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly source: ByteSource,
    private readonly options: SessionOptions,
  ) {
    this.player = new MsePlayer(video, { playbackRate: options.playbackRate });
    this.player.onError = (error) => this.fail(error);
    let open: () => void = () => undefined;
    this.opened = new Promise<void>((resolve) => (open = resolve)).then(() => this.player.open());
    this.openMediaSource = open;
    this.chain = this.opened
      .then(() => {
        this.timeline.sourceOpen = performance.now();
      })
      .catch((error: unknown) => this.fail(error));
    for (const type of ['playing', 'waiting', 'pause', 'ended'] as const) {
      video.addEventListener(type, this.onMediaEvent);
    }
    this.sampler = setInterval(() => this.sample(), 500);
  }

  start(): void {
    const sink: SourceSink = {
      connected: (info) => this.onConnected(info),
      data: (chunk, endOfAccessUnit) => this.onData(chunk, endOfAccessUnit),
      end: () => this.onEnd(),
      reconnecting: (attempt, delayMs, reason) => {
        this.reconnectAttempts++;
        this.setState('reconnecting');
        this.notice = `Connection lost (${reason}); reconnecting in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt}).`;
        this.onChange?.();
      },
      error: (error) => this.fail(error),
    };
    // The connection goes first: it is in flight while the media element sets up its pipeline.
    this.source.start(sink);
    this.openMediaSource();
  }

  /** A transient, non-error message (reconnecting, stream ended). */
  notice = '';

  stop(): void {
    this.stopped = true;
    clearInterval(this.sampler);
    this.source.stop();
    this.worker.terminate();
    this.player.destroy();
    for (const type of ['playing', 'waiting', 'pause', 'ended'] as const) {
      this.video.removeEventListener(type, this.onMediaEvent);
    }
  }

  get stats(): SessionStats {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const span = first && last ? (last.time - first.time) / 1000 : 0;
    const rate = (pick: (s: Sample) => number): number =>
      first && last && span > 0 ? (pick(last) - pick(first)) / span : 0;
    return {
      source: this.source.label,
      sourceKind: this.source.kind,
      live: this.live,
      accessUnitFraming: this.accessUnitFraming,
      state: this.state,
      info: this.info,
      bytesReceived: this.bytesReceived,
      bitrate: rate((s) => s.bytes) * 8,
      framesMuxed: this.framesMuxed,
      receivedFps: rate((s) => s.frames),
      presentedFps: rate((s) => s.decoded),
      reconnects: this.source.reconnects,
      reconnectAttempts: this.reconnectAttempts,
      firstSegmentKeyframe: this.firstSegmentKeyframe,
      initSegments: this.initSegments,
      timeline: {
        created: this.timeline.created,
        sourceOpen: this.timeline.sourceOpen,
        workerReady: this.timeline.workerReady,
        connected: this.timeline.connected,
        firstBytes: this.timeline.firstBytes,
        firstInit: this.timeline.firstInit,
        firstMedia: this.timeline.firstMedia,
      },
      player: this.stopped ? undefined : this.player.stats,
    };
  }

  private onConnected(info: ConnectionInfo): Promise<void> {
    this.timeline.connected ??= performance.now();
    this.live = info.live;
    this.accessUnitFraming = info.accessUnitFraming;
    if (!this.configured) {
      this.configured = true;
      this.player.configure(
        info.live
          ? { live: true, keepBehind: 4, maxAhead: Infinity }
          : { live: false, keepBehind: 30, maxAhead: 20 },
      );
      // Per-frame fragments for live (latency), one fragment per GOP for files (fewer boxes).
      void this.worker
        .configure({
          fragment: info.live ? 'frame' : 'gop',
          ...(this.options.fps !== undefined ? { fps: this.options.fps } : {}),
        })
        .then(() => (this.timeline.workerReady = performance.now()))
        .catch((error: unknown) => this.fail(error));
      this.player.configure({ targetLatency: this.options.targetLatency });
    } else if (info.reconnect) {
      // Partial input from the lost connection is dropped; output resumes at the next keyframe.
      void this.worker.reset().catch((error: unknown) => this.fail(error));
      this.notice = `Reconnected (${this.source.reconnects} reconnect${this.source.reconnects === 1 ? '' : 's'}); waiting for the next keyframe.`;
    }
    if (this.state === 'reconnecting') this.setState('buffering');
    this.onChange?.();
    return this.opened.catch(() => undefined);
  }

  private onData(chunk: Uint8Array, endOfAccessUnit: boolean): Promise<void> | undefined {
    if (this.stopped || this.state === 'error') return undefined;
    this.timeline.firstBytes ??= performance.now();
    this.bytesReceived += chunk.byteLength;
    const pushed = this.worker.push(chunk, endOfAccessUnit);
    // The push is posted now (the worker keeps order); outputs are handled in order on the chain.
    this.chain = this.chain
      .then(() => pushed)
      .then((outputs) => this.handle(outputs))
      .catch((error: unknown) => this.fail(error));
    if (this.live) return undefined;
    return this.chain.then(() => this.player.waitForRoom());
  }

  private onEnd(): void {
    if (this.stopped) return;
    const flushed = this.worker.flush();
    this.chain = this.chain
      .then(() => flushed)
      .then((outputs) => {
        this.handle(outputs);
        if (this.state === 'error') return;
        this.player.endOfStream();
        this.notice = 'Stream ended: everything received is buffered.';
        this.onChange?.();
      })
      .catch((error: unknown) => this.fail(error));
  }

  private handle(outputs: readonly TransmuxerOutput[]): void {
    if (this.stopped || this.state === 'error') return;
    let changed = false;
    for (const out of outputs) {
      switch (out.type) {
        case 'init':
          this.initSegments++;
          this.timeline.firstInit ??= performance.now();
          this.info = out.info;
          this.player.appendInit(out);
          changed = true;
          break;
        case 'media':
          this.firstSegmentKeyframe ??= out.keyframe;
          this.timeline.firstMedia ??= performance.now();
          this.framesMuxed += out.frames;
          this.player.appendMedia(out);
          break;
        case 'info':
          this.info = out.info;
          changed = true;
          break;
        case 'warning': {
          const known = this.warnings.find((w) => w.code === out.code);
          if (known) known.count++;
          else this.warnings.push({ code: out.code, message: out.message, count: 1 });
          changed = true;
          break;
        }
      }
    }
    if (changed) this.onChange?.();
  }

  private readonly onMediaEvent = (event: Event): void => {
    if (this.state === 'error' || this.stopped) return;
    switch (event.type) {
      case 'playing':
        this.setState('playing');
        if (!this.notice.startsWith('Stream ended')) this.notice = '';
        break;
      case 'waiting':
        if (this.state !== 'reconnecting') this.setState('buffering');
        break;
      case 'pause':
        if (!this.video.ended && this.state === 'playing') this.setState('paused');
        break;
      case 'ended':
        this.setState('ended');
        this.notice = 'Stream ended.';
        break;
    }
    this.onChange?.();
  };

  private sample(): void {
    const quality = this.video.getVideoPlaybackQuality?.();
    this.samples.push({
      time: performance.now(),
      bytes: this.bytesReceived,
      frames: this.framesMuxed,
      decoded: quality?.totalVideoFrames ?? 0,
    });
    const cutoff = performance.now() - RATE_WINDOW_MS;
    while (this.samples.length > 2 && (this.samples[0]?.time ?? 0) < cutoff) this.samples.shift();
  }

  private setState(state: SessionState): void {
    if (this.state === state) return;
    if (this.state === 'error') return;
    this.state = state;
  }

  private fail(error: unknown): void {
    if (this.stopped || this.state === 'error') return;
    this.errors.push(toSessionError(error));
    this.state = 'error';
    this.source.stop();
    this.onChange?.();
  }
}

export function toSessionError(error: unknown): SessionError {
  if (
    error instanceof TransmuxError ||
    error instanceof PlayerError ||
    error instanceof SourceError
  ) {
    return { code: error.code, message: error.message, detail: { ...error.detail } };
  }
  return {
    code: 'INTERNAL',
    message: error instanceof Error ? error.message : String(error),
    detail: {},
  };
}
