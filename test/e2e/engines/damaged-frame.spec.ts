// A live stream through MSE keeps playing in every engine when the browser rejects one of its frames
// (../support/damage.ts, patched in once the stream plays): the player recovers with a new MediaSource
// (MEDIA_RECOVERED), or the engine skips the frame by itself (GStreamer's decoder tolerates some
// errors). Either way no error, and the playhead moves on. Chromium: ../media-recovery.spec.ts.
import { join } from 'node:path';
import { damageMedia } from '../support/damage.js';
import { FIXTURES } from '../support/fixtures.js';
import { startStreamServer } from '../support/stream-server.mjs';
import type { StreamServer } from '../support/stream-server.mjs';
import { expect, test } from './harness.js';
import { openWatched } from './playback.js';

const P01 = join(FIXTURES, 'p01_pi_baseline_vga30_inline.h264');

interface Hook {
  readonly state: string;
  readonly errors: readonly { code: string; message: string }[];
  readonly warnings: readonly { code: string; count: number }[];
}

let server: StreamServer | undefined;
test.afterEach(async () => {
  await server?.close();
  server = undefined;
});

test('live (MSE): a frame the browser rejects does not end playback', async ({
  browserSession,
  origin,
}) => {
  server = await startStreamServer({ file: P01, fps: 30, loop: true, seed: 31 });
  const src = encodeURIComponent(server.wsFramedUrl);
  await openWatched(browserSession, origin, `?renderer=mse&src=${src}`);
  await browserSession.waitFor(
    () => (window as unknown as { __probe: { presented: number } }).__probe.presented > 10,
    { timeoutMs: 15_000, what: 'live frames presented' },
  );
  await browserSession.evaluate(damageMedia, { target: 'append', from: 1, count: 1 });
  await browserSession.waitFor(() => (window as unknown as { __faults: number }).__faults === 1, {
    timeoutMs: 5_000,
    what: 'a damaged frame appended',
  });
  const damagedAt = await browserSession.evaluate(
    () => document.querySelector('video')?.currentTime ?? 0,
  );
  // Two seconds of stream past the damage within ten: playing on.
  await browserSession.waitFor(
    (from: number) => {
      const video = document.querySelector('video');
      const hook = (window as unknown as { __h264mux: Hook }).__h264mux;
      return (video?.currentTime ?? 0) > from + 2 && hook.state === 'playing';
    },
    { timeoutMs: 10_000, what: 'the playhead 2 s past the damaged frame' },
    damagedAt,
  );
  const after = await browserSession.evaluate(() => {
    const hook = (window as unknown as { __h264mux: Hook }).__h264mux;
    return {
      errors: hook.errors,
      recovered: hook.warnings.find((w) => w.code === 'MEDIA_RECOVERED')?.count ?? 0,
      mediaError: document.querySelector('video')?.error?.code ?? null,
    };
  });
  console.log(
    `${browserSession.version}: a damaged live frame ${after.recovered > 0 ? `recovered from (${after.recovered})` : 'skipped by the engine'}`,
  );
  expect(after.errors).toEqual([]);
  expect(after.mediaError).toBeNull();
  expect(after.recovered).toBeLessThanOrEqual(1);
});
