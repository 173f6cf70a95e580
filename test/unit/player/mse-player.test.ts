// The player façade against the scripted MediaSource/SourceBuffer/<video> (./fake-mse.ts), with vi's
// fake timers: files, live streams, seeks, a full buffer and the end of a file, as a page would
// drive them, with real segments of the fixtures.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PlayoutDelayPolicy } from '../../../src/player/live-latency.js';
import { MsePlayer } from '../../../src/player/mse-player.js';
import type { PlayerDeps, PlayerError, PlayerOptions } from '../../../src/player/mse-player.js';
import { alwaysVisible } from '../../../src/player/visibility.js';
import type { Visibility } from '../../../src/player/visibility.js';
import { FakeMediaSource, FakeVideo } from './fake-mse.js';
import type { FakeSourceBuffer } from './fake-mse.js';
import { reconnectedSegments, segmentsOf } from './segments.js';

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

/** A page's defaults, with the fakes: no `document`, no global MediaSource, no object URL. */
function fakeDeps(visibility: Visibility = alwaysVisible): PlayerDeps {
  return {
    mediaSource: { name: 'MediaSource', ctor: FakeMediaSource as unknown as typeof MediaSource },
    attach: (ms, media) => {
      (media as unknown as FakeVideo).attachSource(ms as unknown as FakeMediaSource);
      return () => media.load();
    },
    visibility,
  };
}

interface Harness {
  readonly video: FakeVideo;
  readonly player: MsePlayer;
  readonly errors: PlayerError[];
  readonly ms: FakeMediaSource;
  sb(): FakeSourceBuffer;
  /** Lets timers and promises run for `ms` milliseconds. */
  run(ms?: number): Promise<void>;
}

async function openPlayer(
  options: Partial<PlayerOptions>,
  deps: PlayerDeps = fakeDeps(),
): Promise<Harness> {
  const video = new FakeVideo();
  const player = new MsePlayer(video.asElement(), options, deps);
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
    // The core's timeline starts at 0 with B-frames too (negative composition offsets).
    expect(media[0]?.startPts).toBe(0);
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
    // No seek at the start: the first frame is where the playhead is.
    expect(h.video.seeks).toEqual([]);
    expect(h.ms.readyState).toBe('ended');
    expect(h.sb().frames).toHaveLength(120);
  });

  it('starts a file with half a second buffered ahead, or at its end when it is shorter', async () => {
    // Frame by frame, as a slow page appends them: not playing before 0.5 s is buffered.
    const h = await openPlayer({ live: false });
    const { init, media } = segmentsOf('p01', { fragment: 'frame' });
    let started = 0;
    h.player.onStarted = () => started++;
    h.player.appendInit(init);
    for (const m of media.slice(0, 10)) {
      h.player.appendMedia(m);
      await h.run(5);
    }
    expect(started).toBe(0);
    expect(h.video.paused).toBe(true);
    for (const m of media.slice(10, 16)) {
      h.player.appendMedia(m);
      await h.run(5);
    }
    expect(started).toBe(1);
    expect(h.video.paused).toBe(false);
    // A file shorter than that (4 frames): it starts when its end is known.
    const s = await openPlayer({ live: false });
    let shortStarted = 0;
    s.player.onStarted = () => shortStarted++;
    s.player.appendInit(init);
    for (const m of media.slice(0, 4)) s.player.appendMedia(m);
    await s.run(20);
    expect(shortStarted).toBe(0);
    s.player.endOfStream();
    await s.run(20);
    expect(shortStarted).toBe(1);
    expect(s.video.paused).toBe(false);
  });

  it('appends a file’s queued media in one batch; live, the first frame alone', async () => {
    const h = await openPlayer({ live: false });
    const { init, media } = segmentsOf('p01');
    h.player.appendInit(init);
    for (const m of media) h.player.appendMedia(m);
    await h.run(50);
    // init, then the five GOPs together.
    expect(h.sb().log.filter((l) => l.startsWith('append'))).toHaveLength(2);
    expect(h.sb().frames).toHaveLength(150);

    const l = await openPlayer({ live: true, maxAhead: Infinity });
    const frames = segmentsOf('p01', { fragment: 'frame' });
    l.player.appendInit(frames.init);
    for (const m of frames.media.slice(0, 10)) l.player.appendMedia(m);
    await l.run(50);
    // init, the first frame alone (the fastest start), then the nine others together.
    expect(l.sb().log.filter((x) => x.startsWith('append'))).toHaveLength(3);
  });

  it('keeps a duration estimate beyond what is buffered, exact at the end', async () => {
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
    expect(h.ms.duration).toBe(7);
    for (const m of media.slice(1)) h.player.appendMedia(m);
    h.player.endOfStream();
    await h.run(50);
    expect(h.ms.duration).toBeCloseTo(5, 6);
  });

  it('stays ended when the back buffer is trimmed after the end of the stream', async () => {
    // A long file: everything is appended and the stream ended while the playhead is still far
    // from the end; trimming behind the playhead later must not leave the MediaSource open
    // (MSE §3.2 remove re-opens an ended source), or the element never reaches `ended`.
    const h = await openPlayer({ live: false, keepBehind: 1 });
    const { init, media } = segmentsOf('p01');
    h.player.appendInit(init);
    for (const m of media) h.player.appendMedia(m);
    h.player.endOfStream();
    await h.run(50);
    expect(h.ms.readyState).toBe('ended');
    h.video.playTo(4.5);
    await h.run(600);
    expect(h.sb().log.some((l) => l.startsWith('remove'))).toBe(true);
    expect(h.video.buffered.toArray()[0]?.[0]).toBeGreaterThan(0);
    expect(h.ms.readyState).toBe('ended');
    expect(h.errors).toEqual([]);
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

  it('does not recurse when nothing can be evicted: it retries later, then gives up with an error', async () => {
    const h = await openPlayer({ live: false, keepBehind: 100 });
    const { init, media } = segmentsOf('p01');
    h.player.appendInit(init);
    h.player.appendMedia(media[0] as never);
    await h.run(20);
    const sb = h.sb();
    sb.quota = sb.storedBytes;
    // The playhead is in the only GOP: nothing behind it can go.
    h.video.playTo(0.5);
    const callsBefore = sb.appendCalls;
    expect(() => h.player.appendMedia(media[1] as never)).not.toThrow();
    // One attempt now, then one per retry: no synchronous loop.
    expect(sb.appendCalls - callsBefore).toBe(1);
    await h.run(60_000);
    expect(sb.appendCalls - callsBefore).toBeLessThan(20);
    expect(h.errors.map((e) => e.code)).toEqual(['BUFFER_FULL']);
  });

  it('appends again once the playhead has moved and room can be made', async () => {
    const h = await openPlayer({ live: false, keepBehind: 100 });
    const { init, media } = segmentsOf('p01');
    h.player.appendInit(init);
    for (const m of media.slice(0, 2)) h.player.appendMedia(m);
    await h.run(20);
    const sb = h.sb();
    const third = media[2];
    if (!third) throw new Error('p01 has 5 GOPs');
    // The third GOP fits only once the first has gone.
    sb.quota = sb.storedBytes + third.data.byteLength - 1;
    h.video.playTo(0.5);
    h.player.appendMedia(third);
    await h.run(700);
    expect(sb.frames).toHaveLength(60);
    h.video.playTo(1.2);
    await h.run(1000);
    expect(h.errors).toEqual([]);
    expect(h.video.buffered.toArray()).toEqual([[1, 3]]);
  });
});

describe('MsePlayer, live', () => {
  const live = { live: true, keepBehind: 4, maxAhead: Infinity } as const;

  it('needs no page: it plays where there is no document (a worker)', async () => {
    expect(typeof document).toBe('undefined');
    const h = await openPlayer(live);
    const { init, media } = segmentsOf('p01', { fragment: 'frame' });
    h.player.appendInit(init);
    for (const m of media.slice(0, 10)) h.player.appendMedia(m);
    await h.run(300);
    expect(h.errors).toEqual([]);
    expect(h.video.paused).toBe(false);
    expect(h.sb().frames).toHaveLength(10);
  });

  it("tells its latency policy of a reconnect before the new connection's first frame arrives", async () => {
    const log: string[] = [];
    class Logged extends PlayoutDelayPolicy {
      override arrived(now: number, mediaTime: number): void {
        log.push(`arrived ${mediaTime.toFixed(3)}`);
        super.arrived(now, mediaTime);
      }
      override discontinuity(): void {
        log.push('discontinuity');
        super.discontinuity();
      }
    }
    const h = await openPlayer(live, { ...fakeDeps(), livePolicy: () => new Logged(undefined) });
    for (const out of reconnectedSegments('p01', 90)) {
      if (out.type === 'init') h.player.appendInit(out);
      else h.player.appendMedia(out);
      await h.run(34);
    }
    expect(h.errors).toEqual([]);
    const at = log.indexOf('discontinuity');
    expect(log.filter((l) => l === 'discontinuity')).toHaveLength(1);
    // Frame 90 (3 s) is the new connection's first.
    expect(log[at - 1]).toBe('arrived 2.967');
    expect(log[at + 1]).toBe('arrived 3.000');
  });

  it('counts no stall while the page is hidden, and returns to the edge when it is shown', async () => {
    const listeners: (() => void)[] = [];
    const page = {
      visible: true,
      subscribe(listener: () => void) {
        listeners.push(listener);
        return () => undefined;
      },
    };
    const h = await openPlayer(live, fakeDeps(page));
    const { init, media } = segmentsOf('p01', { fragment: 'frame' });
    h.player.appendInit(init);
    h.player.appendMedia(media[0] as never);
    // Past the join (a burst in the first seconds jumps once by itself).
    await h.run(3100);
    page.visible = false;
    h.video.fire('waiting');
    expect(h.player.stats.underflows).toBe(0);
    // Hidden: frames keep arriving, the playhead does not move (2 s behind, below the far-behind jump).
    for (const m of media.slice(1, 61)) h.player.appendMedia(m);
    await h.run(20);
    const jumps = h.player.stats.jumps;
    h.video.pause();
    page.visible = true;
    for (const listener of listeners) listener();
    expect(h.player.stats.jumps).toBe(jumps + 1);
    expect(h.video.currentTime).toBeGreaterThan(1.9);
    expect(h.video.paused).toBe(false);
    expect(h.player.stats.skippedFrames).toBeGreaterThan(50);
  });

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

  it('holds an adaptive playout delay: stalls raise its target, a fixed latency is kept as is', async () => {
    const h = await openPlayer(live);
    const { init, media } = segmentsOf('p01', { fragment: 'frame' });
    h.player.appendInit(init);
    h.player.appendMedia(media[0] as never);
    await h.run(20);
    const start = h.player.stats.targetDelayMs;
    expect(start).toBeGreaterThan(0);
    await h.run(1500);
    for (let i = 0; i < 10; i++) h.video.fire('waiting');
    expect(h.player.stats.underflows).toBe(10);
    expect(h.player.stats.targetDelayMs).toBeGreaterThan(start + 40);
    expect(h.player.stats.stallsPerMinute).toBeGreaterThan(0);

    const fixed = await openPlayer({ ...live, targetLatency: 0.25 });
    fixed.player.appendInit(init);
    fixed.player.appendMedia(media[0] as never);
    await fixed.run(1500);
    for (let i = 0; i < 10; i++) fixed.video.fire('waiting');
    expect(fixed.player.stats.targetDelayMs).toBe(250);
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

  it('trims only where Chromium starts: not at a recovery point on a P picture, at an anchor', async () => {
    // p17: an IDR picture at 0, recovery points on P pictures every second; anchors before those at
    // 2 s and 4 s. Chromium's MSE takes no such recovery point for a random access point: a removal up
    // to one takes every frame up to the next one it takes (all of them, in a camera's stream).
    const h = await openPlayer({ ...live, keepBehind: 1 });
    const { init, media } = segmentsOf('p17', {
      fragment: 'frame',
      startPicture: true,
      anchorInterval: 2,
    });
    h.player.appendInit(init);
    for (const m of media) h.player.appendMedia(m);
    await h.run(50);
    h.video.playTo(4.5);
    await h.run(300);
    const removals = h.sb().log.filter((entry) => entry.startsWith('remove'));
    expect(removals).toEqual(['remove 0-2']);
    expect(h.errors).toEqual([]);
  });
});
