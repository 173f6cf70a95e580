/**
 * The parts of a <video> the player reads and drives, and what it asks of buffered ranges. A page
 * passes its HTMLVideoElement; tests pass a scripted one.
 */
export type MediaElement = Pick<
  HTMLVideoElement,
  | 'currentTime'
  | 'playbackRate'
  | 'defaultPlaybackRate'
  | 'paused'
  | 'seeking'
  | 'ended'
  | 'readyState'
  | 'buffered'
  | 'seekable'
  | 'error'
  | 'muted'
  | 'playsInline'
  | 'disableRemotePlayback'
  | 'src'
  | 'play'
  | 'removeAttribute'
  | 'load'
  | 'addEventListener'
  | 'removeEventListener'
> &
  Partial<
    Pick<
      HTMLVideoElement,
      'getVideoPlaybackQuality' | 'requestVideoFrameCallback' | 'cancelVideoFrameCallback'
    >
  >;

/** HTMLMediaElement readyState values (HTML §4.8.11.7); the constants are not on workers' globals. */
export const HAVE_METADATA = 1;
export const HAVE_FUTURE_DATA = 3;

/** A playhead this close before a range counts as inside it (browsers start ranges at frame times). */
export const RANGE_SLACK = 0.01;

/** First start and last end of `ranges`; 0 and 0 when empty. */
export function bounds(ranges: TimeRanges): { start: number; end: number } {
  if (ranges.length === 0) return { start: 0, end: 0 };
  return { start: ranges.start(0), end: ranges.end(ranges.length - 1) };
}

/** True when `time` is inside one of `ranges` (or just before one). */
export function isBuffered(ranges: TimeRanges, time: number): boolean {
  for (let i = 0; i < ranges.length; i++) {
    if (time >= ranges.start(i) - RANGE_SLACK && time < ranges.end(i)) return true;
  }
  return false;
}

/** Seconds buffered from `time` to the end of its range, with `slack` before a range allowed. */
export function bufferedAhead(ranges: TimeRanges, time: number, slack = 0.1): number {
  for (let i = 0; i < ranges.length; i++) {
    if (time >= ranges.start(i) - slack && time < ranges.end(i)) return ranges.end(i) - time;
  }
  return 0;
}

/** The start of the first range after `time`, when `time` is in no range. */
export function nextRangeStart(ranges: TimeRanges, time: number): number | undefined {
  if (isBuffered(ranges, time)) return undefined;
  for (let i = 0; i < ranges.length; i++) {
    if (ranges.start(i) > time) return ranges.start(i);
  }
  return undefined;
}
