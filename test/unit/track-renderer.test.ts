// The worker's renderer (src/worker/track-renderer.ts) with a scripted VideoDecoder, writing to a video
// track's stream: what it tells the page over its port when its decoder fails. A failure it recovers
// from is a `recovered` event (the page shows a warning) and playback goes on; a decoder that keeps
// failing is an `error` event.
import { afterEach, describe, expect, it } from 'vitest';
import type { RendererEvent } from '../../src/worker/protocol.js';
import { TrackRenderer } from '../../src/worker/track-renderer.js';
import { installFakeWebCodecs, ScriptedDecoder } from './player/scripted-decoder.js';
import { segmentsOf } from './player/segments.js';

installFakeWebCodecs();

let renderer: TrackRenderer | undefined;
afterEach(() => renderer?.close());

function setup() {
  const channel = new MessageChannel();
  const events: RendererEvent[] = [];
  channel.port1.onmessage = (event: MessageEvent<RendererEvent>) => {
    if (event.data.type !== 'stats') events.push(event.data);
  };
  const frames = new WritableStream<VideoFrame>({ write: () => undefined });
  renderer = new TrackRenderer({
    type: 'render',
    id: 1,
    options: { targetLatency: 0 },
    output: { kind: 'track', frames },
    events: channel.port2,
  });
  const { init, media } = segmentsOf('p01', { fragment: 'frame' });
  renderer.feed([init, ...media.slice(0, 5)]);
  return { events, channel };
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
});
