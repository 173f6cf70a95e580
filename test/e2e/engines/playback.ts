// Plays a file in the built page of any engine, the way a user picks one (a File through the page's
// <input type=file>), and measures what the <video> presented. Every function given to `evaluate` runs
// in the page: it must not use anything from this module.
import { settleFrameCounts } from '../support/settle-counts.js';
import type { EngineSession } from './engine.js';
import { APP_PREFIX, FIXTURE_PREFIX } from './harness.js';

/** What the page's <video> showed of a file, read once it ended (or the session failed). */
export interface Playback {
  readonly state: string;
  readonly errors: readonly { code: string; message: string }[];
  readonly warnings: readonly { code: string; message: string; count: number }[];
  readonly ended: boolean;
  readonly mediaError: string | null;
  /** getVideoPlaybackQuality() */
  readonly totalVideoFrames: number;
  readonly droppedVideoFrames: number;
  /** requestVideoFrameCallback: distinct mediaTimes seen (rounded to 0.1 ms), first and last of them. */
  readonly distinctMediaTimes: number;
  readonly firstMediaTime: number;
  readonly lastMediaTime: number;
  /** Every distinct mediaTime, ascending (for the failure message). */
  readonly mediaTimes: readonly number[];
  /** requestVideoFrameCallback: presentedFrames at the last callback. */
  readonly presentedFrames: number;
  readonly currentTime: number;
  readonly duration: number;
  readonly size: string;
  readonly codec: string | undefined;
  /** The player's own figures (window.__h264mux.stats.player). */
  readonly jumps: number | undefined;
  readonly bufferedStart: number | undefined;
  readonly bufferedEnd: number | undefined;
  /** Times the player lowered playbackRate because frames were dropped (src/player/decode-pace.ts). */
  readonly slowdowns: number | undefined;
}

interface Probe {
  ended: boolean;
  times: Record<string, true>;
  presented: number;
}

/** Opens the app and starts watching its <video>: 'ended' and every frame presented. */
export async function openWatched(
  session: EngineSession,
  origin: string,
  query: string,
): Promise<void> {
  await session.open(`${origin}${APP_PREFIX}${query}`);
  await session.evaluate(() => {
    const video = document.querySelector('video');
    if (!video) throw new Error('no <video>');
    const probe: Probe = { ended: false, times: {}, presented: 0 };
    (window as unknown as { __probe: Probe }).__probe = probe;
    video.addEventListener('ended', () => (probe.ended = true));
    const onFrame = (_now: number, meta: VideoFrameCallbackMetadata): void => {
      probe.times[meta.mediaTime.toFixed(4)] = true;
      probe.presented = meta.presentedFrames;
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    return true;
  });
}

/** Picks the file at `url` (same origin) with the page's file input, as a user would. */
export async function pickFile(session: EngineSession, url: string, name: string): Promise<void> {
  await session.evaluate(
    async (fileUrl: string, fileName: string) => {
      const response = await fetch(fileUrl);
      if (!response.ok) throw new Error(`${fileUrl}: HTTP ${response.status}`);
      const file = new File([await response.blob()], fileName, { type: 'video/h264' });
      const transfer = new DataTransfer();
      transfer.items.add(file);
      const input = document.getElementById('file-input') as HTMLInputElement;
      input.files = transfer.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
      return true;
    },
    url,
    name,
  );
}

export function readPlayback(session: EngineSession): Promise<Playback> {
  return session.evaluate(() => {
    const video = document.querySelector('video');
    if (!video) throw new Error('no <video>');
    const w = window as unknown as {
      __probe: Probe;
      __h264mux: {
        state: string;
        errors: { code: string; message: string }[];
        warnings: { code: string; message: string; count: number }[];
        stats:
          | {
              info?: { codec: string };
              player?: {
                jumps?: number;
                bufferedStart?: number;
                bufferedEnd?: number;
                slowdowns?: number;
              };
            }
          | undefined;
      };
    };
    const times = Object.keys(w.__probe.times)
      .map(Number)
      .sort((a, b) => a - b);
    const quality = video.getVideoPlaybackQuality();
    const player = w.__h264mux.stats?.player;
    return {
      state: w.__h264mux.state,
      errors: w.__h264mux.errors.map((e) => ({ code: e.code, message: e.message })),
      warnings: w.__h264mux.warnings.map((e) => ({
        code: e.code,
        message: e.message,
        count: e.count,
      })),
      ended: w.__probe.ended,
      mediaError: video.error ? `${video.error.code} ${video.error.message}` : null,
      totalVideoFrames: quality.totalVideoFrames,
      droppedVideoFrames: quality.droppedVideoFrames,
      distinctMediaTimes: times.length,
      firstMediaTime: times.length > 0 ? Math.min(...times) : NaN,
      lastMediaTime: times.length > 0 ? Math.max(...times) : NaN,
      mediaTimes: times,
      presentedFrames: w.__probe.presented,
      currentTime: video.currentTime,
      duration: video.duration,
      size: `${video.videoWidth}x${video.videoHeight}`,
      codec: w.__h264mux.stats?.info?.codec,
      jumps: player?.jumps,
      bufferedStart: player?.bufferedStart,
      bufferedEnd: player?.bufferedEnd,
      slowdowns: player?.slowdowns,
    };
  });
}

/** Plays the fixture `name` (served under FIXTURE_PREFIX) to 'ended' or an error, and measures it. */
export async function playFixture(
  session: EngineSession,
  origin: string,
  name: string,
  options: { readonly query: URLSearchParams; readonly timeoutMs: number },
): Promise<Playback> {
  await openWatched(session, origin, `?${options.query.toString()}`);
  await pickFile(session, `${origin}${FIXTURE_PREFIX}${name}`, name.split('/').pop() ?? name);
  await session.waitFor(
    () => {
      const w = window as unknown as { __probe: Probe; __h264mux: { state: string } };
      return w.__probe.ended || w.__h264mux.state === 'error';
    },
    { timeoutMs: options.timeoutMs, what: `${name} ended` },
  );
  // A frame callback due with the last frame may still be queued behind 'ended', and WebKitGTK updates its
  // frame counters a moment late, the later the busier the machine (QCIF_2P_I_allIPCM read 0 and then 1
  // of 2 with 2 presented, Zhling 18 of 19 with 19 presented, CI with a second browser beside it), and
  // the other way round on a busy page (busy.spec p04: 60 counted, 46 presented, the last callback
  // 0.43 s before the end; 60 and 60 on the retry). WebKitGTK: wait until the count and the frames
  // requestVideoFrameCallback saw presented agree; every engine: until the count holds still for 300 ms
  // (at most 5 s; figures still apart then are the engine's and the spec judges them). Only WebKitGTK's
  // presentedFrames counts frames; Firefox's counts repaints (180 for 150).
  await session.evaluate(settleFrameCounts, {
    maxMs: 5000,
    untilPresented: session.name === 'webkit',
  });
  return readPlayback(session);
}
