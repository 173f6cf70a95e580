// The WebCodecs renderer's scheduling with a fake clock and fake frames: painted when due, late ones
// counted, older due ones skipped, every frame closed exactly once.
import { describe, expect, it } from 'vitest';
import { FrameScheduler, MAX_PREROLL_MS, MAX_QUEUED } from '../../../src/player/frame-scheduler.js';
import { FakeClock } from './fake-clock.js';

const FRAME_MS = 1000 / 30;
/** Frames are due 100 ms after their media time. */
const DELAY_MS = 100;

class FakeFrame {
  closes = 0;
  constructor(readonly timestamp: number) {}
  close(): void {
    this.closes++;
  }
}

function setup(delay = { ms: DELAY_MS }, decoder = { decoding: 0 }) {
  const clock = new FakeClock();
  const painted: { n: number; at: number; due: number }[] = [];
  const lateReports: number[] = [];
  const frames: FakeFrame[] = [];
  const scheduler = new FrameScheduler<FakeFrame>({
    clock,
    dueAt: (mediaTime) => mediaTime * 1000 + delay.ms,
    paint: (frame, due) => {
      expect(frame.closes).toBe(0);
      painted.push({ n: Math.round(frame.timestamp / (1e6 / 30)), at: clock.now(), due });
    },
    late: (now) => lateReports.push(now),
    frameMs: () => FRAME_MS,
    decoding: () => decoder.decoding,
  });
  /** Frame n (media time n/30 s) decoded now. */
  const push = (n: number): FakeFrame => {
    const frame = new FakeFrame(Math.round((n * 1e6) / 30));
    frames.push(frame);
    scheduler.push(frame);
    return frame;
  };
  return { clock, scheduler, painted, lateReports, frames, push };
}

describe('FrameScheduler', () => {
  it('paints the first frame at once and the next ones at their due time, not before', () => {
    const s = setup();
    s.push(0);
    expect(s.painted).toEqual([{ n: 0, at: 0, due: 0 }]);
    s.clock.advance(10);
    s.push(1); // due at 133.3
    s.clock.advance(100);
    expect(s.painted).toHaveLength(1);
    s.clock.advance(30);
    expect(s.painted.map((p) => p.n)).toEqual([0, 1]);
    expect(s.painted[1]?.at).toBeCloseTo(DELAY_MS + FRAME_MS, 2);
    expect(s.scheduler.late).toBe(0);
    expect(s.frames.every((f) => f.closes === 1)).toBe(true);
  });

  it('joining, decodes the frames behind the first one and paints only the newest (preroll, not skipped)', () => {
    // A relay's frames since the keyframe (0..9) arrive together: the decoder outputs them one by one.
    const decoder = { decoding: 10 };
    const s = setup({ ms: DELAY_MS }, decoder);
    s.clock.advance(500);
    for (let n = 0; n < 10; n++) {
      decoder.decoding--;
      s.push(n);
      s.clock.advance(2);
    }
    expect(s.painted.map((p) => p.n)).toEqual([9]);
    expect(s.scheduler.prerolled).toBe(9);
    expect(s.scheduler.skipped).toBe(0);
    expect(s.lateReports).toEqual([]);
    expect(s.frames.every((f) => f.closes === 1)).toBe(true);
  });

  it('paints the first frame at once when only the next one is in the decoder (a start, not a join)', () => {
    // Over a byte stream, frame 1 arrives while frame 0 is decoded; a decoder may also hold one back.
    const decoder = { decoding: 1 };
    const s = setup({ ms: DELAY_MS }, decoder);
    s.push(0);
    expect(s.painted).toEqual([{ n: 0, at: 0, due: 0 }]);
    decoder.decoding = 0;
    s.clock.advance(5);
    s.push(1);
    s.clock.advance(DELAY_MS + FRAME_MS);
    expect(s.painted.map((p) => p.n)).toEqual([0, 1]);
    expect(s.scheduler.prerolled).toBe(0);
  });

  it('joining, paints after MAX_PREROLL_MS a first frame whose decoder holds the next ones', () => {
    const s = setup({ ms: DELAY_MS }, { decoding: 3 });
    s.push(0);
    s.clock.advance(MAX_PREROLL_MS - 1);
    expect(s.painted).toHaveLength(0);
    s.clock.advance(1);
    expect(s.painted.map((p) => p.n)).toEqual([0]);
  });

  it('paints a frame that arrives after its due time at once, late beyond one frame interval', () => {
    const s = setup();
    s.push(0);
    s.clock.advance(DELAY_MS + FRAME_MS + 10); // frame 1 is 10 ms past due: painted, not late
    s.push(1);
    expect(s.scheduler.late).toBe(0);
    s.clock.advance(FRAME_MS + 20); // frame 2 is 30 ms past due: within a frame
    s.push(2);
    expect(s.scheduler.late).toBe(0);
    s.clock.advance(FRAME_MS + 40); // frame 3: 70 ms past due
    s.push(3);
    expect(s.painted.map((p) => p.n)).toEqual([0, 1, 2, 3]);
    expect(s.scheduler.late).toBe(1);
    expect(s.lateReports).toHaveLength(1);
  });

  it('counts a run of late paints as one stall, and a new run after an on-time paint as another', () => {
    const s = setup();
    s.push(0);
    // A hiccup: frames 1-4 come out of the decoder 90, 70, 50 and 40 ms past due (late, catching up).
    let at = 0;
    const arrive = (n: number, pastDue: number): void => {
      const due = (n * 1000) / 30 + DELAY_MS;
      s.clock.advance(due + pastDue - at);
      at = due + pastDue;
      s.push(n);
    };
    arrive(1, 90);
    arrive(2, 70);
    arrive(3, 50);
    arrive(4, 40);
    expect(s.scheduler.late).toBe(4);
    expect(s.scheduler.stalls).toBe(1);
    // Back on time, then another hiccup: a second stall.
    arrive(5, 0);
    arrive(6, 0);
    arrive(7, 60);
    expect(s.scheduler.late).toBe(5);
    expect(s.scheduler.stalls).toBe(2);
    expect(s.lateReports).toHaveLength(5);
  });

  it('paints only the newest of several due frames, skipping and closing the older ones', () => {
    const delay = { ms: DELAY_MS };
    const s = setup(delay);
    s.push(0);
    const waiting = [1, 2, 3].map((n) => s.push(n)); // due at 133, 166, 200
    expect(s.scheduler.queued).toBe(3);
    // The playout clock moves on (a better arrival): all of them are due now.
    delay.ms = -500;
    s.push(4);
    expect(s.painted.map((p) => p.n)).toEqual([0, 4]);
    expect(s.scheduler.skipped).toBe(3);
    expect(s.lateReports).toHaveLength(3 + 1); // three skipped, and 4 painted 367 ms after due
    expect(waiting.every((f) => f.closes === 1)).toBe(true);
    expect(s.clock.pending).toBe(0);
  });

  it('never paints a frame older than one already painted', () => {
    const s = setup();
    s.push(0);
    s.clock.advance(1000);
    s.push(4);
    const older = s.push(3);
    expect(s.painted.map((p) => p.n)).toEqual([0, 4]);
    expect(older.closes).toBe(1);
    expect(s.scheduler.skipped).toBe(1);
  });

  it('keeps out-of-order pushes sorted', () => {
    const s = setup();
    s.push(0);
    s.push(2);
    s.push(1);
    s.clock.advance(1000);
    expect(s.painted.map((p) => p.n)).toEqual([0, 1, 2]);
  });

  it('keeps at most MAX_QUEUED frames waiting, skipping the oldest', () => {
    const s = setup();
    s.push(0);
    for (let n = 1; n <= MAX_QUEUED + 3; n++) s.push(n);
    expect(s.scheduler.queued).toBe(MAX_QUEUED);
    expect(s.scheduler.skipped).toBe(3);
    expect(s.frames.slice(1, 4).every((f) => f.closes === 1)).toBe(true);
    s.clock.advance(10_000);
    expect(s.painted.map((p) => p.n)).toEqual([
      0,
      ...Array.from({ length: MAX_QUEUED }, (_, i) => i + 4),
    ]);
    expect(s.frames.every((f) => f.closes === 1)).toBe(true);
  });

  it('closes every waiting frame at destroy, and frames pushed after it, with no timer left', () => {
    const s = setup();
    s.push(0);
    for (let n = 1; n <= 5; n++) s.push(n);
    expect(s.clock.pending).toBe(1);
    s.scheduler.destroy();
    expect(s.clock.pending).toBe(0);
    const after = s.push(6);
    expect(after.closes).toBe(1);
    s.clock.advance(10_000);
    expect(s.painted).toHaveLength(1);
    expect(s.frames.every((f) => f.closes === 1)).toBe(true);
  });

  it('closes a frame whose paint threw', () => {
    const clock = new FakeClock();
    const frame = new FakeFrame(0);
    const scheduler = new FrameScheduler<FakeFrame>({
      clock,
      dueAt: () => 0,
      paint: () => {
        throw new Error('canvas lost');
      },
      late: () => undefined,
      frameMs: () => FRAME_MS,
      decoding: () => 0,
    });
    expect(() => scheduler.push(frame)).toThrow('canvas lost');
    expect(frame.closes).toBe(1);
  });
});
