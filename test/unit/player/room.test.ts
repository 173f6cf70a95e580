// File backpressure: the source waits while the queue is long or enough is buffered ahead.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BufferRoom } from '../../../src/player/room.js';
import { FakeVideo, videoWith } from './fake-mse.js';
import { segmentsOf } from './segments.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function bufferedVideo(): FakeVideo {
  const { init, media } = segmentsOf('p01');
  return videoWith([init.data, ...media.map((m) => m.data)]);
}

describe('BufferRoom', () => {
  it('waits while more than maxAhead seconds are buffered ahead, until the playhead moves', async () => {
    const video = bufferedVideo();
    let queued = { segments: 0, seconds: 0 };
    const room = new BufferRoom(video.asElement(), () => queued, 2);
    let resolved = false;
    void room.wait().then(() => (resolved = true));
    room.check();
    await Promise.resolve();
    expect(resolved).toBe(false);
    video.playTo(3.5);
    queued = { segments: 9, seconds: 0 };
    room.check();
    await Promise.resolve();
    expect(resolved).toBe(false);
    // 1.5 s buffered ahead, 1 s queued: no room yet.
    queued = { segments: 1, seconds: 1 };
    room.check();
    await Promise.resolve();
    expect(resolved).toBe(false);
    queued = { segments: 1, seconds: 0.4 };
    room.check();
    await Promise.resolve();
    expect(resolved).toBe(true);
  });

  it('counts what is queued before the first frame too, and has room for good once released', async () => {
    const video = new FakeVideo();
    let queued = { segments: 3, seconds: 0.5 };
    const room = new BufferRoom(video.asElement(), () => queued, 1);
    expect(room.hasRoom).toBe(true);
    // A source chunk of many seconds, not appended yet: no more reading until it is.
    queued = { segments: 3, seconds: 20 };
    expect(room.hasRoom).toBe(false);
    const waiting = room.wait();
    room.release();
    await expect(waiting).resolves.toBeUndefined();
    expect(room.hasRoom).toBe(true);
  });
});
