/** The player's options and statistics. */

export interface PlayerOptions {
  /** Live stream (infinite duration, latency control) or a file (endOfStream at the end). */
  live: boolean;
  /**
   * Live: the playout delay (s), from a frame's best-case arrival to its presentation. 0 (default):
   * adaptive, just above the measured arrival jitter's p99 plus a decode margin (see
   * ./live-latency.ts); more: that fixed delay, whatever the jitter.
   */
  targetLatency: number;
  /** Seconds of media kept behind the playhead (more is removed, up to a keyframe). */
  keepBehind: number;
  /** File: the source waits while more than this many seconds are buffered ahead of the playhead. */
  maxAhead: number;
  /** File: playback rate (tests play long fixtures fast). Lowered while frames are dropped. */
  playbackRate: number;
}

export const DEFAULT_PLAYER_OPTIONS: PlayerOptions = {
  live: false,
  targetLatency: 0,
  keepBehind: 20,
  maxAhead: 20,
  playbackRate: 1,
};

export interface PlayerStats {
  readonly mediaSource: string;
  readonly mimeType: string;
  readonly bufferedStart: number;
  readonly bufferedEnd: number;
  /** Seconds buffered ahead of the playhead. */
  readonly bufferedAhead: number;
  /** Live: end of buffer minus playhead, in seconds. */
  readonly latency: number;
  readonly playbackRate: number;
  /** Frames the element decoded and dropped, summed across the counter resets of some engines. */
  readonly decodedFrames: number;
  readonly droppedFrames: number;
  /** Frames shown (./frame-counter.ts: decoded less dropped, where the engine counts as the spec does). */
  readonly shownFrames: number;
  /** Live: stalls at the live edge ('waiting' while playing). */
  readonly underflows: number;
  /** Live: the playout delay's current target (ms) and the measured arrival jitter's p99 (ms). */
  readonly targetDelayMs: number;
  readonly jitterMs: number;
  /** Live: the source's pace, media seconds it sends per second (see RendererStats.sourcePace). */
  readonly sourcePace: number;
  /** Live: frames jumped over to catch up with the edge. */
  readonly skippedFrames: number;
  /** Live: frames decoded but never presented (gaps in requestVideoFrameCallback's presentedFrames). */
  readonly unpresentedFrames: number;
  /** Live: stalls per minute of playback since the first frame. */
  readonly stallsPerMinute: number;
  /** File: playback is slowed down because the element dropped frames (a slow decoder). */
  readonly slowedForDecoder: boolean;
  /** File: times the rate was lowered for dropped frames. */
  readonly slowdowns: number;
  readonly appendedSegments: number;
  readonly appendedBytes: number;
  readonly queuedSegments: number;
  readonly evictions: number;
  readonly quotaExceeded: number;
  /** Moves of the playhead: over a gap, or (live) to the edge. */
  readonly jumps: number;
  /** File: the element's clock ran past the buffered data (a starved page); moved back to it. */
  readonly runOffs: number;
  readonly typeChanges: number;
  /** File seeks that restarted the stream at a keyframe. */
  readonly restarts: number;
}
