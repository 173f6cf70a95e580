// The canvas sink of the WebCodecs renderer (a page's canvas, or the worker's OffscreenCanvas) against
// a recording canvas: each frame painted at its size, each paint told with its times.
// The track sink of the WebCodecs renderer (the worker's output to a MediaStreamTrackGenerator's
// writable) against a real WritableStream whose sink the test controls: a clone is written and closed
// once the stream took it, the renderer's own frame is left to the renderer, a track that stops taking
// frames costs dropped frames (never the decoder's pool, never an exception).
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/player/clock.js';
import { CanvasSink, MAX_PENDING_WRITES, TrackSink } from '../../../src/player/frame-sink.js';
import type { Paint } from '../../../src/player/frame-sink.js';

class FakeFrame {
  closed = false;
  readonly clones: FakeFrame[] = [];
  constructor(readonly timestamp: number) {}
  clone(): FakeFrame {
    if (this.closed) throw new Error('clone of a closed frame');
    const copy = new FakeFrame(this.timestamp);
    this.clones.push(copy);
    return copy;
  }
  close(): void {
    this.closed = true;
  }
}

/** A writable whose writes complete when the test says so (`release`) or at once (`auto`). */
function track(mode: 'auto' | 'manual' | 'failing') {
  const written: FakeFrame[] = [];
  const waiting: (() => void)[] = [];
  const stream = new WritableStream<FakeFrame>({
    write(frame) {
      // What the stream takes must still be open (a closed VideoFrame cannot be serialized).
      expect(frame.closed).toBe(false);
      written.push(frame);
      if (mode === 'failing') throw new Error('track stopped');
      if (mode === 'auto') return;
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
  });
  const release = (): void => waiting.shift()?.();
  return { stream, written, release };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function show(sink: TrackSink, frame: FakeFrame): void {
  sink.show(frame as unknown as VideoFrame);
  // The renderer closes its frame as soon as `show` returns.
  frame.close();
}

describe('TrackSink', () => {
  it('writes a clone of each frame and closes the clone once the track took it', async () => {
    const t = track('auto');
    const sink = new TrackSink(t.stream as unknown as WritableStream<VideoFrame>);
    const frames = [0, 1, 2].map((n) => new FakeFrame(n * 33_333));
    for (const f of frames) show(sink, f);
    await settle();
    expect(t.written.map((f) => f.timestamp)).toEqual([0, 33_333, 66_666]);
    for (const f of frames) {
      expect(f.clones).toHaveLength(1);
      expect(f.clones[0]?.closed).toBe(true);
    }
    expect(sink.dropped).toBe(0);
  });

  it(`drops frames while ${MAX_PENDING_WRITES} writes wait, and takes them again once written`, async () => {
    const t = track('manual');
    const sink = new TrackSink(t.stream as unknown as WritableStream<VideoFrame>);
    const frames = Array.from({ length: MAX_PENDING_WRITES + 3 }, (_, n) => new FakeFrame(n));
    for (const f of frames) show(sink, f);
    await settle();
    expect(sink.dropped).toBe(3);
    // Frames held by the sink are clones only: the dropped ones were never copied.
    expect(frames.filter((f) => f.clones.length > 0)).toHaveLength(MAX_PENDING_WRITES);
    for (let i = 0; i < MAX_PENDING_WRITES; i++) {
      t.release();
      await settle();
    }
    expect(frames.flatMap((f) => f.clones).every((c) => c.closed)).toBe(true);
    show(sink, new FakeFrame(99));
    await settle();
    expect(t.written.at(-1)?.timestamp).toBe(99);
    expect(sink.dropped).toBe(3);
  });

  it('drops frames without throwing once the track fails, and closes every clone', async () => {
    const t = track('failing');
    const sink = new TrackSink(t.stream as unknown as WritableStream<VideoFrame>);
    const first = new FakeFrame(0);
    show(sink, first);
    await settle();
    const later = new FakeFrame(1);
    expect(() => show(sink, later)).not.toThrow();
    await settle();
    expect(first.clones[0]?.closed).toBe(true);
    expect(later.clones).toHaveLength(0);
    expect(sink.dropped).toBe(1);
    expect(() => sink.close()).not.toThrow();
  });

  describe('a track the page plays only later (holdUntilAttached)', () => {
    const kept = (frame: FakeFrame): FakeFrame | undefined => frame.clones.find((c) => !c.closed);
    const hold = (t: ReturnType<typeof track>): TrackSink =>
      new TrackSink(t.stream as unknown as WritableStream<VideoFrame>, { holdUntilAttached: true });

    it('writes the newest frame again once the page plays the track, until a newer one comes', async () => {
      const t = track('auto');
      const sink = hold(t);
      const frames = [0, 1, 2].map((n) => new FakeFrame(n * 33_333));
      for (const f of frames) show(sink, f);
      await settle();
      // Written as they came (the track had no sink yet: lost), the newest kept, the older let go.
      expect(t.written.map((f) => f.timestamp)).toEqual([0, 33_333, 66_666]);
      expect(frames.map(kept)).toEqual([undefined, undefined, expect.any(FakeFrame)]);
      sink.attach();
      expect(sink.rewrite()).toBe(true);
      await settle();
      expect(t.written.map((f) => f.timestamp)).toEqual([0, 33_333, 66_666, 66_666, 66_666]);
      // A newer frame: the kept one goes; nothing more to write again; a second attach writes nothing.
      const next = new FakeFrame(99_999);
      show(sink, next);
      expect(sink.rewrite()).toBe(false);
      sink.attach();
      await settle();
      expect(t.written.map((f) => f.timestamp).slice(5)).toEqual([99_999]);
      expect([...frames, next].flatMap((f) => f.clones).every((c) => c.closed)).toBe(true);
      expect(sink.dropped).toBe(0);
    });

    it('keeps nothing once attached before any frame, and lets the kept frame go at release and at close', async () => {
      const t = track('auto');
      const attachedFirst = hold(t);
      attachedFirst.attach();
      const frame = new FakeFrame(0);
      show(attachedFirst, frame);
      await settle();
      expect(attachedFirst.rewrite()).toBe(false);
      expect(frame.clones.every((c) => c.closed)).toBe(true);

      const released = hold(track('auto'));
      const a = new FakeFrame(0);
      show(released, a);
      released.attach();
      released.release();
      await settle();
      expect(released.rewrite()).toBe(false);
      expect(a.clones.every((c) => c.closed)).toBe(true);

      const closing = hold(track('auto'));
      const b = new FakeFrame(0);
      show(closing, b);
      closing.close();
      await settle();
      expect(b.clones.every((c) => c.closed)).toBe(true);
    });

    it('writes the kept frame again only while the track takes writes', async () => {
      const t = track('manual');
      const sink = hold(t);
      const frames = Array.from({ length: MAX_PENDING_WRITES }, (_, n) => new FakeFrame(n));
      for (const f of frames) show(sink, f);
      sink.attach();
      // Full: not written now, still kept for the next try.
      expect(sink.rewrite()).toBe(true);
      for (let i = 0; i < MAX_PENDING_WRITES; i++) {
        t.release();
        await settle();
      }
      expect(sink.rewrite()).toBe(true);
      t.release();
      await settle();
      expect(t.written.map((f) => f.timestamp)).toEqual([0, 1, 2, 3, 3]);
      expect(sink.dropped).toBe(0);
      sink.release();
      expect(frames.flatMap((f) => f.clones).every((c) => c.closed)).toBe(true);
    });
  });
});

/** A canvas (a page's or an OffscreenCanvas) that records its context's draws. */
/**
 * A canvas as an OffscreenCanvas a page transferred to Firefox 153's worker: one context, the same
 * object each time (HTML), and asked for it again after a size change, an InvalidStateError ("Cannot
 * update created context to different thread", measured).
 */
class FakeCanvas {
  private size = { width: 300, height: 150 };
  private context: Pick<CanvasRenderingContext2D, 'drawImage'> | undefined;
  private resized = false;
  contexts = 0;
  readonly draws: { timestamp: number; width: number; height: number }[] = [];
  get width(): number {
    return this.size.width;
  }
  set width(value: number) {
    this.size = { ...this.size, width: value };
    this.resized = true;
  }
  get height(): number {
    return this.size.height;
  }
  set height(value: number) {
    this.size = { ...this.size, height: value };
    this.resized = true;
  }
  getContext(): Pick<CanvasRenderingContext2D, 'drawImage'> {
    this.contexts++;
    if (this.context && this.resized) {
      throw new DOMException(
        'OffscreenCanvas.getContext: Cannot update created context to different thread',
        'InvalidStateError',
      );
    }
    this.context ??= {
      drawImage: ((
        frame: FakeFrame & { displayWidth: number },
        _x: number,
        _y: number,
        w: number,
        h: number,
      ) => {
        this.draws.push({ timestamp: frame.timestamp, width: w, height: h });
      }) as unknown as CanvasRenderingContext2D['drawImage'],
    };
    this.resized = false;
    return this.context;
  }
}

function sized(timestamp: number, width: number, height: number): VideoFrame {
  return Object.assign(new FakeFrame(timestamp), {
    displayWidth: width,
    displayHeight: height,
  }) as unknown as VideoFrame;
}

describe('CanvasSink', () => {
  it('paints each frame at its size and tells each paint with its stream time, paint and due times', () => {
    const canvas = new FakeCanvas();
    let now = 1000;
    const clock = { ...systemClock, now: () => now };
    const paints: Paint[] = [];
    const sink = new CanvasSink(canvas, clock, (paint) => paints.push(paint));
    expect(sink.lastPainted).toBeNaN();
    sink.show(sized(0, 640, 480), 995);
    now = 1033;
    sink.show(sized(33_333, 640, 480), 1030);
    // A new size (an SPS change): the canvas follows, and keeps its context.
    now = 1066;
    sink.show(sized(66_667, 1280, 720), 1066);
    expect(canvas.draws).toEqual([
      { timestamp: 0, width: 640, height: 480 },
      { timestamp: 33_333, width: 640, height: 480 },
      { timestamp: 66_667, width: 1280, height: 720 },
    ]);
    expect([canvas.width, canvas.height, canvas.contexts]).toEqual([1280, 720, 1]);
    expect(paints).toEqual([
      { mediaTime: 0, paintedAt: 1000, dueAt: 995 },
      { mediaTime: 0.033333, paintedAt: 1033, dueAt: 1030 },
      { mediaTime: 0.066667, paintedAt: 1066, dueAt: 1066 },
    ]);
    expect(sink.lastPainted).toBe(0.066667);
    expect(sink.dropped).toBe(0);
  });
});
