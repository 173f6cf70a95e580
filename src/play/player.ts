/**
 * One playback: a byte source feeding the transmuxer worker, whose segments feed the MSE player.
 * Outputs are handled strictly in stream order; a finite source is paced by the player (backpressure).
 * What `play()` (./index.ts) returns, and what the web app plays with.
 *
 * Events (an EventTarget): 'change' on every state change, error, warning and notice; 'statechange'
 * (detail: the state), 'error' (detail: the error as data), 'warning' (detail: the warning), 'stats'
 * (detail: a stats snapshot, twice a second) and 'outputs' (detail: each batch of transmuxer outputs,
 * for inspectors).
 */
// Core modules by path, not the barrel: the page's startup bundle must not pull in the transmuxer
// (it runs in the worker; a page-side fallback loads it on demand).
import { CodedError } from '../core/errors.js';
import { FRAME_END_PAUSE_MS } from '../core/frame-end-budget.js';
import type {
  InitSegment,
  MediaSegment,
  StreamInfo,
  TransmuxerOptions,
  TransmuxerOutput,
} from '../core/index.js';
import { MsePlayer } from '../player/mse-player.js';
import type {
  PlayerError,
  PlayerOptions as MseOptions,
  PlayerStats,
} from '../player/mse-player.js';
import { isDecodeError } from '../player/errors.js';
import { PaintOverload, type OverloadVerdict } from '../player/paint-overload.js';
import { startPictureSegment } from '../player/start-picture.js';
import { RecoveryBudget } from '../player/recovery-budget.js';
import { systemClock } from '../player/clock.js';
import { alwaysVisible, documentVisibility } from '../player/visibility.js';
import { fpsText, nominalFps } from '../player/source-pace.js';
import { RateHold } from '../player/rate-hold.js';
import { hasWebCodecs, WebCodecsRenderer } from '../player/webcodecs-renderer.js';
import type { RendererStats } from '../player/webcodecs-renderer.js';
import { CanvasSink, dispatchFrameEvent } from '../player/frame-sink.js';
import { isSeekable } from '../sources/source.js';
import type { ByteSource, ConnectionInfo, SourceSink } from '../sources/source.js';
import type { SkipNotice } from '../sources/relay-protocol.js';
import { TransmuxError, TransmuxWorker } from '../worker/client.js';
import type { TransmuxerHost } from '../worker/client.js';
import type { RecordOptions, Recording, WorkerErrorData } from '../worker/protocol.js';
import { playbackTransmuxerOptions, sameSpec, sameTransmuxerOptions } from '../worker/protocol.js';
import {
  canPaintInWorker,
  canRenderInWorker,
  releaseEarlyOutput,
  WorkerOutput,
} from './worker-output.js';
import type { WorkerOutputTarget } from './worker-output.js';
import { WorkerSource } from './worker-source.js';
import { framePng, videoSnapshot } from './snapshot.js';
import type { Snapshot } from './snapshot.js';
import { HttpSource } from '../sources/http-source.js';
import { WebSocketSource } from '../sources/websocket-source.js';

export type PlaybackState =
  'connecting' | 'buffering' | 'playing' | 'paused' | 'reconnecting' | 'ended' | 'error';

/** An error as data: a code to branch on, a message to show, plain detail. */
export interface PlaybackError {
  readonly code: string;
  readonly message: string;
  readonly detail: Readonly<Record<string, string | number | boolean>>;
}

export interface PlaybackWarning {
  readonly code: string;
  readonly message: string;
  count: number;
}

/**
 * Where a live stream is shown: 'mse' (the <video>, through Media Source Extensions); 'webcodecs'
 * (decoded by a WebCodecs VideoDecoder in the transmuxer worker and shown at each frame's due time:
 * written to a track the <video> plays where the page has MediaStreamTrackGenerator (Chromium), else
 * painted by the worker on a <canvas> whose control the page transferred (Firefox, Safari), else
 * painted into a <canvas> by the page); 'webcodecs-canvas' (always the page's canvas, for comparison);
 * 'auto' (WebCodecs from the worker wherever it can show it, else MSE: measured faster and smoother
 * in Chromium, Firefox and WebKitGTK, bench:latency). Files always play through MSE.
 */
export type RendererChoice = 'mse' | 'webcodecs' | 'webcodecs-canvas' | 'auto';

export interface PlayerOptions {
  /** Frame rate for a stream without timing (default: the stream's own, else 30). */
  readonly fps?: number | undefined;
  /**
   * Live: the playout delay in seconds, from a frame's best-case arrival to its display. 0 or 'auto'
   * (default): adaptive, just above the measured arrival jitter's p99 plus a decode margin; a number:
   * that fixed delay.
   */
  readonly latency?: number | 'auto' | undefined;
  /** Live: the renderer (default 'auto'; see RendererChoice). */
  readonly renderer?: RendererChoice | undefined;
  /** The WebCodecs renderer's canvas (default: one created next to the <video>, which is hidden). */
  readonly canvas?: HTMLCanvasElement | undefined;
  /** File: playback rate (default 1; lowered while the decoder cannot keep up). */
  readonly playbackRate?: number | undefined;
  /** Where the transmuxer runs (default 'module': a module worker; see src/worker/client.ts). */
  readonly transmuxer?: TransmuxerHost | undefined;
}

export interface PlaybackStats {
  readonly source: string;
  readonly sourceKind: string;
  readonly live: boolean;
  readonly accessUnitFraming: boolean;
  readonly state: PlaybackState;
  readonly info: StreamInfo | undefined;
  /** Bytes the source gave, re-reads of a file after a seek included. */
  readonly bytesReceived: number;
  /** A file read from disk: how far it has been read (bytes, each once); undefined otherwise. */
  readonly fileBytesRead: number | undefined;
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
  /**
   * What the built page's first script started (vite.config.ts) became: `renderer`, this player shows
   * the worker's early renderer (its track or canvas, fed since before the page's bundle ran);
   * `source`, it reads the early connection but renders otherwise; undefined, there was none, or it
   * was let go.
   */
  readonly early: 'renderer' | 'source' | undefined;
  /** The MSE player's figures (undefined when the WebCodecs renderer shows the stream). */
  readonly player: PlayerStats | undefined;
  /** The renderer in use and its playout figures (undefined before a live stream starts). */
  readonly renderer: RendererStats | undefined;
}

interface Sample {
  readonly time: number;
  readonly bytes: number;
  readonly frames: number;
  readonly decoded: number;
}

const RATE_WINDOW_MS = 2000;
/** A file's decode error this close (s) to the last one recovered from is the same frame failing. */
const SAME_ERROR_SECONDS = 1;

/** The events of a Player, for typed listeners. */
export interface PlayerEventMap {
  change: Event;
  statechange: CustomEvent<PlaybackState>;
  error: CustomEvent<PlaybackError>;
  warning: CustomEvent<PlaybackWarning>;
  stats: CustomEvent<PlaybackStats>;
  outputs: CustomEvent<readonly TransmuxerOutput[]>;
}

// Typed listeners on the class below (declaration merging: it adds overloads, no members).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Player {
  addEventListener<K extends keyof PlayerEventMap>(
    type: K,
    listener: (event: PlayerEventMap[K]) => void,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  removeEventListener<K extends keyof PlayerEventMap>(
    type: K,
    listener: (event: PlayerEventMap[K]) => void,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Player extends EventTarget {
  state: PlaybackState = 'connecting';
  readonly errors: PlaybackError[] = [];
  readonly warnings: PlaybackWarning[] = [];
  info: StreamInfo | undefined;

  private readonly worker: TransmuxWorker;
  /** Replaced by a new one when it recovers from a decode error (recoverMedia). */
  private player: MsePlayer;
  /** The latest init segment (a new MediaSource starts with it). */
  private lastInit: InitSegment | undefined;
  /**
   * After recoverMedia: segments wait for the new MediaSource to open, then (live) for a keyframe, or
   * (file) for the source's restart at the keyframe before the playhead.
   */
  private resync: { readonly kind: 'keyframe' | 'restart'; open: boolean } | undefined;
  private readonly mediaRecoveries = new RecoveryBudget();
  /** A file: the playhead (s) at the last decode error recovered from (see recoverMedia). */
  private fileRecoveredAt: number | undefined;
  /** What is read: the caller's source, or a live stream (WebSocket, HTTP) the worker reads itself. */
  private readonly source: ByteSource;
  /**
   * Where a live stream is shown by the WebCodecs renderer in the worker: a track in the <video>
   * (asked for or 'auto', where the page can make one: Chromium), or a canvas the worker paints (asked
   * for, where the page can transfer one: Firefox, Safari); undefined: not in the worker. Decided
   * once, for the source (./worker-source.ts) and the renderer alike.
   */
  private readonly rendersInWorker: 'track' | 'canvas' | undefined;
  /** Live with the WebCodecs renderer: segments go there instead of to the MSE player. */
  private webcodecs: WebCodecsRenderer | undefined;
  /** Live with the WebCodecs renderer in the worker: it shows the stream in the <video> or a canvas. */
  private workerOutput: WorkerOutput | undefined;
  /** The camera rate last told (SOURCE_PACE, frames a second). */
  private warnedPace: number | undefined;
  /** A camera rate read from the arrivals counts once it has held (see cameraFps). */
  private readonly paceHold = new RateHold(PACE_HOLD_MS, PACE_WARN_SHARE);
  /** When the relay last left frames out for this viewer's slow link (see onSkipped). */
  private linkSkippedAt: number | undefined;
  /** The relay's word on its source's rate (frames a second; see paceVerdict), undefined without one. */
  private relaySourceFps: number | undefined;
  /** The rate the server's operator times the stream by (ConnectionInfo.streamFps of the first connection). */
  private serverFps: number | undefined;
  /** Live, renderer 'auto': watches a canvas renderer's painting (see checkPaint); once. */
  private paintOverload: PaintOverload | undefined;
  /** The canvas this player created for the WebCodecs renderer (removed at stop). */
  private ownCanvas: HTMLCanvasElement | undefined;
  /** The page's WebCodecs renderer's canvas sink (for snapshots). */
  private canvasSink: CanvasSink | undefined;
  private readonly opened: Promise<void>;
  private readonly openMediaSource: () => void;
  /**
   * MSE waits for the renderer's choice: the <video> plays the early renderer's track, and a
   * MediaSource given to it (its `src`) would reset it (the media element load algorithm), freezing
   * the picture the page's first script started.
   */
  private mseDeferred = false;
  private chain: Promise<void>;
  private configured = false;
  /** The transmuxer options, for a fresh transmuxer after a file seek. */
  private transmuxerOptions: TransmuxerOptions = {};
  /** Bumped by a file seek: outputs of earlier pushes are dropped. */
  private generation = 0;
  /** Errors shown while a live source keeps trying to connect; gone once it does. */
  private transientErrors = new Set<PlaybackError>();
  private live = false;
  private accessUnitFraming = false;
  private stopped = false;
  private bytesReceived = 0;
  private framesMuxed = 0;
  private initSegments = 0;
  private reconnectAttempts = 0;
  private firstSegmentKeyframe: boolean | undefined;
  private early: PlaybackStats['early'];
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
  /** A live byte stream's pause (see onPause). */
  private pause: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly video: HTMLVideoElement,
    source: ByteSource,
    private readonly options: PlayerOptions = {},
  ) {
    super();
    this.worker = new TransmuxWorker(options.transmuxer);
    const choice = options.renderer ?? 'auto';
    const inWorker =
      (choice === 'auto' || choice === 'webcodecs') && !options.canvas && hasWebCodecs();
    this.rendersInWorker = !inWorker
      ? undefined
      : canRenderInWorker(this.worker)
        ? 'track'
        : canPaintInWorker(this.worker)
          ? 'canvas'
          : undefined;
    this.source = this.rendersInWorker ? this.readInWorker(source) : source;
    // The page's first script may have had the worker open the stream already (vite.config.ts): it is
    // taken over by the worker's source, or let go when the stream is read elsewhere.
    if (this.worker.earlySource && !(this.source instanceof WorkerSource)) {
      this.worker.closeSource().catch(() => undefined);
      this.releaseEarlyOutput();
    }
    this.player = this.createMsePlayer({ playbackRate: options.playbackRate ?? 1 });
    let open: () => void = () => undefined;
    // player.open() runs inside start(), not in a microtask: a microtask would wait for the rest of
    // the page's startup script, and the media element needs tens of ms to open the MediaSource.
    this.opened = new Promise<void>((resolve, reject) => {
      open = () => {
        this.player.open().then(resolve, reject);
      };
    });
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
        this.changed();
      },
      error: (error) => this.fail(error),
      unreachable: (error, attempt, delayMs) => {
        // Shown as an error, but the source keeps trying (a camera that is not up yet).
        this.reconnectAttempts++;
        if (this.transientErrors.size === 0) {
          const shown = toPlaybackError(error);
          this.transientErrors.add(shown);
          this.errors.push(shown);
          this.emit('error', shown);
        }
        this.setState('reconnecting');
        this.notice = `Trying again in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt}); playback starts when the stream is up.`;
        this.changed();
      },
      restarted: (frame) => this.onRestarted(frame),
      skipped: (notice) => this.onSkipped(notice),
      sourceFps: (fps) => {
        this.relaySourceFps = fps;
      },
      upstream: (notice) => {
        // A relay whose camera is down: the connection stays; say what is going on.
        if (notice.upstream === 'down') {
          this.setState('reconnecting');
          this.notice = `The relay is up, the camera is not: retrying (${notice.reason}).`;
        } else if (this.state === 'reconnecting') {
          this.setState('buffering');
          this.notice = 'The camera is back: waiting for the next keyframe.';
        }
        this.changed();
      },
    };
    // The connection goes first: it is in flight while the media element sets up its pipeline.
    this.source.start(sink);
    if (this.rendersInWorker === 'track' && this.worker.earlyRenderer?.kind === 'track') {
      this.mseDeferred = true;
    } else this.openMediaSource();
  }

  /** The canvas the WebCodecs renderer paints (undefined while the <video> shows the stream). */
  get canvas(): HTMLCanvasElement | undefined {
    if (this.webcodecs) return this.options.canvas ?? this.ownCanvas;
    return this.workerOutput?.canvas;
  }

  /**
   * A PNG of the frame on screen and its stream time (seconds): from the <video>, or from the canvas
   * of the WebCodecs renderer (the worker's is read in the worker). Rejects before the first frame.
   */
  async snapshot(): Promise<Snapshot> {
    if (this.workerOutput?.canvas) {
      const shot = await this.workerOutput.snapshot();
      if (!shot) throw new Error('no picture yet');
      return shot;
    }
    const canvas = this.canvas;
    if (!canvas) return videoSnapshot(this.video);
    const mediaTime = this.canvasSink?.lastPainted ?? NaN;
    if (!Number.isFinite(mediaTime)) throw new Error('no picture yet');
    const png = await framePng(canvas);
    return { png, mediaTime, width: canvas.width, height: canvas.height };
  }

  /** A transient, non-error message (reconnecting, read complete, stream ended). */
  notice = '';
  /** A finite source has been read to its end (until a seek restarts reading). */
  readComplete = false;

  /** Stops playback and releases the worker, the MediaSource and the connection. */
  close(): void {
    this.stop();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.sampler);
    clearTimeout(this.pause);
    this.source.stop();
    this.releaseEarlyOutput();
    this.worker.terminate();
    this.player.destroy();
    this.webcodecs?.destroy();
    this.workerOutput?.close();
    if (this.ownCanvas) {
      this.ownCanvas.remove();
      this.video.hidden = false;
    }
    for (const type of ['playing', 'waiting', 'pause', 'ended'] as const) {
      this.video.removeEventListener(type, this.onMediaEvent);
    }
  }

  /**
   * Records the bytes received from now on into an MP4 that starts at the next keyframe (a second
   * transmuxer in the same worker, fed in order with the playback's pushes).
   */
  recordStart(options: RecordOptions): Promise<void> {
    return this.worker.recordStart(options);
  }

  /** Ends the recording started by `recordStart`. */
  recordStop(): Promise<Recording> {
    return this.worker.recordStop();
  }

  get stats(): PlaybackStats {
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
      fileBytesRead: isSeekable(this.source) ? this.source.bytesRead : undefined,
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
      early: this.early,
      player: this.stopped || this.webcodecs || this.workerOutput ? undefined : this.player.stats,
      renderer: this.rendererStats(),
    };
  }

  /** The WebCodecs renderer's figures, in the page or the worker; undefined while MSE shows the stream. */
  private get webcodecsStats(): RendererStats | undefined {
    if (this.webcodecs) return this.webcodecs.stats;
    if (this.workerOutput) return this.workerOutput.stats ?? NO_FRAMES_YET;
    return undefined;
  }

  private rendererStats(): RendererStats | undefined {
    const webcodecs = this.webcodecsStats;
    if (webcodecs) return webcodecs;
    if (this.stopped || !this.live) return undefined;
    const p = this.player.stats;
    return {
      kind: 'mse',
      output: 'video',
      late: p.underflows,
      stalls: p.underflows,
      skipped: p.skippedFrames + p.unpresentedFrames,
      painted: p.shownFrames,
      paintMs: 0,
      prerolled: 0,
      stallsPerMinute: p.stallsPerMinute,
      targetDelayMs: p.targetDelayMs,
      jitterMs: p.jitterMs,
      sourcePace: p.sourcePace,
      recovered: this.mediaRecoveries.granted,
    };
  }

  /**
   * Live: the WebCodecs renderer when asked for (and available): in the worker, writing to a track the
   * <video> plays, where the page can make one (Chromium); else in the page, its canvas in place of
   * the video.
   */
  private chooseRenderer(live: boolean): void {
    const choice = this.options.renderer ?? 'auto';
    if (live && choice !== 'mse' && this.rendersInWorker) {
      this.renderInWorker();
      // Chosen for the engine, not asked for: MSE takes over should the canvas not keep up.
      if (choice === 'auto') this.paintOverload = new PaintOverload();
      return;
    }
    // The <video> plays through MSE, or is replaced by a canvas.
    this.releaseEarlyOutput();
    if (this.mseDeferred) {
      this.mseDeferred = false;
      this.openMediaSource();
    }
    if (!live || choice === 'mse') return;
    if (!hasWebCodecs()) {
      if (globalThis.isSecureContext === false) {
        // WebCodecs is for secure contexts (WebCodecs §"VideoDecoder", [SecureContext]): a page
        // opened over http:// from a LAN address (the relay's) has none in Chromium and Firefox
        // (WebKitGTK exposes it all the same: no warning there).
        this.warn(
          'WEBCODECS_NEEDS_HTTPS',
          `This page was opened over http:// from another machine (${this.video.ownerDocument.location.host}), and this browser gives such pages no WebCodecs: the stream plays through MSE, later (about 60 ms behind the camera, against 15). For the lowest latency open it over https:// (h264mux serve --tls, or a proxy with a certificate) or at localhost.`,
        );
      } else if (choice !== 'auto') {
        this.warn(
          'RENDERER_UNAVAILABLE',
          'This browser has no WebCodecs VideoDecoder: the stream plays through MSE instead.',
        );
      }
      return;
    }
    if (choice === 'auto') return;
    const painted = this.options.canvas ?? this.createCanvas();
    this.canvasSink = new CanvasSink(painted, systemClock, (paint) =>
      dispatchFrameEvent(painted, { ...paint, painter: 'page' }),
    );
    const renderer = new WebCodecsRenderer(
      this.canvasSink,
      { targetLatency: this.latencySeconds },
      systemClock,
      documentVisibility(this.video.ownerDocument),
    );
    renderer.onError = (error) => this.fail(error);
    renderer.onRecovered = (message) => this.warn('DECODER_RECOVERED', message);
    renderer.onStarted = () => this.rendererStarted();
    this.webcodecs = renderer;
  }

  /** A canvas in place of the <video> (hidden meanwhile), removed at stop. */
  private createCanvas(): HTMLCanvasElement {
    return this.adoptCanvas(this.video.ownerDocument.createElement('canvas'));
  }

  /** `canvas` in place of the <video> (hidden meanwhile; where the early script put it), removed at stop. */
  private adoptCanvas(canvas: HTMLCanvasElement): HTMLCanvasElement {
    canvas.className = this.video.className;
    canvas.setAttribute('aria-label', 'Live video');
    if (canvas.previousElementSibling !== this.video) this.video.after(canvas);
    this.video.hidden = true;
    this.ownCanvas = canvas;
    return canvas;
  }

  /**
   * A live stream shown by the WebCodecs renderer from the worker is read there too (a WebSocket; an
   * HTTP URL unless it is forced to file handling): then nothing between the network and the screen
   * waits for this page's main thread. Other sources are read by the page.
   */
  private readInWorker(source: ByteSource): ByteSource {
    const live = source instanceof HttpSource ? source.options.live : true;
    // Absolute: the worker would resolve a relative URL against its script's.
    const url = absoluteUrl(source.label);
    if (url === undefined || live === false) return source;
    let reader: WorkerSource;
    if (source instanceof WebSocketSource) {
      const { framing, stallTimeoutMs } = source.options;
      reader = new WorkerSource(source.label, this.worker, {
        kind: 'websocket',
        url,
        framing,
        stallTimeoutMs,
      });
    } else if (source instanceof HttpSource) {
      // A file after all (Content-Length): the page's own source reads it.
      reader = new WorkerSource(
        source.label,
        this.worker,
        { kind: 'http', url, live, stallTimeoutMs: source.options.stallTimeoutMs },
        () => source,
      );
    } else {
      return source;
    }
    this.worker.onSourceOutputs = (outputs, bytes, error) =>
      this.onWorkerOutputs(outputs, bytes, error);
    return reader;
  }

  /** Outputs of the bytes the worker read itself (in order). */
  private onWorkerOutputs(
    outputs: readonly TransmuxerOutput[],
    bytes: number,
    error: WorkerErrorData | undefined,
  ): void {
    if (this.stopped || this.state === 'error') return;
    if (error) {
      this.fail(new TransmuxError(error));
      return;
    }
    this.timeline.firstBytes ??= performance.now();
    this.bytesReceived += bytes;
    this.chain = this.chain.then(() => this.handle(outputs)).catch((e: unknown) => this.fail(e));
  }

  /** The worker decodes and shows the stream; MSE is let go (its appends would go nowhere). */
  private renderInWorker(): void {
    this.player.destroy();
    // Outputs no longer wait for the MediaSource (detached, it never opens).
    this.chain = Promise.resolve();
    // What the page's first script had the worker show (a track, or a canvas), when the worker shows
    // what it would show for this player: the same source, transmuxer options, output and latency.
    const earlySource = this.worker.earlySource;
    const earlyRenderer = this.worker.earlyRenderer;
    const sameSource =
      earlySource !== undefined &&
      this.source instanceof WorkerSource &&
      sameSpec(this.source.spec, earlySource);
    const same =
      sameSource &&
      // The worker's early session times the stream as the server says (its streamFps), as we do.
      sameTransmuxerOptions(
        this.transmuxerOptions,
        playbackTransmuxerOptions(true, this.serverFps),
      ) &&
      earlyRenderer?.kind === this.rendersInWorker &&
      earlyRenderer?.targetLatency === this.latencySeconds;
    if (!same) this.releaseEarlyOutput();
    const early = this.worker.takeEarlyOutput();
    this.early = early ? 'renderer' : sameSource ? 'source' : undefined;
    let target: WorkerOutputTarget;
    if (early?.kind === 'canvas') {
      target = { kind: 'canvas', canvas: this.adoptCanvas(early.canvas), early: early.events };
    } else if (this.rendersInWorker === 'canvas') {
      target = { kind: 'canvas', canvas: this.createCanvas() };
    } else {
      target = { kind: 'track', early };
    }
    this.workerOutput = new WorkerOutput(
      this.video,
      this.worker,
      { targetLatency: this.latencySeconds },
      documentVisibility(this.video.ownerDocument),
      {
        started: () => this.rendererStarted(),
        recovered: (message) => this.warn('DECODER_RECOVERED', message),
        error: (error) => this.fail(new TransmuxError(error)),
      },
      target,
    );
  }

  /**
   * The WebCodecs renderer shows frames: after a reconnection the session is playing again (its
   * <video> or canvas never stopped, so no media event says so).
   */
  private rendererPainting(): void {
    if (this.state === 'buffering') this.rendererStarted();
  }

  private rendererStarted(): void {
    if (this.state !== 'error' && !this.stopped) this.setState('playing');
    this.notice = '';
    this.changed();
  }

  /**
   * What the page's first script had the worker show (vite.config.ts), when this player does not show
   * it: its track stopped and out of the <video>, or its canvas removed.
   */
  private releaseEarlyOutput(): void {
    const early = this.worker.takeEarlyOutput();
    if (early) releaseEarlyOutput(early, this.video);
  }

  /** The latency option in seconds (0: adaptive). */
  private get latencySeconds(): number {
    const latency = this.options.latency;
    return typeof latency === 'number' && Number.isFinite(latency) && latency > 0 ? latency : 0;
  }

  /**
   * Says `message` under `code` the first time; again, it is counted, and with `latest` its text
   * becomes this one (figures that change: SLOW_LINK's, SOURCE_PACE's).
   */
  private warn(code: string, message: string, latest = false): void {
    const at = this.warnings.findIndex((w) => w.code === code);
    let known = this.warnings[at];
    if (known && latest) {
      known = { code, message, count: known.count + 1 };
      this.warnings[at] = known;
    } else if (known) known.count++;
    else {
      known = { code, message, count: 1 };
      this.warnings.push(known);
    }
    this.emit('warning', { ...known });
  }

  private onConnected(info: ConnectionInfo): void {
    this.timeline.connected ??= performance.now();
    if (this.transientErrors.size > 0) {
      const kept = this.errors.filter((e) => !this.transientErrors.has(e));
      this.errors.length = 0;
      this.errors.push(...kept);
      this.transientErrors.clear();
      this.notice = '';
    }
    this.live = info.live;
    this.accessUnitFraming = info.accessUnitFraming;
    if (!this.configured) {
      this.configured = true;
      this.player.configure(
        info.live
          ? { live: true, keepBehind: 4, maxAhead: Infinity }
          : { live: false, keepBehind: 30, maxAhead: 20 },
      );
      // The relay's --fps (ConnectionInfo.streamFps) is the operator's word; this page's fps comes first.
      this.serverFps = info.streamFps;
      this.transmuxerOptions = playbackTransmuxerOptions(
        info.live,
        this.options.fps ?? this.serverFps,
      );
      void this.worker
        .configure(this.transmuxerOptions)
        .then(() => (this.timeline.workerReady = performance.now()))
        .catch((error: unknown) => this.fail(error));
      this.player.configure({ targetLatency: this.latencySeconds });
      // After the transmuxer's configure: the worker keeps its early renderer only with its transmuxer.
      this.chooseRenderer(info.live);
    } else if (info.reconnect) {
      // The lost connection's complete frames are shown, its partial input dropped; output resumes at the
      // next keyframe.
      this.handleInOrder(this.worker.reset());
      this.notice = `Reconnected (${this.source.reconnects} reconnect${this.source.reconnects === 1 ? '' : 's'}); waiting for the next keyframe.`;
    }
    if (this.state === 'reconnecting') this.setState('buffering');
    this.changed();
    // Bytes flow to the worker at once; appends wait for the MediaSource on the chain.
  }

  /**
   * The file source restarts at a keyframe presented as the file's frame `frame` (a seek): a fresh
   * transmuxer, whose first presented frame (that keyframe) is placed there.
   */
  private onRestarted(frame: number): void {
    if (this.stopped || this.state === 'error') return;
    this.generation++;
    const info = this.info;
    const frameSeconds = info ? info.frameDuration / info.timescale : 0;
    // Worker commands run in order: pushes after this one go to the fresh transmuxer.
    void this.worker.configure(this.transmuxerOptions).catch((error: unknown) => this.fail(error));
    this.player.restart(frame * frameSeconds);
    if (this.resync?.kind === 'restart') this.resync = undefined;
    this.readComplete = false;
    this.notice = '';
    if (this.state === 'ended') this.setState('buffering');
    this.changed();
  }

  /**
   * A seek outside the buffer: the file source restarts at the keyframe before `time` if useful, or
   * in any case with `reread` (a new MediaSource holds nothing).
   */
  private seekSource(time: number, reread = false, past = false): void {
    const info = this.info;
    if (!isSeekable(this.source) || !info || this.stopped || this.state === 'error') return;
    const frameSeconds = info.frameDuration / info.timescale;
    // Media time = the stream's PTS (its timeline starts at 0): the frame presented at `time`. The
    // keyframe at or before it in decode order is presented at or before it too (an IDR flushes every
    // earlier frame; a recovery point presents after its leading pictures).
    const frame = Math.max(0, Math.floor(time / frameSeconds + 1e-6));
    // Before the buffer's end but not buffered: it was evicted (or never read): read it again.
    const rewind = reread || time < (this.player.stats.bufferedEnd || 0);
    this.source.seek(frame, rewind, past);
  }

  private onData(chunk: Uint8Array, endOfAccessUnit: boolean): Promise<void> | undefined {
    if (this.stopped || this.state === 'error') return undefined;
    this.timeline.firstBytes ??= performance.now();
    this.bytesReceived += chunk.byteLength;
    // The push is posted now (the worker keeps order); outputs are handled in order on the chain.
    this.handleInOrder(this.worker.push(chunk, endOfAccessUnit));
    clearTimeout(this.pause);
    if (this.live && !endOfAccessUnit) {
      this.pause = setTimeout(() => this.onPause(), FRAME_END_PAUSE_MS);
    }
    if (this.live) return undefined;
    return this.chain.then(() => this.player.waitForRoom());
  }

  /**
   * A live byte stream paused: the frame in progress goes out now if it is whole, not when the next
   * frame's start code comes (`TransmuxWorker.frameEnd`).
   */
  private onPause(): void {
    if (this.stopped || this.state === 'error') return;
    this.handleInOrder(this.worker.frameEnd());
  }

  /**
   * The outputs of a worker command already posted, handled on the chain after those before it;
   * dropped when a file seek came in between.
   */
  private handleInOrder(answer: Promise<readonly TransmuxerOutput[]>): void {
    const generation = this.generation;
    this.chain = this.chain
      .then(() => answer)
      .then((outputs) => {
        if (generation === this.generation) this.handle(outputs);
      })
      .catch((error: unknown) => this.fail(error));
  }

  private onEnd(): void {
    if (this.stopped) return;
    const flushed = this.worker.flush();
    const generation = this.generation;
    this.chain = this.chain
      .then(() => flushed)
      .then((outputs) => {
        if (generation !== this.generation) return;
        this.handle(outputs);
        if (this.state === 'error') return;
        this.player.endOfStream();
        this.readComplete = true;
        this.notice = 'Read complete: the rest of the file is buffered.';
        this.changed();
      })
      .catch((error: unknown) => this.fail(error));
  }

  private createMsePlayer(options: Partial<MseOptions>): MsePlayer {
    const player = new MsePlayer(this.video, options, {
      visibility: typeof document === 'undefined' ? alwaysVisible : documentVisibility(document),
    });
    player.onError = (error) => this.mseFailed(player, error);
    player.onSeekOutsideBuffer = (time) => this.seekSource(time);
    return player;
  }

  /**
   * The <video> failed to decode (MEDIA_ERR_DECODE): a damaged frame, or a decoder upset by a loaded
   * machine (Chromium once, on a file that plays in every other run). As hls.js recovers a media error,
   * a new MediaSource takes over, within a budget (../player/recovery-budget.ts); other errors, and
   * one more within the budget's window, end the session.
   */
  private mseFailed(player: MsePlayer, error: PlayerError): void {
    if (player !== this.player || this.stopped || this.state === 'error') return;
    const recoverable = this.live ? this.lastInit !== undefined : isSeekable(this.source);
    if (!isDecodeError(error) || !recoverable || !this.mediaRecoveries.take(performance.now())) {
      this.fail(error);
      return;
    }
    this.recoverMedia(error.message);
  }

  private recoverMedia(message: string): void {
    const time = this.video.currentTime;
    // Outputs of pushes before now belong to the old MediaSource's timeline.
    this.generation++;
    // A file: from the keyframe before the error (a decoder upset once decodes it the second time);
    // failing again there, the frame itself is damaged (the browser fails on it each time): from the
    // keyframe after it. Before, the picture went back to the same error until the budget ran out.
    const again =
      !this.live &&
      this.fileRecoveredAt !== undefined &&
      Math.abs(time - this.fileRecoveredAt) < SAME_ERROR_SECONDS;
    if (this.live) this.newMediaSource('keyframe');
    else {
      this.fileRecoveredAt = time;
      this.newMediaSource('restart', (player) => {
        // The SourceBuffer first: the restart sets its timestampOffset (FileTimeline.restart).
        if (this.lastInit) player.appendInit(this.lastInit);
        this.seekSource(time, true, again);
      });
    }
    const resumes = this.live
      ? 'the next keyframe'
      : again
        ? 'the next keyframe (it failed at the same frame again: the frames up to that keyframe are skipped)'
        : 'the keyframe before the error';
    this.warn(
      'MEDIA_RECOVERED',
      `${message} A new MediaSource took over; playback resumes at ${resumes}.`,
      true,
    );
  }

  /**
   * A new MediaSource on the <video> in place of the player's, configured as the one it replaces. Until
   * it is open and resynced, appends wait (see appendMedia): live, for the next keyframe, which comes
   * with the last init segment; a file, for `opened` to restart its source.
   */
  private newMediaSource(kind: 'keyframe' | 'restart', opened?: (player: MsePlayer) => void): void {
    this.player.destroy();
    const player = (this.player = this.createMsePlayer(this.player.configuration));
    const resync = { kind, open: false };
    this.resync = resync;
    this.chain = this.chain
      .then(() => player.open())
      .then(() => {
        if (player !== this.player || this.resync !== resync) return;
        resync.open = true;
        opened?.(player);
      })
      .catch((e: unknown) => this.fail(e));
  }

  /** MSE: an init segment (kept for a new MediaSource; held back while one resyncs). */
  private appendInit(init: InitSegment): void {
    this.lastInit = init;
    if (!this.resync) this.player.appendInit(init);
  }

  /** MSE: a media segment, or none while a new MediaSource resyncs (see recoverMedia). */
  private appendMedia(segment: MediaSegment): void {
    const resync = this.resync;
    if (resync) {
      if (resync.kind !== 'keyframe' || !resync.open || !segment.keyframe || !this.lastInit) return;
      this.resync = undefined;
      this.player.appendInit(this.lastInit);
      // A recovery point that is not an IDR picture (periodic intra refresh): a start picture first.
      const start = startPictureSegment(this.lastInit.description, segment);
      if (start) this.player.appendMedia(start);
    }
    this.player.appendMedia(segment);
  }

  private handle(outputs: readonly TransmuxerOutput[]): void {
    if (this.stopped || this.state === 'error') return;
    this.emit('outputs', outputs);
    let changed = false;
    for (const out of outputs) {
      switch (out.type) {
        case 'init':
          this.initSegments++;
          this.timeline.firstInit ??= performance.now();
          this.info = out.info;
          // The worker's renderer had it already; kept for MSE should the stream move there.
          if (this.webcodecs) {
            this.lastInit = out;
            this.webcodecs.appendInit(out);
          } else if (this.workerOutput) this.lastInit = out;
          else this.appendInit(out);
          changed = true;
          break;
        case 'media':
          this.firstSegmentKeyframe ??= out.keyframe;
          this.timeline.firstMedia ??= performance.now();
          this.framesMuxed += out.frames;
          if (this.webcodecs) this.webcodecs.appendMedia(out);
          else if (!this.workerOutput) this.appendMedia(out);
          if (isSeekable(this.source)) {
            // A file is seekable to its (estimated) end before it has all been read.
            const seconds = (this.source.estimateFrames() * out.duration) / out.frames;
            this.player.setDurationEstimate(seconds / out.timescale);
          }
          break;
        case 'info':
          this.info = out.info;
          changed = true;
          break;
        case 'warning':
          this.warn(out.code, out.message);
          changed = true;
          break;
      }
    }
    if (changed) this.changed();
  }

  private readonly onMediaEvent = (event: Event): void => {
    if (this.state === 'error' || this.stopped) return;
    switch (event.type) {
      case 'playing':
        this.setState('playing');
        if (!this.readComplete) this.notice = '';
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
    this.changed();
  };

  private sample(): void {
    const webcodecs = this.webcodecsStats;
    // The WebCodecs renderer painted since the last sample (see rendererPainting).
    const previous = this.samples[this.samples.length - 1];
    if (webcodecs && previous && webcodecs.painted > previous.decoded) this.rendererPainting();
    this.samples.push({
      time: performance.now(),
      bytes: this.bytesReceived,
      frames: this.framesMuxed,
      // Summed across engine counter resets (WebKit resets at each playbackRate change).
      decoded: webcodecs ? webcodecs.painted : this.player.stats.decodedFrames,
    });
    this.checkPaint(webcodecs);
    this.checkPace();
    const cutoff = performance.now() - RATE_WINDOW_MS;
    while (this.samples.length > 2 && (this.samples[0]?.time ?? 0) < cutoff) this.samples.shift();
    this.emit('stats', this.stats);
  }

  /**
   * The rate the server's operator times the stream by (an h264mux relay's --fps), when this page set
   * none: the stream plays at it, and recordings are timed by it.
   */
  get serverTimedFps(): number | undefined {
    return this.options.fps === undefined ? this.serverFps : undefined;
  }

  /**
   * Live: the camera's frame rate (a nominal rate: 25, 30000/1001...), when it is off the rate the
   * stream is timed by by more than PACE_WARN_SHARE and no fps was set (this page's or the relay's:
   * the stream is then timed by it, fpsSource 'option'); undefined otherwise. Recordings are timed by
   * it, so that they keep time.
   */
  get arrivalFps(): number | undefined {
    const verdict = this.paceVerdict();
    const camera = verdict && this.cameraFps(verdict, false);
    return camera !== undefined ? nominalFps(camera, verdict?.info.fps) : undefined;
  }

  /**
   * The verdict's camera rate, as it counts: the relay's word at once; one read from the arrivals once
   * it has held PACE_HOLD_MS (`read`: this is a reading, as checkPace's twice a second are).
   */
  private cameraFps(verdict: { cameraFps: number | undefined }, read: boolean): number | undefined {
    if (this.relaySourceFps !== undefined) return verdict.cameraFps;
    const now = performance.now();
    return read
      ? this.paceHold.read(now, verdict.cameraFps)
      : this.paceHold.held(now, verdict.cameraFps);
  }

  /**
   * What the arrivals say, live: the rate frames arrive at; the camera's rate where it is off the
   * stream's timeline (`cameraFps`); whether the link is slower than the camera (`linkSlow`). A relay
   * says what its camera sends (relaySourceFps): the arrivals are then the link's. Without its word the
   * arrivals are taken for the camera's, except for a while after the relay skipped this viewer for a
   * slow link (onSkipped).
   */
  private paceVerdict():
    | { info: StreamInfo; arriving: number; cameraFps: number | undefined; linkSlow: boolean }
    | undefined {
    const info = this.info;
    const stats = this.live && !this.stopped ? this.rendererStats() : undefined;
    if (!info || !stats || info.fpsSource === 'option') return undefined;
    const arriving = info.fps * stats.sourcePace;
    const offTimeline = (fps: number): number | undefined =>
      Math.abs(fps / info.fps - 1) > PACE_WARN_SHARE ? fps : undefined;
    const camera = this.relaySourceFps;
    if (camera !== undefined) {
      const linkSlow = arriving < camera * (1 - PACE_WARN_SHARE);
      return { info, arriving, cameraFps: offTimeline(camera), linkSlow };
    }
    const skippedAt = this.linkSkippedAt;
    if (skippedAt !== undefined && performance.now() - skippedAt < SLOW_LINK_MS) return undefined;
    return { info, arriving, cameraFps: offTimeline(arriving), linkSlow: false };
  }

  /**
   * A camera off its stream's timeline (arrivalFps: a 25 fps camera on an assumed 30 fps timeline) is
   * played, and recorded, at its pace; the viewer is told, once per rate, with the fps that would make
   * saved files keep time too. A link slower than the relay's camera is told too (SLOW_LINK; the relay
   * skips such a viewer when it falls behind, and then says how much: onSkipped).
   */
  private checkPace(): void {
    const verdict = this.paceVerdict();
    if (!verdict) this.paceHold.read(performance.now(), undefined);
    if (!verdict || this.state === 'error') return;
    const { info, arriving } = verdict;
    const cameraFps = this.cameraFps(verdict, true);
    const relayCamera = this.relaySourceFps;
    // linkSlow comes only with the relay's word on its camera.
    if (
      verdict.linkSlow &&
      relayCamera !== undefined &&
      !this.warnings.some((w) => w.code === 'SLOW_LINK')
    ) {
      this.warn(
        'SLOW_LINK',
        `The connection is slower than the stream: frames arrive at ${arriving.toFixed(1)} a second, and the relay's camera sends ${fpsText(nominalFps(relayCamera, info.fps))}. The relay keeps the picture live by leaving frames out when it falls behind. A lower bitrate at the camera, or a faster link, would show every frame.`,
      );
    }
    if (cameraFps === undefined) {
      // A SOURCE_PACE said before the relay's word that its camera keeps the timeline goes.
      if (relayCamera !== undefined) this.dropPaceWarning();
      return;
    }
    const warned = this.warnedPace;
    if (warned !== undefined && Math.abs(cameraFps - warned) <= PACE_WARN_SHARE * warned) return;
    this.warnedPace = cameraFps;
    // Never with --fps / ?fps set (arrivalFps is undefined then): the stream's VUI or the default.
    const timeline =
      info.fpsSource === 'vui'
        ? `the ${fpsText(info.fps)} fps its timing info states`
        : `the ${fpsText(info.fps)} fps assumed (it has no timing info)`;
    const rate =
      relayCamera !== undefined
        ? `The relay's camera sends ${cameraFps.toFixed(1)} frames a second`
        : `The stream arrives at ${cameraFps.toFixed(1)} frames a second`;
    // A rate told before is replaced by this one (the count goes on).
    this.warn(
      'SOURCE_PACE',
      `${rate}, not ${timeline}: it plays at the pace it arrives, and recordings are timed so. Set the frame rate (?fps=${fpsText(nominalFps(cameraFps, info.fps))}) if that is the camera's, so that saved files keep time too.`,
      true,
    );
  }

  /** A SOURCE_PACE that turned out to be the link's goes (the link is said instead: SLOW_LINK). */
  private dropPaceWarning(): void {
    const pace = this.warnings.findIndex((w) => w.code === 'SOURCE_PACE');
    if (pace >= 0) this.warnings.splice(pace, 1);
    this.warnedPace = undefined;
  }

  /**
   * The relay left frames out for this viewer: its link carries less than the stream, so frames came
   * slower than the camera sends them. Said with the latest skip's figures (the count grows with each),
   * and for SLOW_LINK_MS no pace taken from the arrivals is told or used for recordings: a SOURCE_PACE
   * said so before the first skip goes (the relay bounds the lag, ../cli/serve/relay.ts, so a skip comes
   * a few seconds in). The relay's word on its camera's rate is not the link's (paceVerdict).
   */
  private onSkipped(notice: SkipNotice): void {
    this.linkSkippedAt = performance.now();
    // A pace taken from the arrivals was the link's. One from the relay's word is its camera's, and
    // stays (dropped here, it was said again at the next check: gone for up to half a second).
    if (this.relaySourceFps === undefined) this.dropPaceWarning();
    const figures =
      notice.linkKbps > 0 && notice.streamKbps > 0
        ? ` (about ${Math.round(notice.linkKbps)} of its ${Math.round(notice.streamKbps)} kbit/s get through)`
        : '';
    // Each skip's figures replace what was said before (as a SLOW_LINK told from the camera's rate).
    this.warn(
      'SLOW_LINK',
      `The connection is slower than the stream${figures}: the relay left out ${(notice.ms / 1000).toFixed(1)} s to keep the picture live, and does so again while this lasts. A lower bitrate at the camera, or a faster link, would show every frame.`,
      true,
    );
    this.changed();
  }

  /**
   * A canvas renderer whose painting cannot keep up (../player/paint-overload.ts) hands the stream to
   * MSE, once, unless the renderer was asked for by name.
   */
  private checkPaint(stats: RendererStats | undefined): void {
    const overload = this.paintOverload;
    const info = this.info;
    if (!overload || !stats || !info || stats.output !== 'canvas') return;
    if (this.stopped || this.state === 'error') return;
    if (this.video.ownerDocument.visibilityState !== 'visible') {
      // A hidden page's renderer skips for the throttling's sake: no verdict on what it saw.
      overload.reset();
      return;
    }
    const frameMs = (1000 * info.frameDuration) / info.timescale;
    const verdict = overload.sample(performance.now(), stats, frameMs);
    if (verdict) this.moveToMse(verdict, info);
  }

  /**
   * The <video> shows the stream through MSE from the next keyframe, in place of the canvas: the
   * renderer stops (in the worker, or the page's), the canvas goes, a MediaSource opens.
   */
  private moveToMse(verdict: OverloadVerdict, info: StreamInfo): void {
    this.paintOverload = undefined;
    if (this.workerOutput) {
      this.workerOutput.close();
      this.workerOutput = undefined;
      void this.worker.renderStop().catch(() => undefined);
    }
    this.webcodecs?.destroy();
    this.webcodecs = undefined;
    this.canvasSink = undefined;
    if (this.ownCanvas) {
      this.ownCanvas.remove();
      this.ownCanvas = undefined;
    }
    this.video.hidden = false;
    this.newMediaSource('keyframe');
    this.warn(
      'RENDERER_SWITCHED',
      `Painting a ${info.width}x${info.height} frame on the canvas took ${verdict.paintMs.toFixed(0)} ms, and ${Math.round(verdict.missedShare * 100)} % of the frames were shown late or skipped: the stream plays in the video element (MSE) from the next keyframe.`,
    );
    this.changed();
  }

  private setState(state: PlaybackState): void {
    if (this.state === state) return;
    if (this.state === 'error') return;
    this.state = state;
    this.emit('statechange', state);
  }

  private fail(error: unknown): void {
    if (this.stopped || this.state === 'error') return;
    const data = toPlaybackError(error);
    this.errors.push(data);
    this.setState('error');
    this.source.stop();
    // A <video> on a track that never got a frame delays the page's load event (HTML "delaying the
    // load event" until the first frame): let it go. With frames shown, it keeps the last one.
    if (this.workerOutput && !this.workerOutput.stats?.painted) this.workerOutput.close();
    this.emit('error', data);
    this.changed();
  }

  private changed(): void {
    this.dispatchEvent(new Event('change'));
  }

  private emit<K extends Exclude<keyof PlayerEventMap, 'change'>>(
    type: K,
    detail: PlayerEventMap[K]['detail'],
  ): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

/**
 * A source pace this far from 1 (or from the last told) is told: a camera at another rate is 16 % off
 * or more (25 fps on 30); a renderer whose worker is overloaded (4K on a canvas) reads 1-5 % off.
 */
const PACE_WARN_SHARE = 0.05;
/**
 * A camera rate read from the arrivals is told (and times recordings) once it has held this long (ms):
 * a busy machine can tilt the source's pace for a second or two (src/player/rate-hold.ts).
 */
const PACE_HOLD_MS = 3000;
/** After a relay's skip for a slow link, this long (ms) without a source pace (see onSkipped). */
const SLOW_LINK_MS = 30_000;

/** The worker's renderer before its first report. */
const NO_FRAMES_YET: RendererStats = {
  kind: 'webcodecs',
  output: 'track',
  late: 0,
  stalls: 0,
  skipped: 0,
  painted: 0,
  paintMs: 0,
  prerolled: 0,
  stallsPerMinute: 0,
  targetDelayMs: 0,
  jitterMs: 0,
  sourcePace: 1,
  recovered: 0,
};

export function toPlaybackError(error: unknown): PlaybackError {
  // TransmuxError, PlayerError, SourceError.
  if (error instanceof CodedError) return error.toJSON();
  return {
    code: 'INTERNAL',
    message: error instanceof Error ? error.message : String(error),
    detail: {},
  };
}

/** `label` resolved against the page; undefined when it is no URL (the page's source says why). */
function absoluteUrl(label: string): string | undefined {
  try {
    return new URL(label, globalThis.location?.href).href;
  } catch {
    return undefined;
  }
}
