// The live playout controller with the real policy, a scripted <video> and a fake clock: what it
// does to the element, and what it counts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PlayoutDelayPolicy } from '../../../src/player/live-latency.js';
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
function bufferedVideo(frames: number, offset = 0): FakeVideo {
  const { init, media } = segmentsOf('p01', { fragment: 'frame' });
  return videoWith([init.data, ...media.slice(0, frames).map((m) => m.data)], offset);
}

function setup(frames: number, visible = { visible: true }, offset = 0) {
  const video = bufferedVideo(frames, offset);
  const clock = new FakeClock();
  let idle = true;
  const listeners: (() => void)[] = [];
  const policy = new PlayoutDelayPolicy(undefined);
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
    policy,
    frames: new FrameCounter(video.asElement()),
    queueIdle: () => idle,
  });
  live.setFrameDuration(FRAME);
  return {
    video,
    clock,
    live,
    policy,
    listeners,
    setIdle: (v: boolean) => (idle = v),
  };
}

/** The target delay before any jitter is measured (the MSE margins). */
function targetOf(s: ReturnType<typeof setup>): number {
  return s.policy.targetMs(s.clock.now()) / 1000;
}

describe('LivePlayout', () => {
  it('jumps once to the playout clock when a join burst has settled, counting the frames it skips', () => {
    const s = setup(60);
    s.live.start();
    s.setIdle(false);
    // A GOP cache: two seconds of frames at once.
    for (let i = 0; i < 60; i++) s.live.arrived(i * FRAME);
    s.clock.advance(100);
    expect(s.video.seeks).toEqual([]);
    s.setIdle(true);
    s.live.appended();
    s.clock.advance(20);
    expect(s.video.seeks).toHaveLength(1);
    // The clock (the newest frame less the target, 112 ms on) is past the newest frame: there.
    expect(112 / 1000 - targetOf(s)).toBeGreaterThan(0);
    expect(s.video.seeks[0]).toBeCloseTo(59 * FRAME, 9);
    expect(s.live.jumps).toBe(1);
    expect(s.live.skippedFrames).toBe(59);
  });

  it('counts only the frames it held as skipped when a new MediaSource starts mid-stream', () => {
    // A MediaSource that took over 16 s into the stream (a move from the canvas, a media recovery):
    // the element's playhead is at 0, its buffer from 16 s on.
    const s = setup(60, { visible: true }, 16);
    s.live.start();
    s.setIdle(false);
    for (let i = 0; i < 60; i++) s.live.arrived(16 + i * FRAME);
    s.clock.advance(100);
    s.setIdle(true);
    s.live.appended();
    s.clock.advance(20);
    expect(s.video.seeks).toHaveLength(1);
    expect(s.video.seeks[0]).toBeCloseTo(16 + 59 * FRAME, 6);
    expect(s.live.skippedFrames).toBe(59); // not the 16 s before the buffer (539)
  });

  it('steers with small rate changes, and jumps back to rate 1 when far behind, playing a paused element', async () => {
    const s = setup(150);
    s.live.start();
    // Frames arrive in real time for 4 s: frame i at i/30 s.
    for (let i = 0; i < 120; i++) {
      s.live.arrived(i * FRAME);
      s.clock.advance(1000 / 30);
    }
    // Where the clock puts the playhead (the buffer holds 5 s: not past the newest frame).
    const desired = s.clock.now() / 1000 - targetOf(s);
    s.video.playTo(desired - 0.03);
    s.live.tick();
    expect(s.video.playbackRate).toBeCloseTo(1.03, 6);
    s.video.playTo(desired + 0.01);
    s.live.tick();
    expect(s.video.playbackRate).toBeCloseTo(0.99, 6);
    expect(s.video.seeks).toEqual([]);
    s.video.pause();
    s.video.playTo(1);
    s.clock.advance(1000);
    s.live.tick();
    expect(s.video.seeks).toHaveLength(1);
    // To the clock: 5 s less the target (jitter none, margins, two frames decoded ahead), which is
    // before the newest frame's start.
    expect(targetOf(s)).toBeCloseTo((8 + 2000 / 30) / 1000, 9);
    expect(s.video.seeks[0]).toBeCloseTo(5 - targetOf(s), 9);
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

  it('counts frames the compositor skipped (presentedFrames gaps) as late, not across a seek', () => {
    const s = setup(90);
    s.live.start();
    s.live.arrived(0);
    s.clock.advance(1500); // past the join, where lateness is not counted
    s.live.arrived(1.5);
    const before = targetOf(s);
    s.video.present(1);
    s.video.present(2);
    expect(s.live.unpresented).toBe(0);
    // A gap the element does not count as dropped (Firefox's callbacks miss frames it showed): not late.
    s.video.present(4);
    expect(s.live.unpresented).toBe(0);
    expect(targetOf(s)).toBe(before);
    s.video.droppedVideoFrames += 2;
    s.video.present(7);
    expect(s.live.unpresented).toBe(2);
    expect(targetOf(s)).toBeGreaterThan(before);
    s.video.currentTime = 2;
    s.video.present(20);
    s.video.present(21);
    expect(s.live.unpresented).toBe(2);
    s.live.destroy();
    expect(s.video.frameCallbackCount).toBe(0);
  });

  it('goes back to the playout clock when the page is shown again, and stops listening when destroyed', () => {
    const page = { visible: true };
    const s = setup(90, page);
    s.video.playTo(2.95);
    s.live.start();
    s.live.arrived(2.95); // at the edge: no join jump
    s.clock.advance(4000);
    page.visible = false;
    s.video.playTo(1);
    for (const l of s.listeners) l();
    expect(s.video.seeks).toEqual([]);
    page.visible = true;
    for (const l of [...s.listeners]) l();
    // The clock says 6.95 s less the target; the newest frame (2.95 s) is where it lands.
    expect(s.video.seeks).toEqual([3 - FRAME]);
    s.live.destroy();
    expect(s.listeners).toHaveLength(0);
    s.video.fire('waiting');
    s.live.tick();
    expect(s.video.seeks).toHaveLength(1);
  });
});
