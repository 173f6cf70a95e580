// Every fixture (the corpus and the conformance streams), picked with the page's file input, plays to
// `ended` in every engine with every frame ffmpeg decodes from the raw stream given to the display, save
// the shortfalls recorded in known-failures.ts, which are expected exactly.
import { loadConformance, loadManifest, longestFirst } from '../support/fixtures.js';
import { expectEveryFrame } from './expect-frames.js';
import { expect, test } from './harness.js';
import { WEBKIT_UNCOUNTED, knownShortfall } from './known-failures.js';
import { framesCounted } from './measure.js';
import { playFixture } from './playback.js';

/** An untimed stream longer than this many frames plays at 60 fps (below). */
const LONG_UNTIMED_FRAMES = 600;

for (const fixture of longestFirst([...loadManifest(), ...loadConformance()])) {
  test(`${fixture.name} plays to the end with every frame`, async ({
    browserSession,
    engine,
    origin,
  }) => {
    // A stream without timing plays at the rate the viewer picks (the fps box): a long one at 60 fps,
    // so that LS_SVA_D's 1700 frames take 28 s instead of 68 (every frame still decoded and given to
    // the display; Firefox's headless compositor drops 1-2 % of them at 60 fps, as it does p08's).
    const fast = fixture.fps == null && fixture.frames > LONG_UNTIMED_FRAMES;
    const fps = fast ? 60 : (fixture.oracleArgs.fps ?? fixture.fps ?? 25);
    const seconds = fixture.frames / fps;
    // At 1x: measure.ts says why. The player may slow a file down to 0.5x on a loaded machine.
    const timeoutMs = seconds * 2 * 1000 + 20_000;
    test.setTimeout(timeoutMs + 20_000);
    const query = new URLSearchParams();
    if (fast || fixture.oracleArgs.fps !== undefined) query.set('fps', String(fps));
    const played = await playFixture(browserSession, origin, fixture.name, { query, timeoutMs });
    const known = knownShortfall(engine, fixture.name);
    const whole = known?.framesShown ?? fixture.frames - (fixture.oracleArgs.allowMissing ?? 0);
    console.log(
      `${browserSession.version} ${fixture.name}: ${framesCounted(engine, played) ?? '?'}/${whole} ` +
        `(total ${played.totalVideoFrames}, dropped ${played.droppedVideoFrames}, presented ${played.presentedFrames}, ` +
        `${played.distinctMediaTimes} mediaTimes ${played.firstMediaTime}..${played.lastMediaTime}, duration ${played.duration}, ` +
        `${played.slowdowns} slowdowns)`,
    );
    expect(played.errors).toEqual([]);
    expect(played.state).toBe('ended');
    expect(played.mediaError).toBeNull();
    expect(played.ended).toBe(true);
    expect(played.jumps, 'playhead moved by the player').toBe(0);
    // Engines scale one side of the picture by the sample aspect ratio (SarVui 176x144: Firefox and
    // WebKit 426x144; CVFC1 300x168: Chromium 300x183): the other side is the stream's.
    const [width, height] = (fixture.sizes.at(-1) ?? '').split('x');
    const [shownWidth, shownHeight] = played.size.split('x');
    expect(
      shownWidth === width || shownHeight === height,
      `${played.size} for ${width}x${height}`,
    ).toBe(true);
    expect(played.codec).toMatch(/^avc1\.[0-9A-F]{6}$/i);
    // The page's UI (statistics panel, inspector) loaded too: under WebKitGTK with LANG=C.UTF-8 it did not.
    expect(
      await browserSession.evaluate(() => document.querySelector('#stats')?.textContent ?? ''),
    ).toContain('Decoded');
    if (known) {
      test.info().annotations.push({ type: 'known shortfall', description: known.why });
    }
    expectEveryFrame(engine, played, whole, fps, WEBKIT_UNCOUNTED);
    if (fixture.oracleArgs.allowMissing !== undefined) {
      expect(JSON.stringify(played.warnings)).toContain('TRUNCATED_FRAME_DROPPED');
    }
  });
}
