/**
 * Where the WebCodecs renderer (./webcodecs-renderer.ts) puts a frame at its due time. Two sinks:
 *
 * - `CanvasSink`: draws it into a canvas and reports the paint. On the page's main thread it paints a
 *   `<canvas>` (every engine with WebCodecs) and dispatches `h264mux:frame` on it (the latency
 *   benchmark's contract, bench/latency-harness.mjs); in the transmuxer worker it paints the
 *   OffscreenCanvas a page's `<canvas>` transferred (src/worker/track-renderer.ts), and the page
 *   dispatches the event when told (src/play/worker-output.ts). A page that is busy then delays no paint.
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
  /** When the paint call returned (the page's performance.now()). */
  readonly paintedAt: number;
  /** When the frame was due (the page's performance.now()). */
  readonly dueAt: number;
  /**
   * Who painted: the page (the event comes right after the paint, the canvas shows that frame) or
   * the worker (the event comes when the page's main thread gets to it: a busy page may already
   * show a later frame).
   */
  readonly painter: 'page' | 'worker';
}

/** Dispatches FRAME_EVENT for a frame painted on `canvas`. */
export function dispatchFrameEvent(canvas: HTMLCanvasElement, detail: FrameEventDetail): void {
  canvas.dispatchEvent(new CustomEvent(FRAME_EVENT, { bubbles: true, detail }));
}

/** What CanvasSink paints: a page's `<canvas>`, or an OffscreenCanvas (in a worker). */
export interface PaintTarget {
  width: number;
  height: number;
  getContext(
    contextId: '2d',
    options?: CanvasRenderingContext2DSettings,
  ): Pick<CanvasRenderingContext2D, 'drawImage'> | null;
}

/** A paint, on the sink's clock: what FRAME_EVENT reports. */
export type Paint = Omit<FrameEventDetail, 'painter'>;

export class CanvasSink implements FrameSink {
  readonly kind = 'canvas';
  readonly dropped = 0;
  private last = NaN;
  private context: Pick<CanvasRenderingContext2D, 'drawImage'> | undefined;

  /** `painted`: told after each paint (it dispatches FRAME_EVENT, or posts the paint to the page). */
  constructor(
    private readonly canvas: PaintTarget,
    private readonly clock: Clock,
    private readonly painted: (paint: Paint) => void,
  ) {}

  /** The stream time (s) of the frame painted last: the one the canvas shows (NaN before any). */
  get lastPainted(): number {
    return this.last;
  }

  show(frame: VideoFrame, dueAt: number): void {
    const canvas = this.canvas;
    // A new size (an SPS change) resets the bitmap and the context's state, and keeps the context
    // (HTML, the canvas element: getContext returns the same object). Firefox 153 throws
    // InvalidStateError if a transferred OffscreenCanvas is asked for its context again in the worker.
    if (canvas.width !== frame.displayWidth || canvas.height !== frame.displayHeight) {
      canvas.width = frame.displayWidth;
      canvas.height = frame.displayHeight;
    }
    this.context ??= canvas.getContext('2d', { alpha: false }) ?? undefined;
    this.context?.drawImage(frame, 0, 0, canvas.width, canvas.height);
    this.last = frame.timestamp / 1e6;
    this.painted({ mediaTime: this.last, paintedAt: this.clock.now(), dueAt });
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

export interface TrackSinkOptions {
  /**
   * The page plays the track only later (`attach`), and until then the newest frame is kept. A track's
   * frames reach only the sinks it has when they are written, and the built page's first script gives
   * the early track to its `<video>` at the page's load event (vite.config.ts), which a slow
   * stylesheet or script holds past the first frame: that frame was lost, and a camera sending a
   * frame every 4 s showed nothing for 4 s more.
   */
  readonly holdUntilAttached?: boolean;
}

export class TrackSink implements FrameSink {
  readonly kind = 'track';
  dropped = 0;
  private pending = 0;
  private readonly writer: WritableStreamDefaultWriter<VideoFrame>;
  private closed = false;
  private attached: boolean;
  /** The newest frame, kept until a newer one follows `attach` (see TrackSinkOptions). */
  private held: VideoFrame | undefined;

  constructor(frames: WritableStream<VideoFrame>, options: TrackSinkOptions = {}) {
    this.writer = frames.getWriter();
    this.attached = !options.holdUntilAttached;
    // A closed track errors the stream: frames are then dropped, never thrown at the renderer.
    this.writer.closed.catch(() => this.setClosed());
  }

  show(frame: VideoFrame): void {
    if (!this.attached && !this.closed) {
      this.held?.close();
      this.held = frame.clone();
    } else {
      this.release();
    }
    if (this.full()) {
      this.dropped++;
      return;
    }
    // The write serializes the frame when the stream takes it, which may be after `show` returns
    // (and the renderer closes `frame`): a clone is written, and closed once taken.
    this.write(frame.clone());
  }

  /**
   * The page plays the track now: the kept frame is written again (`rewrite`), and kept until a newer
   * frame comes or `release`. The `<video>` takes a track's frames only once its media player is
   * connected, a moment after it was given the track: a frame written at once was lost too, so the
   * renderer writes it again a few times (../worker/track-renderer.ts).
   */
  attach(): void {
    if (this.attached) return;
    this.attached = true;
    this.rewrite();
  }

  /** Writes the kept frame again; false once none is kept. */
  rewrite(): boolean {
    const held = this.held;
    if (!held) return false;
    if (!this.full()) this.write(held.clone());
    return true;
  }

  /** Lets the kept frame go. */
  release(): void {
    this.held?.close();
    this.held = undefined;
  }

  private full(): boolean {
    return this.closed || this.pending >= MAX_PENDING_WRITES;
  }

  /** Writes `copy`, owned here from now on: closed once the track took it. */
  private write(copy: VideoFrame): void {
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
    this.setClosed();
    this.writer.close().catch(() => undefined);
  }

  /** No more writes, and the kept frame goes. */
  private setClosed(): void {
    this.closed = true;
    this.release();
  }
}
