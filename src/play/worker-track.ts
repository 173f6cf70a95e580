/**
 * The page's side of the worker's WebCodecs renderer (src/worker/track-renderer.ts): a
 * `MediaStreamTrackGenerator` playing in the `<video>`, its `writable` handed to the transmuxer worker,
 * which writes each decoded frame to it at the frame's due time. The page forwards its visibility and
 * keeps the renderer's latest figures.
 *
 * `MediaStreamTrackGenerator` (mediacapture-transform, Chromium) exists on a page; its transferred
 * writable is fed from the worker without the page's main thread on the way.
 */
import type { RendererStats } from '../player/webcodecs-renderer.js';
import type { Visibility } from '../player/visibility.js';
import type { EarlyTrack, TransmuxWorker } from '../worker/client.js';
import type { RendererControl, RendererEvent, WorkerErrorData } from '../worker/protocol.js';

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

/** Whether a worker can show a live stream in this page's `<video>` (Chromium). */
export function canRenderInWorker(worker: TransmuxWorker): boolean {
  return (
    worker.inWorker &&
    trackGenerator() !== undefined &&
    typeof MediaStream !== 'undefined' &&
    typeof MessageChannel !== 'undefined'
  );
}

export interface WorkerTrackEvents {
  started(): void;
  error(error: WorkerErrorData): void;
}

export class WorkerTrackOutput {
  /** The renderer's latest figures (undefined until its first report). */
  stats: RendererStats | undefined;
  private readonly track: MediaStreamTrack;
  private readonly port: MessagePort;
  private readonly unsubscribe: () => void;
  private closed = false;

  /**
   * Call with `canRenderInWorker(worker)` true; the `<video>` must hold no other source now. `early`:
   * the track the worker's early renderer already writes to (TransmuxWorker.takeEarlyTrack), shown
   * instead of a new one.
   */
  constructor(
    private readonly video: HTMLVideoElement,
    worker: TransmuxWorker,
    options: { readonly targetLatency: number },
    visibility: Visibility,
    events: WorkerTrackEvents,
    early?: EarlyTrack,
  ) {
    let start: () => Promise<void>;
    if (early) {
      this.track = early.track;
      this.port = early.events;
      start = () => worker.renderAdopt();
    } else {
      const Generator = trackGenerator();
      if (!Generator) throw new Error('internal: no MediaStreamTrackGenerator');
      const track = new Generator({ kind: 'video' });
      const channel = new MessageChannel();
      this.track = track;
      this.port = channel.port1;
      start = () => worker.render(options, track.writable, channel.port2);
    }
    this.port.onmessage = (event: MessageEvent<RendererEvent>) => {
      if (this.closed) return;
      const data = event.data;
      if (data.type === 'stats') this.stats = data.stats;
      else if (data.type === 'started') events.started();
      else events.error(data.error);
    };
    const tell = (): void => {
      const control: RendererControl = { type: 'visibility', visible: visibility.visible };
      this.port.postMessage(control);
    };
    this.unsubscribe = visibility.subscribe(tell);
    if (!visibility.visible) tell();
    // The early track may play already (vite.config.ts attaches it once the page has loaded).
    if (!playsTrack(video, this.track)) video.srcObject = new MediaStream([this.track]);
    // Muted (the player sets it): autoplay is allowed; a refusal shows as a paused element.
    void video.play().catch(() => undefined);
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

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.port.close();
    this.track.stop();
    if (this.video.srcObject) this.video.srcObject = null;
  }
}
