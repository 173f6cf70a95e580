// Frame counts survive an engine's counter reset (WebKit resets them at each playbackRate change).
import { describe, expect, it } from 'vitest';
import { FrameCounter } from '../../../src/player/frame-counter.js';
import { FakeVideo } from './fake-mse.js';

describe('FrameCounter', () => {
  it('adds up the counts across resets', () => {
    const video = new FakeVideo();
    const counter = new FrameCounter(video.asElement());
    video.totalVideoFrames = 120;
    video.droppedVideoFrames = 4;
    expect(counter.read()).toEqual({ decoded: 120, dropped: 4 });
    // A rate change: the engine starts again from 0; reading at 'ratechange' keeps what came before.
    video.playbackRate = 1.25;
    video.totalVideoFrames = 0;
    video.droppedVideoFrames = 0;
    video.fire('ratechange');
    video.totalVideoFrames = 3;
    expect(counter.read()).toEqual({ decoded: 123, dropped: 4 });
    video.totalVideoFrames = 2;
    video.droppedVideoFrames = 0;
    expect(counter.read()).toEqual({ decoded: 125, dropped: 4 });
    expect(counter.resets).toBe(2);
  });

  it("WebKitGTK's MSE: the total starts again at a rate change, the dropped count does not, and the new total holds it again", () => {
    // Read in WebKitGTK 2.50 (a live page whose playout delay moves the rate), every 20 ms around
    // each change: 77/55 -> 56/55, 72/55 -> 57/55, 138/55 -> 57/55.
    const video = new FakeVideo();
    const counter = new FrameCounter(video.asElement());
    video.totalVideoFrames = 77;
    video.droppedVideoFrames = 55;
    expect(counter.read()).toEqual({ decoded: 77, dropped: 55 });
    video.totalVideoFrames = 56;
    expect(counter.read()).toEqual({ decoded: 78, dropped: 55 });
    video.totalVideoFrames = 72;
    counter.read();
    video.totalVideoFrames = 57;
    expect(counter.read()).toEqual({ decoded: 96, dropped: 55 });
    video.totalVideoFrames = 138;
    video.droppedVideoFrames = 56;
    counter.read();
    video.totalVideoFrames = 57;
    // Each frame once (before: every total added, 55 dropped added again at each change).
    expect(counter.read()).toEqual({ decoded: 178, dropped: 56 });
  });

  it('keeps what was counted right up to a rate change made through it', () => {
    const video = new FakeVideo();
    const counter = new FrameCounter(video.asElement());
    video.totalVideoFrames = 10;
    counter.read();
    // Frames decoded since the last read, then the player's rate change (the engine resets).
    video.totalVideoFrames = 14;
    counter.changeRate(0.7);
    expect(video.playbackRate).toBe(0.7);
    video.totalVideoFrames = 1;
    expect(counter.read().decoded).toBe(15);
  });

  it('counts shown frames as decoded less dropped, or as decoded where the engine counts dropped apart', () => {
    const video = new FakeVideo();
    const counter = new FrameCounter(video.asElement());
    video.totalVideoFrames = 100;
    video.droppedVideoFrames = 10;
    expect(counter.shown()).toBe(90);
    // WebKitGTK: 4K through MSE, most frames dropped by its sink, totalVideoFrames the rendered ones
    // (a panel reading decoded less dropped showed -64).
    video.totalVideoFrames = 130;
    video.droppedVideoFrames = 194;
    expect(counter.shown()).toBe(130);
    // Once seen, it holds (the dropped count may fall behind the rendered one again).
    video.totalVideoFrames = 400;
    expect(counter.shown()).toBe(400);
  });

  it('reads nothing from an element without playback quality', () => {
    const video = new FakeVideo();
    const counter = new FrameCounter({
      ...video.asElement(),
      addEventListener: () => undefined,
      getVideoPlaybackQuality: undefined,
    } as unknown as HTMLVideoElement);
    expect(counter.read()).toEqual({ decoded: 0, dropped: 0 });
  });
});
