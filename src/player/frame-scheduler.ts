/**
 * The WebCodecs renderer's scheduling: decoded frames in, each painted at its due time (the playout
 * delay's clock, ./jitter-estimator.ts), or skipped. No decoder and no canvas here (./webcodecs-renderer.ts
 * has them), so that tests drive it with a fake clock and fake frames.
 *
 * - The first frame is painted at once (the time to the first frame counts more than its place),
 *   unless more than PREROLL_BEHIND frames wait in the decoder behind it (joining: a relay's frames
 *   since the last keyframe, frames held while the page loaded): then, as MSE decodes from a keyframe
 *   to its start position, they are decoded first and only the newest is painted; the older ones are
 *   preroll, not skipped (never due). For at most MAX_PREROLL_MS. One frame behind is a live stream's
 *   next frame (it arrived while the first was decoded), or a decoder that holds one frame back: it is
 *   painted when due after the first, not waited for.
 * - A frame is painted when due, at once when already due; when several are due, only the newest is
 *   painted and the older ones are skipped (never two paints for one due time, as a jitter buffer
 *   releases only the frame whose time has come). A frame older than one painted is skipped.
 * - A paint more than one frame interval after its due time is late; late and skipped frames are
 *   reported to the estimator, which raises its margin. A late paint after one on time is a stall: the
 *   picture froze, as MSE's `waiting` tells an underrun once however many frames it delays (the late
 *   paints that follow, until one is on time again, are the same stall catching up).
 * - At most MAX_QUEUED frames wait (a hidden page, whose timers are throttled): the oldest are skipped.
 *   Decoders draw frames from a pool; frames held too long stall the decoder.
 * - Every frame is closed exactly once: after its paint, when skipped, or at `destroy()`.
 */
import type { Clock, TimerId } from './clock.js';

/** What the scheduler needs of a VideoFrame. */
export interface ScheduledFrame {
  /** Presentation time, microseconds. */
  readonly timestamp: number;
  close(): void;
}

export interface FrameSchedulerDeps<F extends ScheduledFrame> {
  readonly clock: Clock;
  /** When the frame at `mediaTime` (s) is due (ms, the clock's time). */
  dueAt(mediaTime: number, now: number): number | undefined;
  /** Draws the frame (the scheduler closes it afterwards). */
  paint(frame: F, dueAt: number): void;
  /** A frame was late or skipped at `now`. */
  late(now: number): void;
  /** One frame interval (ms). */
  frameMs(): number;
  /** Frames still in the decoder (decodes asked for, not output yet). */
  decoding(): number;
}

/** About a second of frames at 30 fps: above any sane playout delay, below a decoder's whole pool. */
export const MAX_QUEUED = 32;
/** Joining, the first paint waits at most this long (ms) after the first frame for the decoder to empty. */
export const MAX_PREROLL_MS = 150;
/** Frames in the decoder behind the first one that make it a join (preroll) rather than a start. */
export const PREROLL_BEHIND = 1;

type SchedulerState = 'idle' | 'armed' | 'destroyed';

export class FrameScheduler<F extends ScheduledFrame> {
  painted = 0;
  late = 0;
  /** Runs of late paints (see the header). */
  stalls = 0;
  skipped = 0;
  /** Frames decoded before the first paint to reach the newest of a joining burst. */
  prerolled = 0;
  private queue: F[] = [];
  private firstQueuedAt: number | undefined;
  /** More than PREROLL_BEHIND frames were in the decoder behind the first one (see the header). */
  private joining = false;
  private state: SchedulerState = 'idle';
  private timer: TimerId | undefined;
  /** The last painted frame's timestamp: an older frame is never painted after it. */
  private lastPainted = -Infinity;
  /** The last paint was late: a late paint now continues that stall. */
  private lastLate = false;

  constructor(private readonly deps: FrameSchedulerDeps<F>) {}

  /** Frames waiting for their due time. */
  get queued(): number {
    return this.queue.length;
  }

  /** A decoded frame (decoders output in presentation order; kept sorted anyway). */
  push(frame: F): void {
    if (this.state === 'destroyed') {
      frame.close();
      return;
    }
    if (frame.timestamp <= this.lastPainted) {
      this.skip(frame);
      return;
    }
    let at = this.queue.length;
    while (at > 0 && (this.queue[at - 1]?.timestamp ?? 0) > frame.timestamp) at--;
    this.queue.splice(at, 0, frame);
    while (this.queue.length > MAX_QUEUED) {
      const oldest = this.queue.shift();
      if (this.painted > 0) this.skip(oldest);
      else if (oldest) {
        oldest.close();
        this.prerolled++;
      }
    }
    this.service();
  }

  /** Drops every waiting frame (a new stream follows: its timestamps may start anywhere). */
  clear(): void {
    for (const frame of this.queue.splice(0)) frame.close();
    this.lastPainted = -Infinity;
    this.firstQueuedAt = undefined;
    this.disarm();
  }

  destroy(): void {
    this.clear();
    this.state = 'destroyed';
  }

  private service(): void {
    if (this.state === 'destroyed') return;
    this.disarm();
    const now = this.deps.clock.now();
    if (this.painted === 0) {
      if (this.firstQueuedAt === undefined) {
        this.firstQueuedAt = now;
        // Judged at the first frame: a join decodes its whole burst, down to the last frame.
        this.joining = this.deps.decoding() > PREROLL_BEHIND;
      }
      const preroll = MAX_PREROLL_MS - (now - this.firstQueuedAt);
      if (this.joining && this.deps.decoding() > 0 && preroll > 0) {
        // The next output calls again; the timer bounds the wait (a decoder that holds its output).
        this.arm(preroll);
        return;
      }
      const first = this.queue.pop();
      for (const older of this.queue.splice(0)) {
        older.close();
        this.prerolled++;
      }
      if (first) this.paint(first, now, now);
    }
    // The newest frame that is due; the older ones are skipped.
    let due: { frame: F; at: number } | undefined;
    while (this.queue.length > 0) {
      const head = this.queue[0];
      if (!head) break;
      const at = this.deps.dueAt(head.timestamp / 1e6, now);
      if (at === undefined || at > now) break;
      this.queue.shift();
      if (due) this.skip(due.frame);
      due = { frame: head, at };
    }
    if (due) this.paint(due.frame, due.at, now);
    const next = this.queue[0];
    if (!next) return;
    const at = this.deps.dueAt(next.timestamp / 1e6, now);
    if (at !== undefined) this.arm(at - now);
  }

  private arm(ms: number): void {
    this.state = 'armed';
    this.timer = this.deps.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.state = 'idle';
        this.service();
      },
      Math.max(0, ms),
    );
  }

  private paint(frame: F, dueAt: number, now: number): void {
    this.lastPainted = frame.timestamp;
    try {
      this.deps.paint(frame, dueAt);
    } finally {
      frame.close();
    }
    this.painted++;
    const late = now - dueAt > this.deps.frameMs();
    if (late) {
      this.late++;
      if (!this.lastLate) this.stalls++;
      this.deps.late(now);
    }
    this.lastLate = late;
  }

  private skip(frame: F | undefined): void {
    if (!frame) return;
    frame.close();
    this.skipped++;
    this.deps.late(this.deps.clock.now());
  }

  private disarm(): void {
    if (this.state !== 'armed') return;
    this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.state = 'idle';
  }
}
