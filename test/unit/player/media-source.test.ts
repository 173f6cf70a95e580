// Opening the MediaSource, the SourceBuffer and changeType, the duration and the end.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MediaSourceHost } from '../../../src/player/media-source.js';
import type { MediaSourceKind } from '../../../src/player/media-source.js';
import { FakeMediaSource, FakeVideo } from './fake-mse.js';
import type { FakeSourceBuffer } from './fake-mse.js';
import { segmentsOf } from './segments.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const KIND: MediaSourceKind = {
  name: 'ManagedMediaSource',
  ctor: FakeMediaSource as unknown as typeof MediaSource,
};

async function opened(video = new FakeVideo()) {
  let detached = 0;
  const host = new MediaSourceHost(video.asElement(), KIND, (ms, media) => {
    (media as unknown as FakeVideo).attachSource(ms as unknown as FakeMediaSource);
    return () => detached++;
  });
  const open = host.open();
  await vi.advanceTimersByTimeAsync(1);
  await open;
  return { host, video, detached: () => detached };
}

describe('MediaSourceHost', () => {
  it('fails with NO_MSE where there is no MediaSource', async () => {
    const host = new MediaSourceHost(new FakeVideo().asElement(), undefined);
    await expect(host.open()).rejects.toMatchObject({ code: 'NO_MSE' });
    expect(host.name).toBe('none');
  });

  it('opens, creates the SourceBuffer once, and switches type with changeType', async () => {
    const { host, video, detached } = await opened();
    expect(host.readyState).toBe('open');
    expect(host.name).toBe('ManagedMediaSource');
    const a = host.prepare('video/mp4; codecs="avc1.42C01E"');
    expect(host.prepare('video/mp4; codecs="avc1.42C01E"')).toBe(a);
    expect(host.typeChanges).toBe(0);
    const b = host.prepare('video/mp4; codecs="avc1.64001F"') as unknown as FakeSourceBuffer;
    expect(b).toBe(a);
    expect(b.log).toEqual(['changeType video/mp4; codecs="avc1.64001F"']);
    expect(host.typeChanges).toBe(1);
    expect(host.mimeType).toBe('video/mp4; codecs="avc1.64001F"');
    expect(video.mediaSource?.sourceBuffers).toHaveLength(1);
    host.destroy();
    expect(detached()).toBe(1);
    expect(host.readyState).toBe('closed');
  });

  it('refuses a type the browser cannot play with CODEC_UNSUPPORTED', async () => {
    const { host } = await opened();
    expect(() => host.prepare('video/webm; codecs="vp9"')).toThrow(
      expect.objectContaining({ code: 'CODEC_UNSUPPORTED' }) as Error,
    );
  });

  it('never sets the duration below the buffered frames, nor while updating', async () => {
    const { host, video } = await opened();
    const { init, media } = segmentsOf('p01');
    const sb = host.prepare(init.mimeType) as unknown as FakeSourceBuffer;
    sb.appendBuffer(init.data);
    await vi.advanceTimersByTimeAsync(1);
    sb.appendBuffer((media[0] ?? init).data);
    expect(host.setDuration(10)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(host.setDuration(0.5)).toBe(true);
    expect(video.mediaSource?.duration).toBe(1);
    expect(host.endOfStream()).toBe(true);
    expect(host.readyState).toBe('ended');
    expect(host.endOfStream()).toBe(false);
  });
});
