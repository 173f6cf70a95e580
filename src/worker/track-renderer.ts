/**
 * The WebCodecs renderer inside the transmuxer worker (the `render` command of ./protocol.ts): the
 * worker's own outputs are decoded there and each frame is shown at its due time on the page's output:
 * written to its video track (Chromium, ../player/frame-sink.ts `TrackSink`), or painted on the
 * OffscreenCanvas of its `<canvas>` (`CanvasSink`). Bytes → transmuxer → decoder → screen never touch
 * the page's main thread, whose load (a slow CPU, layout, garbage collection) then delays no frame;
 * the page only forwards bytes and shows the `<video>` or the `<canvas>`.
 *
 * It tells the page, over the command's port, when the first frame is out, each paint on a canvas,
 * its figures four times a second, and its failure; the page tells it when it is hidden (arrivals
 * measured in a hidden page say nothing of the network).
 */
import type { TransmuxerOutput } from '../core/index.js';
import { systemClock } from '../player/clock.js';
import type { PlayerError } from '../player/errors.js';
import { CanvasSink, TrackSink } from '../player/frame-sink.js';
import type { FrameSink } from '../player/frame-sink.js';
import type { Visibility } from '../player/visibility.js';
import { WebCodecsRenderer } from '../player/webcodecs-renderer.js';
import type { RendererControl, RendererEvent, RenderOutput, WorkerCommand } from './protocol.js';

type RenderCommand = Extract<WorkerCommand, { type: 'render' }>;

export const STATS_INTERVAL_MS = 250;
/**
 * Once the page plays the track output, its kept frame is written again this often (ms), this many
 * times, unless a newer frame comes first (../player/frame-sink.ts TrackSink `attach`).
 */
export const TRACK_REWRITE_MS = 50;
export const TRACK_REWRITES = 10;

/** Visibility as the page reports it over the port. */
class ReportedVisibility implements Visibility {
  visible = true;
  private readonly listeners = new Set<() => void>();

  set(visible: boolean): void {
    if (visible === this.visible) return;
    this.visible = visible;
    for (const listener of this.listeners) listener();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export class TrackRenderer {
  private readonly renderer: WebCodecsRenderer;
  private readonly port: MessagePort;
  private readonly visibility = new ReportedVisibility();
  private readonly timer: ReturnType<typeof setInterval>;
  private rewrites: ReturnType<typeof setInterval> | undefined;
  /** The track output's sink, which keeps its newest frame until the page plays the track. */
  private track: TrackSink | undefined;
  /** The canvas output and its sink (for snapshots). */
  private canvas: { readonly target: OffscreenCanvas; readonly sink: CanvasSink } | undefined;
  private closed = false;
  /** When the figures were last posted (ms). */
  private statsAt = -Infinity;

  /** Made once the command was answered without error (the service checked for WebCodecs). */
  constructor(command: RenderCommand) {
    this.port = command.events;
    this.renderer = new WebCodecsRenderer(
      this.sink(command.output),
      { targetLatency: command.options.targetLatency },
      systemClock,
      this.visibility,
    );
    this.renderer.onStarted = () => this.post({ type: 'started' });
    this.renderer.onError = (error: PlayerError) =>
      this.post({ type: 'error', error: error.toJSON() });
    this.renderer.onRecovered = (message) => this.post({ type: 'recovered', message });
    this.port.onmessage = (event: MessageEvent<RendererControl>) => {
      const control = event.data;
      if (control.type === 'visibility') this.visibility.set(control.visible);
      else if (control.type === 'attached') this.attachTrack();
      else void this.snapshot(control.id);
    };
    this.timer = setInterval(() => this.postStats(), STATS_INTERVAL_MS);
  }

  /**
   * The renderer's figures, at most every STATS_INTERVAL_MS: from the timer, and after paints, for a
   * worker busy painting runs its timers late (WebKitGTK, 3840x2160 on the canvas: none for 14 s).
   */
  private postStats(): void {
    const now = performance.now();
    if (now - this.statsAt < STATS_INTERVAL_MS * 0.9) return;
    this.statsAt = now;
    this.post({ type: 'stats', stats: this.renderer.stats });
  }

  private sink(output: RenderOutput): FrameSink {
    if (output.kind === 'track') {
      this.track = new TrackSink(output.frames, { holdUntilAttached: true });
      return this.track;
    }
    // The page's clock differs from this worker's by their time origins: paints go as wall-clock times.
    const origin = performance.timeOrigin;
    const sink = new CanvasSink(output.canvas, systemClock, (paint) => {
      this.post({
        type: 'painted',
        frame: {
          mediaTime: paint.mediaTime,
          paintedAt: origin + paint.paintedAt,
          dueAt: origin + paint.dueAt,
        },
      });
      this.postStats();
    });
    this.canvas = { target: output.canvas, sink };
    return sink;
  }

  private async snapshot(id: number): Promise<void> {
    const canvas = this.canvas;
    const mediaTime = canvas?.sink.lastPainted ?? NaN;
    let png: Blob | undefined;
    if (canvas && Number.isFinite(mediaTime)) {
      png = await canvas.target.convertToBlob({ type: 'image/png' }).catch(() => undefined);
    }
    const { width, height } = canvas?.target ?? { width: 0, height: 0 };
    this.post({ type: 'snapshot', id, png, mediaTime, width, height });
  }

  /** The page plays the track output now (RendererControl `attached`). */
  private attachTrack(): void {
    const track = this.track;
    if (!track || this.closed) return;
    track.attach();
    clearInterval(this.rewrites);
    let left = TRACK_REWRITES;
    this.rewrites = setInterval(() => {
      if (track.rewrite() && --left > 0) return;
      clearInterval(this.rewrites);
      track.release();
    }, TRACK_REWRITE_MS);
  }

  /** The worker's outputs, before their buffers are transferred to the page. */
  feed(outputs: readonly TransmuxerOutput[]): void {
    if (this.closed) return;
    for (const out of outputs) {
      if (out.type === 'init') this.renderer.appendInit(out);
      else if (out.type === 'media') this.renderer.appendMedia(out);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    clearInterval(this.rewrites);
    this.renderer.destroy();
    this.port.close();
  }

  private post(event: RendererEvent): void {
    if (!this.closed) this.port.postMessage(event);
  }
}
