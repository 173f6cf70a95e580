/**
 * A file's timeline: where its frames go in the buffer, how long it is, and its end.
 *
 * - Start: the core's timeline starts at 0 with B-frames too (negative composition offsets, trun
 *   version 1, DTS >= 0), so the buffer starts where the playhead is: no start gap, no seek, no nudge
 *   and no timestampOffset (a negative one made WebKit drop the first GOP: frames with DTS < 0).
 * - Seek restart: a seek outside the buffer is reported; the source then restarts at a keyframe and
 *   `restart(timestampOffset)` drops the buffer and places the new segments at that keyframe's
 *   presentation time on the file's timeline (a fresh transmuxer presents the keyframe at 0).
 * - Duration: an estimate while the file is read (so that all of it is seekable), a little beyond
 *   the expected end, exact after `endOfStream` (MSE §2.4.7 sets it to the buffered end).
 * - End: the stream is ended once everything queued is appended, so that `ended` fires. A removal
 *   re-opens an ended MediaSource (MSE §3.2 remove(), step 5), after which the element would wait
 *   for more data forever (and the decoder holds its last reordered frames): it is ended again.
 */
import type { AppendQueue } from './append-queue.js';
import type { BackBuffer } from './back-buffer.js';
import { isBuffered } from './media-element.js';
import type { MediaElement } from './media-element.js';
import type { MediaSourceHost } from './media-source.js';

/** Duration estimates closer than this (s) to the current duration are not applied. */
const DURATION_STEP = 0.5;
/**
 * The estimate is set this far (s) beyond the expected end. An estimate at the exact end lets the
 * clock reach the duration before the end of the stream is known; `endOfStream` then sets the
 * duration to the buffered end, a microsecond less (Chromium rounds frame times down to µs), the
 * element seeks back to it (HTML: a duration below the playback position seeks), and that seek
 * flushes the frames still waiting for the decoder: under load Chromium decoded 61 of 120.
 */
const ESTIMATE_MARGIN = 1;

type FileState = 'reading' | 'ending' | 'ended';

export interface FileTimelineDeps {
  readonly media: MediaElement;
  readonly host: MediaSourceHost;
  readonly queue: AppendQueue<unknown>;
  readonly backBuffer: BackBuffer;
  /** The user sought to a time that is not buffered. */
  seekOutsideBuffer(time: number): void;
  /** Right before the end: endOfStream shortens the duration to the buffered end. */
  beforeEnd(): void;
}

export class FileTimeline {
  /** Seeks that restarted the stream at a keyframe. */
  restarts = 0;
  private state: FileState = 'reading';
  private pendingDuration: number | undefined;

  constructor(private readonly deps: FileTimelineDeps) {}

  /** The end was requested (nothing more will be appended until a restart). */
  get ending(): boolean {
    return this.state !== 'reading';
  }

  /**
   * A seek restarts the source at a keyframe: the segments that follow are a new stream whose first
   * presented frame (the keyframe) is `timestampOffset` seconds into the file. Everything queued and buffered goes
   * (memory stays bounded whatever the seeks).
   */
  restart(timestampOffset: number): void {
    const { queue, backBuffer, host } = this.deps;
    this.state = 'reading';
    this.restarts++;
    queue.clear();
    backBuffer.restart();
    queue.remove(0, Infinity);
    queue.push({
      kind: 'call',
      name: 'timestampOffset',
      run: () => {
        const sb = host.sourceBuffer;
        if (sb) sb.timestampOffset = timestampOffset;
        return 'done';
      },
    });
  }

  /** The expected duration (s) while the file is read. */
  setDurationEstimate(seconds: number): void {
    if (this.state !== 'reading' || !(seconds > 0)) return;
    if (Math.abs(this.deps.host.duration - (seconds + ESTIMATE_MARGIN)) < DURATION_STEP) return;
    const queued = this.pendingDuration !== undefined;
    this.pendingDuration = seconds;
    if (queued) return;
    this.deps.queue.push({
      kind: 'call',
      name: 'duration',
      run: () => {
        const seconds = this.pendingDuration;
        this.pendingDuration = undefined;
        if (seconds !== undefined && this.state === 'reading') {
          this.deps.host.setDuration(seconds + ESTIMATE_MARGIN);
        }
        return 'done';
      },
    });
  }

  /** Everything has been queued: end the stream once it is appended. */
  end(): void {
    if (this.state !== 'reading') return;
    this.state = 'ending';
    this.deps.queue.push({
      kind: 'call',
      name: 'endOfStream',
      run: () => {
        if (this.state !== 'ending') return 'done';
        this.state = 'ended';
        this.pendingDuration = undefined;
        this.deps.beforeEnd();
        this.deps.host.endOfStream();
        return 'done';
      },
    });
  }

  /** A removal completed: an ended stream that it re-opened is ended again. */
  removed(): void {
    if (this.state === 'ended' && this.deps.host.readyState === 'open') {
      this.deps.host.endOfStream();
    }
  }

  /** The element started seeking: report a target that is not buffered. */
  seeking(): void {
    const media = this.deps.media;
    const t = media.currentTime;
    if (!isBuffered(media.buffered, t)) this.deps.seekOutsideBuffer(t);
  }

  destroy(): void {
    this.pendingDuration = undefined;
  }
}
