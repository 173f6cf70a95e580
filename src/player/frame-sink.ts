/**
 * Where the WebCodecs renderer (./webcodecs-renderer.ts) puts a frame at its due time. Two sinks:
 *
 * - `CanvasSink`: draws it into a `<canvas>` of the page (main thread; every engine with WebCodecs),
 *   then dispatches `h264mux:frame` on the canvas (the latency benchmark's contract,
 *   bench/latency-harness.mjs).
 * - `TrackSink`: writes it to a video track's `WritableStream<VideoFrame>` (a page's
 *   `MediaStreamTrackGenerator`, its `writable` transferred to the transmuxer worker). The `<video>`
 *   playing that track shows the frame as written, and nothing on the way runs on the page's main
 *   thread: a busy page (layout, a slow CPU, garbage collection) delays no frame.
 *
 * A sink never keeps the frame it is shown: the renderer closes it after `show` returns.
 */
import type { Clock } from './clock.js';

export interface FrameSink {
  readonly kind: 'canvas' | 'track';
  /** Shows `frame` now; `dueAt` is when it was due (the clock's ms). */
  show(frame: VideoFrame, dueAt: number): void;
  /** Frames the sink could not show (a track that stopped taking them). */
  readonly dropped: number;
  close(): void;
}

/** The event a painted frame dispatches on the canvas. */
export const FRAME_EVENT = 'h264mux:frame';

export interface FrameEventDetail {
  readonly mediaTime: number;
  readonly paintedAt: number;
  readonly dueAt: number;
}

export class CanvasSink implements FrameSink {
  readonly kind = 'canvas';
  readonly dropped = 0;
  private context: CanvasRenderingContext2D | undefined;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly clock: Clock,
  ) {}

  show(frame: VideoFrame, dueAt: number): void {
    const canvas = this.canvas;
    if (canvas.width !== frame.displayWidth || canvas.height !== frame.displayHeight) {
      canvas.width = frame.displayWidth;
      canvas.height = frame.displayHeight;
      this.context = undefined;
    }
    this.context ??= canvas.getContext('2d', { alpha: false }) ?? undefined;
    this.context?.drawImage(frame, 0, 0, canvas.width, canvas.height);
    const detail: FrameEventDetail = {
      mediaTime: frame.timestamp / 1e6,
      paintedAt: this.clock.now(),
      dueAt,
    };
    canvas.dispatchEvent(new CustomEvent(FRAME_EVENT, { bubbles: true, detail }));
  }

  close(): void {
    this.context = undefined;
  }
}

/**
 * Writes not yet taken by the track beyond which a frame is dropped: a track that stopped reading (a
 * closed page) must not hold the decoder's frames, which come from a small pool.
 */
export const MAX_PENDING_WRITES = 4;

export class TrackSink implements FrameSink {
  readonly kind = 'track';
  dropped = 0;
  private pending = 0;
  private readonly writer: WritableStreamDefaultWriter<VideoFrame>;
  private closed = false;

  constructor(frames: WritableStream<VideoFrame>) {
    this.writer = frames.getWriter();
    // A closed track errors the stream: frames are then dropped, never thrown at the renderer.
    this.writer.closed.catch(() => (this.closed = true));
  }

  show(frame: VideoFrame): void {
    if (this.closed || this.pending >= MAX_PENDING_WRITES) {
      this.dropped++;
      return;
    }
    // The write serializes the frame when the stream takes it, which may be after `show` returns
    // (and the renderer closes `frame`): a clone is written, and closed once taken.
    const copy = frame.clone();
    this.pending++;
    const done = (): void => {
      this.pending--;
      copy.close();
    };
    this.writer.write(copy).then(done, () => {
      this.closed = true;
      done();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.writer.close().catch(() => undefined);
  }
}
