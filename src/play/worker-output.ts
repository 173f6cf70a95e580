/**
 * The page's side of the worker's WebCodecs renderer (src/worker/track-renderer.ts), which shows each
 * frame at its due time on one of two outputs the page makes and transfers to the transmuxer worker:
 *
 * - a track: a `MediaStreamTrackGenerator` playing in the `<video>`, its `writable` written from the
 *   worker (mediacapture-transform, Chromium: the page's main thread is not on the way);
 * - a canvas: a `<canvas>` in place of the `<video>`, its control transferred
 *   (`transferControlToOffscreen`) and painted from the worker (Firefox, Safari). The page re-dispatches
 *   each paint the worker reports as FRAME_EVENT on it, as the page's own canvas renderer does.
 *
 * The page forwards its visibility and keeps the renderer's latest figures.
 */
import { dispatchFrameEvent } from '../player/frame-sink.js';
import type { RendererStats } from '../player/webcodecs-renderer.js';
import type { Visibility } from '../player/visibility.js';
import type { Snapshot } from './snapshot.js';
import type { EarlyOutput, TransmuxWorker } from '../worker/client.js';
import type {
  PaintedFrame,
  RendererControl,
  RendererEvent,
  RenderOutput,
  WorkerErrorData,
} from '../worker/protocol.js';

interface TrackGenerator extends MediaStreamTrack {
  readonly writable: WritableStream<VideoFrame>;
}

type TrackGeneratorConstructor = new (init: { kind: 'video' }) => TrackGenerator;

function trackGenerator(): TrackGeneratorConstructor | undefined {
  return (globalThis as { MediaStreamTrackGenerator?: TrackGeneratorConstructor })
    .MediaStreamTrackGenerator;
}

/** Whether `video` plays `track` (as its MediaStream's video track). */
export function playsTrack(video: HTMLVideoElement, track: MediaStreamTrack): boolean {
  const stream = video.srcObject;
  return typeof MediaStream !== 'undefined' && stream instanceof MediaStream
    ? stream.getVideoTracks().includes(track)
    : false;
}

/**
 * An early output (vite.config.ts) no player shows: its track stopped and out of the `<video>`, or its
 * canvas removed and the `<video>` it stood for shown again; its events' port closed.
 */
export function releaseEarlyOutput(early: EarlyOutput, video: HTMLVideoElement): void {
  early.events.close();
  if (early.kind === 'track') {
    early.track.stop();
    if (playsTrack(video, early.track)) video.srcObject = null;
  } else {
    if (early.canvas.isConnected) video.hidden = false;
    early.canvas.remove();
  }
}

/** Whether a worker can show a live stream in this page's `<video>` (a track: Chromium). */
export function canRenderInWorker(worker: TransmuxWorker): boolean {
  return (
    worker.inWorker &&
    trackGenerator() !== undefined &&
    typeof MediaStream !== 'undefined' &&
    typeof MessageChannel !== 'undefined'
  );
}

/** Whether a worker can paint a live stream on a `<canvas>` of this page (OffscreenCanvas). */
export function canPaintInWorker(worker: TransmuxWorker): boolean {
  return (
    worker.inWorker &&
    typeof HTMLCanvasElement !== 'undefined' &&
    typeof HTMLCanvasElement.prototype.transferControlToOffscreen === 'function' &&
    typeof MessageChannel !== 'undefined'
  );
}

export interface WorkerOutputEvents {
  started(): void;
  /** The worker's decoder failed and a new one took over (a warning, not an error). */
  recovered(message: string): void;
  error(error: WorkerErrorData): void;
}

/** What the worker shows the stream on: a track in the `<video>`, or this canvas. */
export type WorkerOutputTarget =
  | {
      readonly kind: 'track';
      readonly early?: Extract<EarlyOutput, { kind: 'track' }> | undefined;
    }
  | {
      readonly kind: 'canvas';
      readonly canvas: HTMLCanvasElement;
      /** The events' port of the early renderer that already paints `canvas`. */
      readonly early?: MessagePort | undefined;
    };

export class WorkerOutput {
  /** The renderer's latest figures (undefined until its first report). */
  stats: RendererStats | undefined;
  /** The canvas the worker paints (a canvas target), else undefined: the `<video>` shows the track. */
  readonly canvas: HTMLCanvasElement | undefined;
  private readonly track: MediaStreamTrack | undefined;
  private readonly port: MessagePort;
  private readonly unsubscribe: () => void;
  private readonly snapshots = new Map<number, (shot: Snapshot | undefined) => void>();
  private nextSnapshot = 1;
  private closed = false;

  /**
   * A track target needs `canRenderInWorker(worker)`, and the `<video>` must hold no other source now;
   * its `early`: the track the worker's early renderer already writes to
   * (TransmuxWorker.takeEarlyOutput), shown instead of a new one. A canvas target needs
   * `canPaintInWorker(worker)` and a canvas whose control was never transferred, or the early
   * renderer's canvas and its `early` events' port; the page shows it.
   */
  constructor(
    private readonly video: HTMLVideoElement,
    worker: TransmuxWorker,
    options: { readonly targetLatency: number },
    visibility: Visibility,
    events: WorkerOutputEvents,
    target: WorkerOutputTarget,
  ) {
    let start: () => Promise<void>;
    if (target.kind === 'track' && target.early) {
      this.track = target.early.track;
      this.port = target.early.events;
      start = () => worker.renderAdopt();
    } else if (target.kind === 'canvas' && target.early) {
      this.canvas = target.canvas;
      this.port = target.early;
      start = () => worker.renderAdopt();
    } else {
      const channel = new MessageChannel();
      this.port = channel.port1;
      let output: RenderOutput;
      if (target.kind === 'track') {
        const Generator = trackGenerator();
        if (!Generator) throw new Error('internal: no MediaStreamTrackGenerator');
        const track = new Generator({ kind: 'video' });
        this.track = track;
        output = { kind: 'track', frames: track.writable };
      } else {
        this.canvas = target.canvas;
        output = { kind: 'canvas', canvas: target.canvas.transferControlToOffscreen() };
      }
      start = () => worker.render(options, output, channel.port2);
    }
    this.port.onmessage = (event: MessageEvent<RendererEvent>) => {
      if (this.closed) return;
      const data = event.data;
      if (data.type === 'painted') this.painted(data.frame);
      else if (data.type === 'snapshot') this.answerSnapshot(data);
      else if (data.type === 'stats') this.stats = data.stats;
      else if (data.type === 'started') events.started();
      else if (data.type === 'recovered') events.recovered(data.message);
      else events.error(data.error);
    };
    const tell = (): void => {
      const control: RendererControl = { type: 'visibility', visible: visibility.visible };
      this.port.postMessage(control);
    };
    this.unsubscribe = visibility.subscribe(tell);
    if (!visibility.visible) tell();
    if (this.track) {
      // The early track may play already (vite.config.ts attaches it once the page has loaded).
      if (!playsTrack(video, this.track)) video.srcObject = new MediaStream([this.track]);
      // Frames written before it played are lost: the worker writes its newest one again.
      const attached: RendererControl = { type: 'attached' };
      this.port.postMessage(attached);
      // Muted (the player sets it): autoplay is allowed; a refusal shows as a paused element.
      void video.play().catch(() => undefined);
    }
    start().catch((error: unknown) => {
      if (!this.closed) {
        events.error({
          code: 'DECODER_ERROR',
          message: `The worker cannot decode the stream (WebCodecs): ${error instanceof Error ? error.message : String(error)}`,
          detail: {},
        });
      }
    });
  }

  /**
   * A PNG of the frame the worker's canvas shows, taken there (undefined before its first paint, and
   * for a track, which the page reads from the `<video>`).
   */
  snapshot(): Promise<Snapshot | undefined> {
    if (!this.canvas || this.closed) return Promise.resolve(undefined);
    const id = this.nextSnapshot++;
    const control: RendererControl = { type: 'snapshot', id };
    this.port.postMessage(control);
    return new Promise((resolve) => this.snapshots.set(id, resolve));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const resolve of this.snapshots.values()) resolve(undefined);
    this.snapshots.clear();
    this.unsubscribe();
    this.port.close();
    if (this.track) {
      this.track.stop();
      if (this.video.srcObject) this.video.srcObject = null;
    }
  }

  private answerSnapshot(answer: Extract<RendererEvent, { type: 'snapshot' }>): void {
    const { id, png, mediaTime, width, height } = answer;
    const resolve = this.snapshots.get(id);
    this.snapshots.delete(id);
    resolve?.(png ? { png, mediaTime, width, height } : undefined);
  }

  /** A paint on the canvas, told on the page's clock (the worker's differs by the time origins). */
  private painted(frame: PaintedFrame): void {
    if (!this.canvas) return;
    const origin = performance.timeOrigin;
    dispatchFrameEvent(this.canvas, {
      mediaTime: frame.mediaTime,
      paintedAt: frame.paintedAt - origin,
      dueAt: frame.dueAt - origin,
      painter: 'worker',
    });
  }
}
