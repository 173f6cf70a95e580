// Streams some browsers have no decoder for: H.264 High 10 (10-bit) and High 4:2:2, which broadcast and
// some security cameras send (x264 makes them here, at test time). Chromium and WebKitGTK decode them;
// Firefox 153 refuses them by MSE and WebCodecs alike: its decoder took the configuration, closed with
// NotSupportedError, and three new decoders later the page said "The browser's video decoder failed
// (WebCodecs): Operation is not supported". In every engine, live and from a file: the stream plays
// where the browser says it can decode it, and else the page says at once what the stream is and what
// would play (CODEC_UNSUPPORTED), without retrying; a picked file can still be saved as MP4.
import { examineSaved, rawHashes } from '../support/mp4-oracle.js';
import { startStreamServer } from '../support/stream-server.mjs';
import type { StreamServer } from '../support/stream-server.mjs';
import { generatedStream } from './generated-stream.js';
import { expect, test } from './harness.js';
import { openWatched, pickFile } from './playback.js';
import { keepBlobs, press, savedFile } from './save-page.js';

const STREAMS = {
  'High 10': { codec: 'avc1.6E001E', args: ['-profile:v', 'high10', '-pix_fmt', 'yuv420p10le'] },
  'High 4:2:2': { codec: 'avc1.7A001E', args: ['-profile:v', 'high422', '-pix_fmt', 'yuv422p'] },
} as const;

let server: StreamServer | undefined;
test.afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Two seconds of a moving 640x360 picture at 30 fps with B-frames, a keyframe a second. */
function stream(profile: keyof typeof STREAMS): string {
  return generatedStream(
    `${profile.replace(/\W/g, '')}.h264`,
    { size: '640x360', fps: 30, seconds: 2 },
    ['-bf', '2', '-g', '30', ...STREAMS[profile].args],
  );
}

interface Outcome {
  state: string;
  errors: { code: string; message: string }[];
  warnings: string[];
  /** Frames the page's player says it showed (the renderer's paints, or MSE's decoded frames). */
  shown: number;
}

function outcome(): Outcome {
  const hook = (
    window as unknown as {
      __h264mux: {
        state: string;
        errors: { code: string; message: string }[];
        warnings: { code: string }[];
        stats?: { renderer?: { painted: number }; player?: { decodedFrames: number } };
      };
    }
  ).__h264mux;
  return {
    state: hook.state,
    errors: hook.errors.map((e) => ({ code: e.code, message: e.message })),
    warnings: hook.warnings.map((w) => w.code),
    shown: hook.stats?.renderer?.painted ?? hook.stats?.player?.decodedFrames ?? 0,
  };
}

/** Whether the engine says it decodes `codec`: by MSE, and by WebCodecs. */
function support(codec: string): Promise<{ mse: boolean; webcodecs: boolean }> {
  return (async () => {
    const mse = MediaSource.isTypeSupported(`video/mp4; codecs="${codec}"`);
    const webcodecs =
      typeof VideoDecoder === 'function' &&
      (await VideoDecoder.isConfigSupported({ codec })).supported === true;
    return { mse, webcodecs };
  })();
}

for (const profile of Object.keys(STREAMS) as (keyof typeof STREAMS)[]) {
  for (const from of ['live', 'file'] as const) {
    test(`H.264 ${profile}, ${from}: plays where the browser decodes it, else says what would`, async ({
      browserSession,
      origin,
    }, testInfo) => {
      testInfo.setTimeout(60_000);
      const { codec } = STREAMS[profile];
      const file = stream(profile);
      server = await startStreamServer({
        file,
        // A file is fetched whole by the page (as a picked file); live arrives in real time.
        fps: from === 'live' ? 30 : 3000,
        loop: from === 'live',
        clock: 'per-client',
      });
      await openWatched(
        browserSession,
        origin,
        from === 'live' ? `?src=${encodeURIComponent(server.httpUrl)}` : '',
      );
      const can = await browserSession.evaluate(support, codec);
      if (can.mse !== can.webcodecs) {
        throw new Error(`${codec}: MSE says ${can.mse}, WebCodecs ${can.webcodecs}: not covered`);
      }
      await keepBlobs(browserSession);
      if (from === 'file') await pickFile(browserSession, server.httpUrl, 'camera.h264');
      const done = can.mse
        ? () => {
            const hook = (
              window as unknown as {
                __h264mux?: {
                  state: string;
                  stats?: { renderer?: { painted: number }; player?: { decodedFrames: number } };
                };
              }
            ).__h264mux;
            // Chromium runs the page's bundle (and its hook) after the first frame.
            if (!hook) return false;
            const shown = hook.stats?.renderer?.painted ?? hook.stats?.player?.decodedFrames ?? 0;
            return hook.state === 'error' || shown >= 30;
          }
        : () =>
            (window as unknown as { __h264mux?: { state: string } }).__h264mux?.state === 'error';
      await browserSession.waitFor(done, {
        timeoutMs: 20_000,
        what: can.mse ? '30 frames shown' : 'an error',
      });
      const seen = await browserSession.evaluate(outcome);
      console.log(`${browserSession.version} ${profile} ${from}: ${JSON.stringify({ can, seen })}`);
      if (can.mse) {
        expect(seen.errors).toEqual([]);
        expect(seen.shown).toBeGreaterThanOrEqual(30);
        return;
      }
      expect(seen.errors).toHaveLength(1);
      expect(seen.errors[0]?.code).toBe('CODEC_UNSUPPORTED');
      expect(seen.errors[0]?.message).toContain(
        `This browser cannot decode this stream: H.264 ${profile}, level 3, `,
      );
      expect(seen.errors[0]?.message).toContain('re-encode it so (ffmpeg');
      // Said at once: no decoder tried again and again.
      expect(seen.warnings).not.toContain('DECODER_RECOVERED');
      // The page shows it.
      const shown = await browserSession.evaluate(
        () => document.querySelector('[role="alert"]')?.textContent ?? '',
      );
      expect(shown).toContain('Codec not supported by this browser');
      if (from === 'live') return;
      // A picked file still converts, for a player that decodes it: Save as MP4 is offered, and the
      // MP4 decodes in ffmpeg to the raw stream's frames.
      await press(browserSession, '#save-button', 'faststart');
      const out = testInfo.outputPath('saved.mp4');
      await savedFile(browserSession, out);
      const facts = await examineSaved(out, file);
      expect(facts.newErrors).toEqual([]);
      expect(facts.hashes.map((h) => h.md5)).toEqual((await rawHashes(file)).map((h) => h.md5));
    });
  }
}
