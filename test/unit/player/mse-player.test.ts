// The player façade against the scripted MediaSource/SourceBuffer/<video> (./fake-mse.ts), with vi's
// fake timers: files, live streams, seeks, a full buffer and the end of a file, as a page would
// drive them, with real segments of the fixtures.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MsePlayer } from '../../../src/player/mse-player.js';
import type { PlayerError, PlayerOptions } from '../../../src/player/mse-player.js';
import { FakeMediaSource, FakeVideo, fakeObjectUrl } from './fake-mse.js';
import type { FakeSourceBuffer } from './fake-mse.js';
import { segmentsOf } from './segments.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubGlobal('MediaSource', FakeMediaSource);
  vi.spyOn(URL, 'createObjectURL').mockImplementation(fakeObjectUrl);
  vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined);
  const doc = Object.assign(new EventTarget(), { visibilityState: 'visible' });
  vi.stubGlobal('document', doc);
  vi.stubGlobal('HTMLMediaElement', { HAVE_METADATA: 1, HAVE_FUTURE_DATA: 3 });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

interface Harness {
  readonly video: FakeVideo;
  readonly player: MsePlayer;
  readonly errors: PlayerError[];
  readonly ms: FakeMediaSource;
  sb(): FakeSourceBuffer;
  /** Lets timers and promises run for `ms` milliseconds. */
  run(ms?: number): Promise<void>;
}

async function openPlayer(options: Partial<PlayerOptions>): Promise<Harness> {
  const video = new FakeVideo();
  const player = new MsePlayer(video.asElement(), options);
  const errors: PlayerError[] = [];
  player.onError = (e) => errors.push(e);
  const opened = player.open();
  await vi.advanceTimersByTimeAsync(1);
  await opened;
  const ms = video.mediaSource;
  if (!ms) throw new Error('the player did not attach a MediaSource');
  return {
    video,
    player,
    errors,
    ms,
    sb() {
      const sb = ms.sourceBuffers[0];
      if (!sb) throw new Error('no SourceBuffer yet');
      return sb;
    },
    run: async (time = 1) => {
      await vi.advanceTimersByTimeAsync(time);
    },
  };
}

describe('MsePlayer, a file', () => {
  it('appends every segment, starts at 0 with B-frames, plays, and ends the stream', async () => {
    const h = await openPlayer({ live: false });
    const { init, media } = segmentsOf('p03');
    expect(media[0]?.startPts).toBeGreaterThan(0);
    let started = 0;
    h.player.onStarted = () => started++;
    h.player.appendInit(init);
    for (const m of media) h.player.appendMedia(m);
    h.player.endOfStream();
    await h.run(50);
    expect(h.errors).toEqual([]);
    expect(started).toBe(1);
    expect(h.video.paused).toBe(false);
    const buffered = h.video.buffered.toArray();
    expect(buffered).toHaveLength(1);
    expect(buffered[0]?.[0]).toBeCloseTo(0, 6);
    expect(buffered[0]?.[1]).toBeCloseTo(120 / 30, 6);
    // No seek at the start: the timeline shift put the first frame where the playhead is.
    expect(h.video.seeks).toEqual([]);
    expect(h.ms.readyState).toBe('ended');
    expect(h.sb().frames).toHaveLength(120);
  });

  it('appends the media queued behind the first one in one batch', async () => {
    const h = await openPlayer({ live: false });
    const { init, media } = segmentsOf('p01');
    h.player.appendInit(init);
    for (const m of media) h.player.appendMedia(m);
    await h.run(50);
    const appends = h.sb().log.filter((l) => l.startsWith('append'));
    // init, the first media segment alone (the start), then the other four together.
    expect(appends).toHaveLength(3);
    expect(h.sb().frames).toHaveLength(150);
  });

  it('keeps a duration estimate at or above what is buffered, exact at the end', async () => {
    const h = await openPlayer({ live: false });
    const { init, media } = segmentsOf('p01');
    h.player.appendInit(init);
    h.player.appendMedia(media[0] as never);
    h.player.setDurationEstimate(0.5);
    await h.run(20);
    // Never below the buffered frames (MSE would refuse).
    expect(h.ms.duration).toBeGreaterThanOrEqual(1);
    h.player.setDurationEstimate(6);
    await h.run(20);
    expect(h.ms.duration).toBe(6);
    for (const m of media.slice(1)) h.player.appendMedia(m);
    h.player.endOfStream();
    await h.run(50);
    expect(h.ms.duration).toBeCloseTo(5, 6);
  });

  it('reports a seek outside the buffer and restarts there on the file timeline', async () => {
    const h = await openPlayer({ live: false });
    const { init, media } = segmentsOf('p01');
    const seeks: number[] = [];
    h.player.onSeekOutsideBuffer = (t) => seeks.push(t);
    h.player.appendInit(init);
    h.player.appendMedia(media[0] as never);
    await h.run(20);
    h.video.currentTime = 3.5;
    expect(seeks).toEqual([3.5]);
    // The source restarts at the keyframe of frame 90 (3 s): a fresh transmuxer's segments start at 0.
    h.player.restart(3);
    h.player.appendInit(init);
    h.player.appendMedia(media[0] as never);
    await h.run(20);
    expect(h.sb().log).toContain('remove 0-Infinity');
    expect(h.video.buffered.toArray()).toEqual([[3, 4]]);
    expect(h.player.stats.restarts).toBe(1);
  });

  it('waits for room while more than maxAhead is buffered', async () => {
    const h = await openPlayer({ live: false, maxAhead: 2 });
    const { init, media } = segmentsOf('p01');
    h.player.appendInit(init);
    for (const m of media.slice(0, 3)) h.player.appendMedia(m);
    await h.run(20);
    let room = false;
    void h.player.waitForRoom().then(() => (room = true));
    await h.run(300);
    expect(room).toBe(false);
    h.video.playTo(1.5);
    h.video.fire('timeupdate');
    await h.run(1);
    expect(room).toBe(true);
  });
});

describe('MsePlayer, a full buffer', () => {
  it('evicts behind the playhead up to a keyframe and appends the same segment again', async () => {
    const h = await openPlayer({ live: false, keepBehind: 100 });
    const { init, media } = segmentsOf('p01');
    h.player.appendInit(init);
    for (const m of media.slice(0, 3)) h.player.appendMedia(m);
    await h.run(20);
    const sb = h.sb();
    sb.quota = sb.storedBytes + 1;
    h.video.playTo(2.5);
    h.player.appendMedia(media[3] as never);
    await h.run(50);
    expect(h.errors).toEqual([]);
    expect(h.player.stats.quotaExceeded).toBeGreaterThanOrEqual(1);
    // Removed up to the keyframe at or before the playhead (2 s): the GOP being played stays whole.
    expect(sb.log).toContain('remove 0-2');
    expect(h.video.buffered.toArray()).toEqual([[2, 4]]);
  });
});

describe('MsePlayer, live', () => {
  const live = { live: true, keepBehind: 4, maxAhead: Infinity } as const;

  it('starts at the first frame, then speeds up gently when behind and jumps when far behind', async () => {
    const h = await openPlayer(live);
    const { init, media } = segmentsOf('p01', { fragment: 'frame' });
    h.player.appendInit(init);
    h.player.appendMedia(media[0] as never);
    await h.run(20);
    expect(h.video.paused).toBe(false);
    for (const m of media.slice(1, 40)) h.player.appendMedia(m);
    await h.run(20);
    // The burst (a relay's GOP cache) settled: one jump towards the edge.
    expect(h.player.stats.jumps).toBe(1);
    const afterJoin = h.video.currentTime;
    expect(afterJoin).toBeGreaterThan(1.1);
    // A little behind: faster than 1x, no seek.
    h.video.playTo(afterJoin - 0.2);
    await h.run(260);
    expect(h.video.playbackRate).toBeGreaterThan(1);
    expect(h.video.playbackRate).toBeLessThanOrEqual(2);
    expect(h.player.stats.jumps).toBe(1);
    // Far behind (a hidden tab): a jump to the edge.
    for (const m of media.slice(40, 140)) h.player.appendMedia(m);
    await h.run(50);
    await h.run(260);
    expect(h.player.stats.jumps).toBe(2);
    expect(h.video.currentTime).toBeGreaterThan(4.5);
  });

  it('keeps a guard behind the edge after stalls, within maxGuardFrames', async () => {
    const h = await openPlayer({ ...live, maxGuardFrames: 0.6 });
    const { init, media } = segmentsOf('p01', { fragment: 'frame' });
    h.player.appendInit(init);
    h.player.appendMedia(media[0] as never);
    await h.run(20);
    expect(h.player.stats.guardMs).toBeCloseTo(20, 3);
    await h.run(1500);
    for (let i = 0; i < 10; i++) h.video.fire('waiting');
    expect(h.player.stats.underflows).toBe(10);
    expect(h.player.stats.guardMs).toBeLessThanOrEqual(20 + 1e-9);
  });

  it('trims the back buffer at keyframes from a timer', async () => {
    const h = await openPlayer({ ...live, keepBehind: 2 });
    const { init, media } = segmentsOf('p01', { fragment: 'frame' });
    h.player.appendInit(init);
    for (const m of media) h.player.appendMedia(m);
    await h.run(50);
    h.video.playTo(4.95);
    await h.run(300);
    expect(h.sb().log).toContain('remove 0-2');
    expect(h.errors).toEqual([]);
  });
});
