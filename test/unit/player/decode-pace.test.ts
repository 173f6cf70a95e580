// A file slows down while the element drops frames and speeds up again once it stops; the playhead
// is never moved.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DecodePace, MIN_PACE_RATE } from '../../../src/player/decode-pace.js';
import { FrameCounter } from '../../../src/player/frame-counter.js';
import { FakeClock } from './fake-clock.js';
import { videoWith } from './fake-mse.js';
import { segmentsOf } from './segments.js';

function setup(target = 1, fps = 30) {
  const { init, media } = segmentsOf('p01');
  const video = videoWith([init.data, ...media.map((m) => m.data)]);
  void video.play();
  video.playbackRate = target;
  const clock = new FakeClock();
  const pace = new DecodePace(
    video.asElement(),
    clock,
    new FrameCounter(video.asElement()),
    target,
  );
  pace.setFrameRate(fps);
  const tick = (decoded: number, dropped: number): void => {
    video.totalVideoFrames += decoded;
    video.droppedVideoFrames += dropped;
    clock.advance(250);
    pace.tick();
  };
  return { video, clock, pace, tick };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('DecodePace', () => {
  it('lowers the rate while frames are dropped, then raises it back step by step', () => {
    const { video, pace, tick } = setup();
    tick(7, 0);
    expect(video.playbackRate).toBe(1);
    tick(7, 2);
    expect(video.playbackRate).toBeCloseTo(0.7, 9);
    expect(pace.slowed).toBe(true);
    tick(5, 1);
    expect(video.playbackRate).toBeCloseTo(0.49, 9);
    expect(pace.slowdowns).toBe(2);
    expect(pace.dropped).toBe(3);
    // Two seconds without a drop: one step up; then more, up to the target and no further.
    for (let i = 0; i < 8; i++) tick(4, 0);
    expect(video.playbackRate).toBeCloseTo(0.49 * 1.2, 9);
    for (let i = 0; i < 80; i++) tick(7, 0);
    expect(video.playbackRate).toBe(1);
    expect(pace.slowed).toBe(false);
    expect(video.seeks).toEqual([]);
  });

  it('stops changing the rate where a change restarts the pipeline (the counters reset: WebKit)', () => {
    const { video, pace, tick } = setup();
    tick(7, 2);
    expect(video.playbackRate).toBeCloseTo(0.7, 9);
    // The engine started its counters again at the change.
    video.totalVideoFrames = 1;
    video.droppedVideoFrames = 0;
    tick(5, 2);
    tick(5, 2);
    expect(video.playbackRate).toBeCloseTo(0.7, 9);
    expect(pace.slowdowns).toBe(1);
    for (let i = 0; i < 20; i++) tick(7, 0);
    expect(video.playbackRate).toBeCloseTo(0.7, 9);
  });

  it('never goes below its minimum rate', () => {
    const { video, tick } = setup();
    for (let i = 0; i < 20; i++) tick(2, 2);
    expect(video.playbackRate).toBe(MIN_PACE_RATE);
  });

  it('leaves a rate the display cannot follow alone (4x a 30 fps file, 1x a 60 fps one)', () => {
    for (const [rate, fps] of [
      [4, 30],
      [1, 60],
    ] as const) {
      const { video, pace, tick } = setup(rate, fps);
      tick(30, 15);
      expect(video.playbackRate).toBe(rate);
      expect(pace.slowdowns).toBe(0);
    }
    // 1.5x a 30 fps file (45 frames a second) is still paced.
    const { video, tick } = setup(1.5, 30);
    tick(10, 2);
    expect(video.playbackRate).toBeCloseTo(1.05, 9);
  });

  it('slows down when the element stalls with data buffered ahead (the decoder is behind), at any rate', () => {
    const { video, pace } = setup(4, 30);
    // Stalls before playing (the start), or at the end of what is buffered, are not the decoder's.
    video.fire('waiting');
    video.fire('playing');
    video.playTo(4.8);
    video.fire('waiting');
    expect(pace.decoderStalls).toBe(0);
    video.playTo(1);
    video.fire('waiting');
    expect(pace.decoderStalls).toBe(1);
    expect(video.playbackRate).toBeCloseTo(2.8, 9);
    expect(pace.slowed).toBe(true);
  });

  it('ignores drops while paused or seeking (a seek drops the frames it skips)', () => {
    const { video, pace, tick } = setup();
    video.pause();
    tick(0, 5);
    void video.play();
    video.seeking = true;
    tick(3, 5);
    video.seeking = false;
    tick(7, 0);
    expect(video.playbackRate).toBe(1);
    expect(pace.slowdowns).toBe(0);
  });
});
