/**
 * h264mux/player: raw H.264 (Annex B) played in a <video>, in a few lines.
 *
 *   const player = await play(video, 'ws://camera.local:8080/stream');
 *   player.addEventListener('error', (e) => console.error(e.detail.message));
 *   // later
 *   player.close();
 *
 * `source`: an http(s) URL (a file, or a live stream without Content-Length), a ws(s) URL, a File or
 * Blob, or a ReadableStream<Uint8Array>. The transmuxer runs in a module worker shipped next to this
 * file (`new Worker(new URL(...), { type: 'module' })`: Vite and webpack 5 bundle it); with another
 * bundler pass `transmuxer: new URL('/where/you/copied/worker/transmux.worker.js', location.href)` or
 * `transmuxer: 'main-thread'`.
 */
import { findMediaSource } from '../player/media-source.js';
import { PlayerError } from '../player/errors.js';
import { Player } from './player.js';
import type { PlayerOptions } from './player.js';
import { sourceFor } from './source-for.js';
import type { PlaySource, SourceOptions } from './source-for.js';

export { Player, toPlaybackError } from './player.js';
export type {
  PlaybackError,
  PlaybackState,
  PlaybackStats,
  PlaybackWarning,
  PlayerEventMap,
  PlayerOptions,
  RendererChoice,
} from './player.js';
export type { RendererStats } from '../player/webcodecs-renderer.js';
export { FRAME_EVENT } from '../player/frame-sink.js';
export type { FrameEventDetail } from '../player/frame-sink.js';
export type { Snapshot } from './snapshot.js';
export type { PlaySource, SourceOptions } from './source-for.js';
export type { PlayerStats as MsePlayerStats } from '../player/options.js';
export type { TransmuxerHost } from '../worker/client.js';
export type { Recording, RecordOptions } from '../worker/protocol.js';

export type PlayOptions = PlayerOptions & SourceOptions;

/**
 * Starts playing `source` in `video` and resolves with the running player (at once: errors after
 * the start come as 'error' events). Rejects when the browser has no Media Source Extensions or the
 * URL cannot be read (a PlayerError or SourceError, with a `code`).
 */
// eslint-disable-next-line @typescript-eslint/require-await -- a rejection, never a throw
export async function play(
  video: HTMLVideoElement,
  source: PlaySource,
  options: PlayOptions = {},
): Promise<Player> {
  if (!findMediaSource()) {
    throw new PlayerError(
      'NO_MSE',
      'This browser has no Media Source Extensions (MediaSource or ManagedMediaSource): it cannot play raw H.264 here.',
    );
  }
  const player = new Player(video, sourceFor(source, options), options);
  player.start();
  return player;
}
