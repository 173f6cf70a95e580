// A camera whose server goes away and comes back, in every engine, on the default renderer (the
// worker's canvas in Firefox and WebKit, its track in Chromium): the page says it reconnects, and the
// picture moves on once the server is back, with no error left on the page.
import { join } from 'node:path';
import { FIXTURES } from '../support/fixtures.js';
import { startStreamServer } from '../support/stream-server.mjs';
import type { StreamServer } from '../support/stream-server.mjs';
import type { EngineSession } from './engine.js';
import { expect, test } from './harness.js';
import { openWatched } from './playback.js';

const P01 = join(FIXTURES, 'p01_pi_baseline_vga30_inline.h264');

let server: StreamServer | undefined;
test.afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface Seen {
  state: string;
  painted: number;
  reconnects: number;
  errors: string[];
}

function seen(session: EngineSession): Promise<Seen> {
  return session.evaluate(() => {
    const hook = (
      window as unknown as {
        __h264mux?: {
          state: string;
          errors: { code: string }[];
          stats?: { reconnects: number; renderer?: { painted: number } };
        };
      }
    ).__h264mux;
    return {
      state: hook?.state ?? '',
      painted: hook?.stats?.renderer?.painted ?? 0,
      reconnects: hook?.stats?.reconnects ?? 0,
      errors: (hook?.errors ?? []).map((e) => e.code),
    };
  });
}

for (const transport of ['http', 'ws'] as const) {
  test(`live ${transport}, default renderer: the server goes away and comes back, the picture moves on`, async ({
    browserSession,
    origin,
  }) => {
    server = await startStreamServer({ file: P01, fps: 30 });
    const src = transport === 'http' ? server.httpUrl : server.wsUrl;
    await openWatched(browserSession, origin, `?src=${encodeURIComponent(src)}`);
    await browserSession.waitFor(
      () => {
        const hook = (
          window as unknown as { __h264mux?: { stats?: { renderer?: { painted: number } } } }
        ).__h264mux;
        return (hook?.stats?.renderer?.painted ?? 0) > 30;
      },
      { timeoutMs: 15_000, what: '30 frames painted' },
    );
    await server.stop();
    await browserSession.waitFor(
      () =>
        (window as unknown as { __h264mux?: { state: string } }).__h264mux?.state ===
        'reconnecting',
      { timeoutMs: 10_000, what: 'the page reconnecting' },
    );
    const away = await seen(browserSession);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await server.restart();
    await browserSession.waitFor(
      (from: number) => {
        const hook = (
          window as unknown as {
            __h264mux?: { stats?: { reconnects: number; renderer?: { painted: number } } };
          }
        ).__h264mux;
        return (
          (hook?.stats?.reconnects ?? 0) >= 1 && (hook?.stats?.renderer?.painted ?? 0) >= from + 45
        );
      },
      { timeoutMs: 20_000, what: '45 more frames painted after the reconnect' },
      away.painted,
    );
    const back = await seen(browserSession);
    console.log(`${browserSession.version} ${transport}: ${JSON.stringify({ away, back })}`);
    expect(back.state).toBe('playing');
    // The 'unreachable' error shown while the server was away is cleared once it is back.
    expect(back.errors).toEqual([]);
  });
}
