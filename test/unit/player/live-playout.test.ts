// The live playout controller with the real policy, a scripted <video> and a fake clock: what it
// does to the element, and what it counts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EdgeGuardPolicy } from '../../../src/player/live-latency.js';
import { FrameCounter } from '../../../src/player/frame-counter.js';
import { LivePlayout } from '../../../src/player/live-playout.js';
import { FakeClock } from './fake-clock.js';
import { videoWith } from './fake-mse.js';
import type { FakeVideo } from './fake-mse.js';
import { segmentsOf } from './segments.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const FRAME = 1 / 30;

/** A video whose buffer holds the first `frames` frames of p01 (live fragments). */
function bufferedVideo(frames: number): FakeVideo {
  const { init, media } = segmentsOf('p01', { fragment: 'frame' });
  return videoWith([init.data, ...media.slice(0, frames).map((m) => m.data)]);
}

function setup(frames: number, visible = { visible: true }) {
  const video = bufferedVideo(frames);
  const clock = new FakeClock();
  let idle = true;
  const listeners: (() => void)[] = [];
  const live = new LivePlayout({
    media: video.asElement(),
    clock,
    visibility: {
      get visible() {
        return visible.visible;
      },
      subscribe: (l) => {
        listeners.push(l);
        return () => listeners.splice(listeners.indexOf(l), 1);
      },
    },
    policy: new EdgeGuardPolicy({ targetLatency: 0, maxGuardFrames: 0.6 }),
    frames: new FrameCounter(video.asElement()),
    queueIdle: () => idle,
  });
  live.setFrameDuration(FRAME);
  return {
    video,
    clock,
    live,
    listeners,
    setIdle: (v: boolean) => (idle = v),
  };
}

describe('LivePlayout', () => {
  it('jumps once to the edge when a join burst has settled, counting the frames it skips', () => {
    const s = setup(60);
    s.live.start();
    s.setIdle(false);
    s.clock.advance(20);
    expect(s.video.seeks).toEqual([]);
    s.setIdle(true);
    s.live.appended();
    s.clock.advance(20);
    expect(s.video.seeks).toEqual([2 - FRAME]);
    expect(s.live.jumps).toBe(1);
    expect(s.live.skippedFrames).toBe(59);
  });

  it('speeds up when behind and jumps back to rate 1 when far behind, playing a paused element', async () => {
    const s = setup(150);
    s.live.start();
    s.clock.advance(4000);
    s.video.playTo(4.5);
    s.live.tick();
    expect(s.video.playbackRate).toBeGreaterThan(1);
    s.video.pause();
    s.video.playTo(1);
    s.live.tick();
    expect(s.video.seeks.slice(-1)).toEqual([5 - FRAME]);
    expect(s.video.playbackRate).toBe(1);
    await Promise.resolve();
    expect(s.video.paused).toBe(false);
  });

  it('counts a stall only while playing, not seeking, in a visible page', () => {
    const page = { visible: true };
    const s = setup(30, page);
    s.video.fire('waiting');
    expect(s.live.underflows).toBe(0);
    s.live.start();
    s.video.fire('waiting');
    expect(s.live.underflows).toBe(0); // paused
    void s.video.play();
    s.video.fire('waiting');
    expect(s.live.underflows).toBe(1);
    page.visible = false;
    s.video.fire('waiting');
    expect(s.live.underflows).toBe(1);
  });

  it('goes back to the edge when the page is shown again, and stops listening when destroyed', () => {
    const page = { visible: true };
    const s = setup(90, page);
    s.video.playTo(2.95); // at the edge: no join jump
    s.live.start();
    s.clock.advance(4000);
    page.visible = false;
    s.video.playTo(1);
    for (const l of s.listeners) l();
    expect(s.video.seeks).toEqual([]);
    page.visible = true;
    for (const l of [...s.listeners]) l();
    expect(s.video.seeks).toEqual([3 - FRAME]);
    s.live.destroy();
    expect(s.listeners).toHaveLength(0);
    s.video.fire('waiting');
    s.live.tick();
    expect(s.video.seeks).toHaveLength(1);
  });
});
