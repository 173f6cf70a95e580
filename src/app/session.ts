/** The page's names for the player it shares with the package (src/play): one player, two names. */
export { Player as Session, toPlaybackError as toSessionError } from '../play/player.js';
export type {
  PlaybackError as SessionError,
  PlaybackState as SessionState,
  PlaybackStats as SessionStats,
  PlaybackWarning as SessionWarning,
} from '../play/player.js';
