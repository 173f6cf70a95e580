// Files on a busy machine, in every engine: two processes spin on the CPU (both cores of the test
// machine) while a B-frame file plays at 1x. Every frame must still be decoded and shown to the last one,
// and the player must never move the playhead. (Chromium has throttled.spec.ts, CPU throttling through
// the DevTools protocol, which the other engines do not offer.)
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifest } from '../support/fixtures.js';
import { stopProcess } from '../../../scripts/webkit-driver.mjs';
import { expect, test } from './harness.js';
import { expectEveryFrame } from './expect-frames.js';
import { WEBKIT_BUSY, knownShortfall } from './known-failures.js';
import { framesCounted } from './measure.js';
import { playFixture } from './playback.js';

const BUSY_PROCESSES = 2;
/** One busy test at a time across workers and engines: the load is the two spinners, not four. */
const LOCK = join(tmpdir(), 'h264mux-e2e-busy.lock');

async function exclusively<T>(run: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      await mkdir(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Left by a run that was killed: no busy test takes this long.
      const age = Date.now() - (await stat(LOCK).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 180_000) await rm(LOCK, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return await run();
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}

/** Node processes that spin until killed. */
function spinners(): ChildProcess[] {
  return Array.from({ length: BUSY_PROCESSES }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
}

const STREAMS = [
  'p04_high_bf3_1080p30.h264', // 1080p High, B-frames with pyramid
  'p15_interlaced_mbaff_tff_576i25.h264', // 576i MBAFF with B-frames
];

for (const name of STREAMS) {
  test(`busy machine: ${name} plays at 1x with every frame shown`, async ({
    browserSession,
    engine,
    origin,
  }) => {
    const fixture = loadManifest().find((f) => f.name === name);
    if (!fixture) throw new Error(`${name} not in the manifest`);
    const seconds = fixture.frames / (fixture.fps ?? 25);
    // The player may slow down to 0.25x; the other engine's busy tests may hold the lock as long.
    test.setTimeout(STREAMS.length * 2 * ((seconds / 0.25) * 1000 + 20_000) + 40_000);
    await exclusively(async () => {
      const busy = spinners();
      try {
        const played = await playFixture(browserSession, origin, name, {
          query: new URLSearchParams(),
          timeoutMs: (seconds / 0.25) * 1000 + 20_000,
        });
        const whole = knownShortfall(engine, name)?.framesShown ?? fixture.frames;
        console.log(
          `${browserSession.version} busy ${name}: ${framesCounted(engine, played) ?? '?'}/${whole} ` +
            `(total ${played.totalVideoFrames}, dropped ${played.droppedVideoFrames}, ` +
            `presented ${played.presentedFrames}, ${played.slowdowns} slowdowns)`,
        );
        expect(played.errors).toEqual([]);
        expect(played.state).toBe('ended');
        expect(played.mediaError).toBeNull();
        expect(played.jumps, 'playhead moved by the player').toBe(0);
        expectEveryFrame(engine, played, whole, fixture.fps ?? 25, WEBKIT_BUSY);
      } finally {
        await Promise.all(busy.map(stopProcess));
      }
    });
  });
}
