// The relay's page at the machine's network address over http://, as a LAN's browsers open it, in
// every engine: no secure context. Chromium 156 and Firefox 153 then give no WebCodecs: the stream
// plays through MSE and the page says why (WEBCODECS_NEEDS_HTTPS). WebKitGTK 2.50 gives VideoDecoder
// there all the same: it plays through WebCodecs, with no such warning. Over https (serve
// --tls-cert) Chromium gets WebCodecs: ../lan.spec.ts.
import { closeLanRelays, lanAddress, startLanRelay } from '../support/lan.js';
import type { EngineSession } from './engine.js';
import { expect, test } from './harness.js';

test.afterEach(closeLanRelays);

interface Seen {
  secure: boolean;
  webcodecs: boolean;
  kind: string;
  warnings: string[];
  errors: string[];
  /** Frames shown: the renderer's paints (WebCodecs) or the <video>'s decoded frames (MSE). */
  shown: number;
}

function seen(session: EngineSession): Promise<Seen> {
  return session.evaluate(() => {
    const hook = (
      window as unknown as {
        __h264mux?: {
          errors: { code: string }[];
          warnings: { code: string }[];
          stats?: { renderer?: { kind: string; painted: number } };
        };
      }
    ).__h264mux;
    const video = document.querySelector('video');
    return {
      secure: isSecureContext,
      webcodecs: typeof VideoDecoder === 'function',
      kind: hook?.stats?.renderer?.kind ?? '',
      warnings: (hook?.warnings ?? []).map((w) => w.code),
      errors: (hook?.errors ?? []).map((e) => e.code),
      shown:
        hook?.stats?.renderer?.kind === 'webcodecs'
          ? hook.stats.renderer.painted
          : (video?.getVideoPlaybackQuality().totalVideoFrames ?? 0),
    };
  });
}

test('the relay’s page at a LAN address over http: WebCodecs where the engine gives it there, else MSE and the page says https would', async ({
  browserSession,
  engine,
}) => {
  const address = lanAddress();
  test.skip(address === undefined, 'no network address besides loopback');
  const relay = await startLanRelay();
  await browserSession.open(`http://${address}:${relay.port}/`);
  await expect
    .poll(async () => (await seen(browserSession)).shown, { timeout: 20_000 })
    .toBeGreaterThan(30);
  const state = await seen(browserSession);
  test.info().annotations.push({ type: 'lan http', description: JSON.stringify(state) });
  expect(state.secure).toBe(false);
  if (state.webcodecs) {
    // WebKitGTK: VideoDecoder outside secure contexts too.
    expect(state.kind).toBe('webcodecs');
    expect(state.warnings).not.toContain('WEBCODECS_NEEDS_HTTPS');
  } else {
    expect(state.kind).toBe('mse');
    expect(state.warnings).toContain('WEBCODECS_NEEDS_HTTPS');
  }
  expect(state.webcodecs).toBe(engine === 'webkit');
  expect(state.errors).toEqual([]);
});
