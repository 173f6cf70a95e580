// The worker's renderer (src/worker/track-renderer.ts) with a scripted VideoDecoder, writing to a video
// track's stream: what it tells the page over its port when its decoder fails. A failure it recovers
// from is a `recovered` event (the page shows a warning) and playback goes on; a decoder that keeps
// failing is an `error` event.
import { afterEach, describe, expect, it } from 'vitest';
import type { RendererEvent } from '../../src/worker/protocol.js';
import {
  TRACK_REWRITE_MS,
  TRACK_REWRITES,
  TrackRenderer,
} from '../../src/worker/track-renderer.js';
import { installFakeWebCodecs, ScriptedDecoder } from './player/scripted-decoder.js';
import { segmentsOf } from './player/segments.js';

installFakeWebCodecs();

let renderer: TrackRenderer | undefined;
afterEach(() => renderer?.close());

function setup(mediaSegments = 5) {
  const channel = new MessageChannel();
  const events: RendererEvent[] = [];
  channel.port1.onmessage = (event: MessageEvent<RendererEvent>) => {
    if (event.data.type !== 'stats') events.push(event.data);
  };
  /** The timestamps of the frames written to the track. */
  const written: number[] = [];
  const frames = new WritableStream<VideoFrame>({
    write: (frame) => void written.push(frame.timestamp),
  });
  renderer = new TrackRenderer({
    type: 'render',
    id: 1,
    options: { targetLatency: 0 },
    output: { kind: 'track', frames },
    events: channel.port2,
  });
  const { init, media } = segmentsOf('p01', { fragment: 'frame' });
  renderer.feed([init, ...media.slice(0, mediaSegments)]);
  return { events, channel, written, media };
}

/** The port's messages arrive in later tasks. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

describe('TrackRenderer', () => {
  it('tells the page of a decoder error it recovered from, and of the fourth within a minute as an error', async () => {
    const { events, channel } = setup();
    ScriptedDecoder.last?.fail();
    await settle();
    expect(events).toEqual([
      {
        type: 'recovered',
        message:
          "The browser's video decoder failed (WebCodecs): Decoding error. A new decoder resumes at the next keyframe.",
      },
    ]);
    for (let i = 0; i < 3; i++) ScriptedDecoder.last?.fail();
    await settle();
    expect(events.map((e) => e.type)).toEqual(['recovered', 'recovered', 'recovered', 'error']);
    channel.port1.close();
  });

  it('writes its newest frame again once the page plays the track (attached), until a newer one comes', async () => {
    // One frame at a time, as a live camera sends them (no joining burst to preroll).
    const { channel, written, media } = setup(1);
    ScriptedDecoder.last?.release();
    await settle();
    // The first frame, written once: the page's <video> may not play the track yet.
    expect(written).toEqual([0]);
    channel.port1.postMessage({ type: 'attached' });
    // At once, then every TRACK_REWRITE_MS.
    await expect.poll(() => written.length).toBeGreaterThanOrEqual(3);
    expect(new Set(written)).toEqual(new Set([0]));
    // A newer frame ends the rewrites: it alone is written from then on.
    renderer?.feed(media.slice(1, 2));
    ScriptedDecoder.last?.release();
    await expect.poll(() => written.at(-1)).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, TRACK_REWRITE_MS * 3));
    const newer = written.findIndex((t) => t > 0);
    expect(written.slice(newer).filter((t) => t === 0)).toHaveLength(0);
    expect(written.filter((t) => t === 0).length).toBeLessThanOrEqual(2 + TRACK_REWRITES);
    channel.port1.close();
  });
});
