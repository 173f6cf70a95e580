// Gaps and the start: a playhead outside the buffer moves to the next range, one inside it never
// moves, however slow the decoder.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GAP_NUDGE_MS, GapController } from '../../../src/player/gap-controller.js';
import { FakeClock } from './fake-clock.js';
import { FakeVideo, videoWith } from './fake-mse.js';
import { segmentsOf } from './segments.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A video with p01's GOPs `gops` buffered (each one second), placed `offset` s later. */
function gopsVideo(gops: readonly number[], offset = 0): FakeVideo {
  const { init, media } = segmentsOf('p01');
  return videoWith([init.data, ...gops.map((g) => media[g]?.data ?? new Uint8Array())], offset);
}

function setup(video: FakeVideo, file = true) {
  const clock = new FakeClock();
  let ready = 0;
  const gaps = new GapController(
    video.asElement(),
    clock,
    () => ready++,
    () => file,
  );
  return { clock, gaps, ready: () => ready };
}

describe('GapController', () => {
  it('moves a playhead stuck before the buffer to its start, after GAP_NUDGE_MS', () => {
    // A restart at a keyframe after the seek target: nothing will ever be appended before 3 s.
    const video = gopsVideo([3]);
    video.playTo(2.5);
    const { clock, gaps } = setup(video);
    gaps.tick();
    clock.advance(GAP_NUDGE_MS);
    gaps.tick();
    expect(video.seeks).toEqual([]);
    clock.advance(1);
    gaps.tick();
    expect(video.seeks).toEqual([3]);
    expect(gaps.jumps).toBe(1);
  });

  it('moves a playhead over a hole between ranges to the next one', () => {
    const video = gopsVideo([0, 2]);
    video.playTo(1);
    const { clock, gaps } = setup(video);
    gaps.tick();
    clock.advance(GAP_NUDGE_MS + 1);
    gaps.tick();
    expect(video.seeks).toEqual([2]);
  });

  it('never moves a playhead inside the buffer, however long the decoder keeps it waiting', () => {
    const video = gopsVideo([0, 1]);
    video.playTo(0.5);
    video.readyStateOverride = 2; // HAVE_CURRENT_DATA: the decoder is behind
    const { clock, gaps } = setup(video);
    for (let i = 0; i < 100; i++) {
      gaps.tick();
      clock.advance(250);
    }
    expect(video.seeks).toEqual([]);
  });

  it('leaves a playhead alone while it plays on or seeks', () => {
    const video = gopsVideo([3]);
    video.playTo(2.5);
    const { clock, gaps } = setup(video);
    video.readyStateOverride = 3;
    gaps.tick();
    clock.advance(GAP_NUDGE_MS * 2);
    gaps.tick();
    video.readyStateOverride = undefined;
    video.seeking = true;
    gaps.tick();
    clock.advance(GAP_NUDGE_MS * 2);
    gaps.tick();
    expect(video.seeks).toEqual([]);
  });

  it('takes a file’s playhead that ran past the data (a starved page) back to the frames it skipped', () => {
    const { init, media } = segmentsOf('p01');
    const video = videoWith([init.data, (media[0] ?? init).data]);
    const { gaps } = setup(video);
    video.playTo(0.5);
    gaps.tick();
    // The element's clock ran on to the duration while nothing could be appended...
    video.playTo(2.98);
    gaps.tick();
    expect(video.seeks).toEqual([]);
    // ...then the next GOP arrived, behind the playhead.
    const sb = video.mediaSource?.sourceBuffers[0];
    sb?.appendBuffer((media[1] ?? init).data);
    sb?.complete();
    gaps.tick();
    expect(video.seeks).toEqual([1]);
    expect(gaps.runOffs).toBe(1);
    expect(gaps.jumps).toBe(0);
  });

  it('leaves a live playhead past the data, and one that got there by a seek, alone', () => {
    const live = gopsVideo([0, 2]);
    const l = setup(live, false);
    live.playTo(0.5);
    l.gaps.tick();
    live.playTo(3.5);
    l.gaps.tick();
    expect(live.seeks).toEqual([]);

    const video = gopsVideo([0, 2]);
    const f = setup(video);
    video.playTo(0.5);
    f.gaps.tick();
    video.currentTime = 3.5;
    video.seeking = false;
    f.gaps.tick();
    expect(video.seeks).toEqual([3.5]);
    expect(f.gaps.runOffs).toBe(0);
  });

  it('leaves a file’s playhead just past the end alone while nothing is appended behind it', () => {
    const video = gopsVideo([0, 1]);
    const { gaps } = setup(video);
    video.playTo(1.9);
    gaps.tick();
    video.playTo(2.05);
    gaps.tick();
    expect(video.seeks).toEqual([]);
  });

  it('positions the start only when the first frame is after the playhead, waiting for metadata', () => {
    const atZero = setup(new FakeVideo());
    expect(atZero.gaps.positionStart(0)).toBe('done');

    const video = new FakeVideo();
    const later = setup(video);
    expect(later.gaps.positionStart(1.5)).toBe('wait');
    expect(later.gaps.positionStart(1.5)).toBe('wait');
    video.fire('loadedmetadata');
    expect(later.ready()).toBe(1);
    // Metadata, and a seekable range covering the start (an open MediaSource with a duration).
    video.mediaSource = gopsVideo([1], 0.5).mediaSource;
    const ms = video.mediaSource;
    if (!ms) throw new Error('no source');
    ms.duration = 10;
    expect(later.gaps.positionStart(1.5)).toBe('done');
    expect(video.seeks).toEqual([1.5]);
    // Once positioned, later calls (a restart) do nothing.
    expect(later.gaps.positionStart(5)).toBe('done');
    expect(video.seeks).toEqual([1.5]);
  });
});
