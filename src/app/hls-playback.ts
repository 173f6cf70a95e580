/**
 * Playing an HLS playlist (`?src=…/live.m3u8`, e.g. a relay's `serve --hls` behind a CDN): hls.js where the
 * browser has Media Source Extensions (or ManagedMediaSource), else the browser's own HLS (iPhone Safari
 * before ManagedMediaSource). Loaded by ./main.ts only for playlist URLs, and hls.js itself only when needed,
 * so the raw-stream startup path does not carry either. The statistics use the session's shape, so the
 * page's statistics panel and the test hook read them the same way.
 */
import type Hls from 'hls.js';
import { FrameCounter } from '../player/frame-counter.js';
import type { SessionError, SessionState, SessionStats, SessionWarning } from './session.js';

export interface HlsPlaybackOptions {
  /** Called on every state change and twice a second while playing. */
  readonly onChange?: () => void;
  /** Force the browser's own HLS playback (tests; otherwise only without MSE). */
  readonly native?: boolean;
}

type Engine = 'hls.js' | 'native';

interface Sample {
  readonly time: number;
  readonly bytes: number;
  readonly decoded: number;
}

export class HlsPlayback {
  state: SessionState = 'connecting';
  readonly errors: SessionError[] = [];
  readonly warnings: SessionWarning[] = [];
  notice = '';
  private hls: Hls | undefined;
  private engine: Engine | undefined;
  private bytesReceived = 0;
  private parts = 0;
  /** Fragments and parts hls.js appended to the SourceBuffer. */
  private buffered = 0;
  private readonly samples: Sample[] = [];
  private sampler: ReturnType<typeof setInterval> | undefined;
  private readonly timeline: { created: number; connected?: number; firstMedia?: number } = {
    created: performance.now(),
  };
  private stopped = false;
  /** The element's frame counts, across the resets of some engines (hls.js changes the rate live). */
  private readonly frames: FrameCounter;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly url: string,
    private readonly options: HlsPlaybackOptions = {},
  ) {
    this.frames = new FrameCounter(video);
  }

  async start(): Promise<void> {
    for (const type of ['playing', 'waiting', 'pause', 'ended'] as const)
      this.video.addEventListener(type, this.onMediaEvent);
    this.video.muted = true; // autoplay needs it
    this.sampler = setInterval(() => this.sample(), 500);
    const mse = 'ManagedMediaSource' in window || 'MediaSource' in window;
    const native = this.video.canPlayType('application/vnd.apple.mpegurl') !== '';
    if (this.options.native || (!mse && native)) {
      this.engine = 'native';
      this.video.src = this.url;
      this.video.addEventListener('loadeddata', () => this.mark('firstMedia'), { once: true });
      this.video.addEventListener('error', () =>
        this.fail(
          'HLS_NATIVE',
          this.video.error?.message ?? 'the browser cannot play this playlist',
        ),
      );
      void this.video.play().catch(() => undefined);
      return;
    }
    if (!mse) {
      this.fail(
        'UNSUPPORTED',
        'This browser has neither Media Source Extensions nor HLS playback.',
      );
      return;
    }
    const { default: HlsClass } = await import('hls.js/light');
    if (this.stopped) return;
    this.engine = 'hls.js';
    const hls = new HlsClass({
      lowLatencyMode: true,
      backBufferLength: 30,
      maxLiveSyncPlaybackRate: 1.5,
    });
    this.hls = hls;
    hls.on(HlsClass.Events.MANIFEST_LOADED, () => this.mark('connected'));
    hls.on(HlsClass.Events.FRAG_LOADED, (_event, data) => {
      this.bytesReceived += data.payload.byteLength;
      if (data.part) this.parts++;
    });
    hls.on(HlsClass.Events.FRAG_BUFFERED, () => {
      this.buffered++;
      this.mark('firstMedia');
    });
    hls.on(HlsClass.Events.ERROR, (_event, data) => {
      if (data.fatal)
        this.fail(
          `HLS_${data.type.toUpperCase().replace(/[^A-Z]+/g, '_')}`,
          `${data.details}${data.error ? `: ${data.error.message}` : ''}`,
        );
      else this.warn(data.details);
    });
    hls.loadSource(this.url);
    hls.attachMedia(this.video);
    void this.video.play().catch(() => undefined);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.sampler);
    this.hls?.destroy();
    this.frames.destroy();
    for (const type of ['playing', 'waiting', 'pause', 'ended'] as const)
      this.video.removeEventListener(type, this.onMediaEvent);
  }

  get stats(): SessionStats {
    const v = this.video;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const span = first && last ? (last.time - first.time) / 1000 : 0;
    const rate = (pick: (s: Sample) => number): number =>
      first && last && span > 0 ? (pick(last) - pick(first)) / span : 0;
    const frames = this.frames.read();
    const decoded = frames.decoded;
    const buffered = v.buffered.length > 0 ? v.buffered : undefined;
    const bufferedStart = buffered ? buffered.start(0) : 0;
    const bufferedEnd = buffered ? buffered.end(buffered.length - 1) : 0;
    // hls.js: distance to the playlist's live edge (parts included); natively: to the buffered end.
    const latency = this.hls ? this.hls.latency : Math.max(0, bufferedEnd - v.currentTime);
    return {
      source: this.url,
      sourceKind: `hls (${this.engine ?? 'loading'}, ${this.parts} parts)`,
      live: true,
      accessUnitFraming: false,
      state: this.state,
      info: undefined,
      bytesReceived: this.bytesReceived,
      fileBytesRead: undefined,
      bitrate: rate((s) => s.bytes) * 8,
      framesMuxed: decoded,
      receivedFps: rate((s) => s.decoded),
      presentedFps: rate((s) => s.decoded),
      reconnects: 0,
      reconnectAttempts: 0,
      firstSegmentKeyframe: undefined,
      // hls.js appended the init segment with the first media: the stream is identified.
      initSegments: this.timeline.firstMedia === undefined ? 0 : 1,
      timeline: {
        created: this.timeline.created,
        sourceOpen: undefined,
        workerReady: undefined,
        connected: this.timeline.connected,
        firstBytes: undefined,
        firstInit: undefined,
        firstMedia: this.timeline.firstMedia,
      },
      player: {
        mediaSource: this.engine ?? 'loading',
        mimeType: '',
        bufferedStart,
        bufferedEnd,
        bufferedAhead: Math.max(0, bufferedEnd - v.currentTime),
        latency,
        playbackRate: v.playbackRate,
        decodedFrames: decoded,
        droppedFrames: frames.dropped,
        shownFrames: this.frames.shown(frames),
        underflows: 0,
        targetDelayMs: 0,
        jitterMs: 0,
        sourcePace: 1,
        unpresentedFrames: 0,
        stallsPerMinute: 0,
        skippedFrames: 0,
        slowedForDecoder: false,
        slowdowns: 0,
        appendedSegments: this.buffered,
        appendedBytes: this.bytesReceived,
        queuedSegments: 0,
        evictions: 0,
        quotaExceeded: 0,
        jumps: 0,
        runOffs: 0,
        typeChanges: 0,
        restarts: 0,
      },
      early: undefined,
      renderer: undefined,
    };
  }

  private readonly onMediaEvent = (event: Event): void => {
    const next: SessionState =
      event.type === 'playing'
        ? 'playing'
        : event.type === 'pause'
          ? 'paused'
          : event.type === 'ended'
            ? 'ended'
            : 'buffering';
    if (this.state !== 'error') this.state = next;
    this.options.onChange?.();
  };

  private sample(): void {
    const decoded = this.frames.read().decoded;
    this.samples.push({ time: performance.now(), bytes: this.bytesReceived, decoded });
    while (this.samples.length > 6) this.samples.shift();
    this.options.onChange?.();
  }

  private mark(what: 'connected' | 'firstMedia'): void {
    this.timeline[what] ??= performance.now();
  }

  private fail(code: string, message: string): void {
    this.state = 'error';
    this.errors.push({ code, message, detail: { url: this.url } });
    this.options.onChange?.();
  }

  private warn(code: string): void {
    const known = this.warnings.find((w) => w.code === code);
    if (known) known.count++;
    else this.warnings.push({ code, message: `hls.js: ${code}`, count: 1 });
  }
}
