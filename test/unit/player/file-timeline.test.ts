// A file's timeline with the real MediaSource host, append queue and back buffer on the scripted
// MediaSource: seek restart, duration estimate and the end.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppendQueue } from '../../../src/player/append-queue.js';
import { BackBuffer } from '../../../src/player/back-buffer.js';
import { FileTimeline } from '../../../src/player/file-timeline.js';
import { MediaSourceHost } from '../../../src/player/media-source.js';
import { FakeClock } from './fake-clock.js';
import { FakeMediaSource, FakeVideo } from './fake-mse.js';
import type { FakeSourceBuffer } from './fake-mse.js';
import { segmentsOf } from './segments.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

async function setup() {
  const video = new FakeVideo();
  const host = new MediaSourceHost(
    video.asElement(),
    { name: 'MediaSource', ctor: FakeMediaSource as unknown as typeof MediaSource },
    (ms, media) => {
      (media as unknown as FakeVideo).attachSource(ms as unknown as FakeMediaSource);
      return () => undefined;
    },
  );
  const opened = host.open();
  await vi.advanceTimersByTimeAsync(1);
  await opened;
  const backBuffer = new BackBuffer(30);
  const seeks: number[] = [];
  const ends: string[] = [];
  const ms = (): FakeMediaSource => video.mediaSource as FakeMediaSource;
  const queue: AppendQueue<unknown> = new AppendQueue<unknown>({
    clock: new FakeClock(),
    appended: () => undefined,
    removed: () => timeline.removed(),
    evictable: () => undefined,
    playhead: () => ({ time: video.currentTime, paused: video.paused }),
    batching: () => true,
    failed: (e) => {
      throw e;
    },
  });
  const timeline = new FileTimeline({
    media: video.asElement(),
    host,
    queue,
    backBuffer,
    seekOutsideBuffer: (t) => seeks.push(t),
    beforeEnd: () => ends.push(ms().readyState),
  });
  const { init, media } = segmentsOf('p03');
  const sb = host.prepare(init.mimeType) as unknown as FakeSourceBuffer;
  queue.attach(sb as unknown as SourceBuffer);
  return { video, host, queue, timeline, sb, ms: ms(), init, media, seeks, ends, backBuffer };
}

const run = (ms = 1) => vi.advanceTimersByTimeAsync(ms);

describe('FileTimeline', () => {
  it('restarts at a keyframe: drops what is queued and buffered, places the new segments on the file timeline', async () => {
    const s = await setup();
    const first = s.media[0];
    if (!first) throw new Error('no media');
    expect(first.startPts).toBe(0);
    s.queue.push({ kind: 'append', data: s.init.data, meta: 0, batchable: false });
    s.queue.push({ kind: 'append', data: first.data, meta: 0, batchable: true });
    await run(5);
    const generation = s.backBuffer.generation;
    // The keyframe presented 2 s into the file: a fresh transmuxer presents it at 0.
    s.timeline.restart(2);
    expect(s.backBuffer.generation).toBe(generation + 1);
    s.queue.push({ kind: 'append', data: first.data, meta: 0, batchable: true });
    await run(5);
    const [removal, offset, append] = s.sb.log.slice(-3);
    expect(removal).toBe('remove 0-Infinity');
    expect(offset).toBe('timestampOffset 2');
    expect(append).toBe(`append ${first.data.byteLength}`);
    // The keyframe lands at its place on the file's timeline, where the seek expects it.
    expect(s.video.buffered.toArray()[0]?.[0]).toBeCloseTo(2, 9);
    expect(s.timeline.restarts).toBe(1);
  });

  it('sets the latest duration estimate (with a margin) when the buffer is idle, never after the end', async () => {
    const s = await setup();
    s.sb.autoComplete = false;
    s.queue.push({ kind: 'append', data: s.init.data, meta: 0, batchable: false });
    s.timeline.setDurationEstimate(3);
    s.timeline.setDurationEstimate(4);
    s.sb.complete();
    // One second beyond the expected end: the clock must not reach the duration before the end is
    // known (endOfStream would then shrink it below the playhead, a seek that flushes the decoder).
    expect(s.ms.log.filter((l) => l.startsWith('duration'))).toEqual(['duration 5']);
    // Closer than half a second to the current duration: not worth a change.
    s.timeline.setDurationEstimate(4.2);
    expect(s.ms.log.filter((l) => l.startsWith('duration'))).toHaveLength(1);
    s.timeline.end();
    s.timeline.setDurationEstimate(9);
    expect(s.ms.readyState).toBe('ended');
    expect(s.ms.log.filter((l) => l.startsWith('duration'))).toHaveLength(1);
  });

  it('ends once everything queued is appended, and ends again after a removal re-opened the source', async () => {
    const s = await setup();
    s.queue.push({ kind: 'append', data: s.init.data, meta: 0, batchable: false });
    for (const m of s.media)
      s.queue.push({ kind: 'append', data: m.data, meta: 0, batchable: true });
    s.timeline.end();
    expect(s.timeline.ending).toBe(true);
    expect(s.ms.readyState).toBe('open');
    await run(10);
    expect(s.ms.readyState).toBe('ended');
    // The player's last look at the playhead came right before (still open).
    expect(s.ends).toEqual(['open']);
    s.queue.remove(0, 2);
    expect(s.ms.readyState).toBe('open');
    await run(5);
    expect(s.ms.log.slice(-3)).toEqual(['endOfStream', 'reopened', 'endOfStream']);
    expect(s.ms.readyState).toBe('ended');
  });

  it('reports a seek to a time that is not buffered', async () => {
    const s = await setup();
    s.queue.push({ kind: 'append', data: s.init.data, meta: 0, batchable: false });
    s.queue.push({ kind: 'append', data: (s.media[0] ?? s.init).data, meta: 0, batchable: true });
    await run(5);
    s.video.playTo(1);
    s.timeline.seeking();
    s.video.playTo(3.5);
    s.timeline.seeking();
    expect(s.seeks).toEqual([3.5]);
  });
});
