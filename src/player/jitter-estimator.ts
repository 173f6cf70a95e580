/**
 * The adaptive playout delay's estimator (what WebRTC's jitter buffer does), pure: arrival times and
 * media times in, a target delay out; no element, no timers.
 *
 * Each frame's transit is `arrival - sourceTime` (ms; the sender's clock and ours need no sync: only
 * differences count), where the source time is the frame's media time on the source's own pace
 * (./source-pace.ts: a camera slower or faster than the stream's timeline). The best transit over a
 * sliding window (the smallest) anchors the playout clock: a frame is due at
 * `sourceTime + best + target` (`dueAt`). The jitter is how much later than
 * the best a frame arrives; the target is a high percentile of it (p99 over the last few seconds or
 * hundreds of frames) plus a decode margin, so that about 1 % of frames at most arrive after their due
 * time, and fewer still once the margin has absorbed what the renderer reports (`late()`: a stall, a
 * frame skipped or painted late). The target rises at once and falls slowly (DECAY_HALF_LIFE_MS), so
 * a calm spell lets it come down without a late frame at each step.
 *
 * Fixed mode (`fixedMs`): the target is that value whatever the jitter (still measured, for stats).
 */

import { SourcePace } from './source-pace.js';

export interface JitterEstimatorOptions {
  /** A fixed target delay (ms); undefined: adaptive. */
  readonly fixedMs?: number | undefined;
  /** What the renderer needs beyond the arrival (decode, the next vsync), ms. */
  readonly decodeMarginMs: number;
  /** The lateness margin's start value (ms): the renderer's own feedback then moves it. */
  readonly initialMarginMs?: number;
  /** The sliding window: samples older than this (ms of arrival time)... */
  readonly windowMs?: number;
  /** ...or beyond this many are forgotten. */
  readonly maxSamples?: number;
  /** The percentile of the jitter the target covers. */
  readonly percentile?: number;
  /**
   * The target's floor while settling (the first SETTLE_MS, when no jitter is measured), ms; not held
   * after. Default 0.
   */
  readonly settlingTargetMs?: number;
  /**
   * Where the source's pace learns arrivals: 'push' (default), each sample; 'received', only what
   * `received()` reports. A WebCodecs renderer's samples are decoded frames: a decoder slower than the
   * stream (WebKitGTK at 3840x2160) would pass for a slow source, and the picture would slow to it.
   */
  readonly paceFrom?: 'push' | 'received';
}

/** Defaults: p99 over 5 s or 600 frames. */
export const JITTER_WINDOW_MS = 5000;
export const JITTER_MAX_SAMPLES = 600;
export const JITTER_PERCENTILE = 99;
/** The target's bounds (ms). */
export const MIN_TARGET_MS = 0;
export const MAX_TARGET_MS = 1000;
/** The target falls towards the measured value with this half-life (ms): slowly, yet a one-off hiccup
 * (a second-long stall of the page or the network) costs seconds of extra delay, not minutes. */
export const DECAY_HALF_LIFE_MS = 2000;
/** Each late report adds this to the lateness margin (ms)... */
export const LATE_STEP_MS = 5;
/** ...up to this. */
export const MAX_MARGIN_MS = 100;
/** Without a late report for this long, the margin falls by MARGIN_DECAY_MS_PER_S. */
export const MARGIN_CALM_MS = 3000;
export const MARGIN_DECAY_MS_PER_S = 1;
/** A transit this far (ms) from the previous one is a new timeline (a reconnect, a restart): reset. */
export const DISCONTINUITY_MS = 2000;
/**
 * A step: the transit rose by more than this (ms) from one frame to the next (a pause of the source
 * or of the network in which frames were lost, while the timeline goes on frame by frame)...
 */
export const STEP_MIN_MS = 100;
/**
 * ...and stayed there for this long (ms), its lowest not climbing (spikes on top are jitter: an append
 * or a worker held up on a busy machine). The frames before it then say nothing of the ones after:
 * kept, they read as jitter of the step's height (the target rose to it and, once they left the window,
 * held the picture that much later for seconds). Frames that come back down within it were a late
 * burst, which is jitter; a lowest transit that climbs is a source slower than its timeline, which the
 * pace follows.
 */
export const STEP_CONFIRM_MS = 1000;
/**
 * Joining: a relay's GOP cache arrives as one burst at the start, and against it the first frames
 * look up to a GOP late. Until this long after the first sample the jitter counts as 0 (the target is
 * the margins alone) and late reports are ignored; then the window is emptied once and filled again.
 */
export const SETTLE_MS = 1000;

interface Sample {
  readonly arrival: number;
  /** Media time (ms): the transit is taken on the current pace (see transit()). */
  readonly media: number;
}

/** A rise of the transit, to be confirmed as a step (see STEP_CONFIRM_MS). */
interface StepCandidate {
  /** Arrival of the first frame after the rise... */
  readonly began: number;
  /** ...and of the frame it is judged from (a later rise on top of it, soon after). */
  arrival: number;
  /** The transit before it, and how far it rose. */
  readonly from: number;
  readonly rise: number;
  /** The lowest transit in the first and in the second half of STEP_CONFIRM_MS after it. */
  early: number;
  late: number;
}

export class JitterEstimator {
  /** The source's pace: media time to the source's clock. */
  readonly pace = new SourcePace();
  private samples: Sample[] = [];
  private firstArrival: number | undefined;
  private settled = false;
  /** The first arrival the pace was told of (see SETTLE_MS). */
  private firstReceived: number | undefined;
  private margin: number;
  private lastLate = -Infinity;
  private marginAt = 0;
  private held: number | undefined;
  private heldAt = 0;
  private step: StepCandidate | undefined;
  /** Arrivals for the pace held while a step is judged (see received()). */
  private heldForPace: Sample[] = [];
  /** A new timeline starts at this media time (ms): the samples' and the pace's (see discontinuity()). */
  private newTimeline: number | undefined;
  private newPaceTimeline: number | undefined;
  private readonly windowMs: number;
  private readonly maxSamples: number;
  private readonly percentile: number;

  constructor(private readonly options: JitterEstimatorOptions) {
    this.margin = options.initialMarginMs ?? 0;
    this.windowMs = options.windowMs ?? JITTER_WINDOW_MS;
    this.maxSamples = options.maxSamples ?? JITTER_MAX_SAMPLES;
    this.percentile = options.percentile ?? JITTER_PERCENTILE;
  }

  get adaptive(): boolean {
    return this.options.fixedMs === undefined;
  }

  /** A frame with presentation time `mediaTime` (s) became available at `arrival` (ms). */
  push(arrival: number, mediaTime: number): void {
    const mediaMs = mediaTime * 1000;
    if (this.newTimeline !== undefined && mediaMs >= this.newTimeline) {
      this.newTimeline = undefined;
      this.restart();
    }
    const last = this.samples[this.samples.length - 1];
    const next = { arrival, media: mediaMs };
    if (last && Math.abs(this.transit(next) - this.transit(last)) > DISCONTINUITY_MS)
      this.restart();
    this.firstArrival ??= arrival;
    if (this.options.paceFrom !== 'received') this.received(arrival, mediaTime);
    if (!this.settled && arrival - this.firstArrival >= SETTLE_MS) {
      this.settled = true;
      this.samples = [];
    }
    if (this.settled) this.watchStep(next, this.samples[this.samples.length - 1]);
    this.samples.push(next);
    let drop = 0;
    while (
      drop < this.samples.length - 1 &&
      (this.samples.length - drop > this.maxSamples ||
        (this.samples[drop]?.arrival ?? arrival) < arrival - this.windowMs)
    ) {
      drop++;
    }
    if (drop > 0) this.samples.splice(0, drop);
  }

  /**
   * The frames from `mediaTime` (s) on came over a new connection (InitSegment.discontinuity; by
   * default the next frame): a new timeline of arrivals, joined as the first one was (SETTLE_MS: a
   * relay sends its GOP cache again). The pace's slope and the lateness margin stay: the same source and
   * the same network.
   */
  discontinuity(mediaTime = -Infinity): void {
    this.newTimeline = mediaTime * 1000;
    this.newPaceTimeline = mediaTime * 1000;
  }

  /**
   * A frame with presentation time `mediaTime` (s) came from the network at `arrival` (ms): the
   * source's pace learns it. Not while joining (a burst, a cold start's late frames would tilt its
   * first fit).
   */
  received(arrival: number, mediaTime: number): void {
    const mediaMs = mediaTime * 1000;
    if (this.newPaceTimeline !== undefined && mediaMs >= this.newPaceTimeline) {
      this.newPaceTimeline = undefined;
      this.firstReceived = undefined;
      this.heldForPace = [];
      this.pace.forget();
    }
    this.firstReceived ??= arrival;
    if (arrival - this.firstReceived < SETTLE_MS) return;
    // While a rise is judged (watchStep), its arrivals wait: a fit across a step tilts the pace. Not
    // for long if no frame comes to judge it by (a decoder held up: samples are its frames).
    if (this.step && arrival - this.step.began > 2 * STEP_CONFIRM_MS) {
      this.step = undefined;
      this.releasePace();
    }
    if (this.step) this.heldForPace.push({ arrival, media: mediaMs });
    else this.pace.push(arrival, mediaMs);
  }

  /**
   * The renderer reports a frame late at `now` (ms): a stall, a skipped or late-painted frame. Not
   * in the first SETTLE_MS (joining: frames of a burst are skipped to reach the edge).
   */
  late(now: number): void {
    if (this.firstArrival === undefined || now - this.firstArrival < SETTLE_MS) return;
    this.decayMargin(now);
    this.margin = Math.min(MAX_MARGIN_MS, this.margin + LATE_STEP_MS);
    this.lastLate = now;
  }

  /** Samples in the window. */
  get count(): number {
    return this.samples.length;
  }

  /** The best (smallest) transit in the window (ms); undefined before the first frame. */
  get baseline(): number | undefined {
    if (this.samples.length === 0) return undefined;
    let best = Infinity;
    for (const s of this.samples) best = Math.min(best, this.transit(s));
    return best;
  }

  /** The window's jitter at the percentile (ms): how much later than the best frames arrive. */
  jitter(): number {
    const best = this.baseline;
    if (best === undefined || !this.settled) return 0;
    const sorted = this.samples.map((s) => this.transit(s)).sort((a, b) => a - b);
    const rank = Math.ceil((this.percentile / 100) * sorted.length) - 1;
    return (sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? best) - best;
  }

  /** The lateness margin at `now` (ms). */
  lateMargin(now: number): number {
    this.decayMargin(now);
    return this.margin;
  }

  /** The target delay at `now` (ms): fixed, or the jitter's percentile plus the margins. */
  target(now: number): number {
    if (this.options.fixedMs !== undefined) return this.options.fixedMs;
    this.decayMargin(now);
    const raw = Math.min(
      MAX_TARGET_MS,
      Math.max(MIN_TARGET_MS, this.jitter() + this.options.decodeMarginMs + this.margin),
    );
    if (this.held === undefined || raw >= this.held) this.held = raw;
    else {
      const kept = Math.pow(2, -Math.max(0, now - this.heldAt) / DECAY_HALF_LIFE_MS);
      this.held = raw + (this.held - raw) * kept;
    }
    this.heldAt = now;
    return this.settled ? this.held : Math.max(this.held, this.options.settlingTargetMs ?? 0);
  }

  /** When (ms, the arrivals' clock) the frame at `mediaTime` (s) is due; undefined before any frame. */
  dueAt(mediaTime: number, now: number): number | undefined {
    const best = this.baseline;
    return best === undefined
      ? undefined
      : this.pace.sourceMs(mediaTime * 1000) + best + this.target(now);
  }

  /** A new timeline: joined again (see discontinuity()). */
  private restart(): void {
    this.samples = [];
    this.firstArrival = undefined;
    this.settled = false;
    this.held = undefined;
    this.step = undefined;
    this.heldForPace = [];
    this.firstReceived = undefined;
    this.pace.forget();
  }

  /**
   * Watches for a step up of the transit (STEP_MIN_MS, STEP_CONFIRM_MS) as `next` comes after `last`;
   * once confirmed, the frames before it are forgotten, here and by the pace, and the target drops
   * what they made it hold.
   */
  private watchStep(next: Sample, last: Sample | undefined): void {
    const transit = this.transit(next);
    const step = this.step;
    if (step) {
      const since = next.arrival - step.arrival;
      if (transit < step.from + step.rise / 2) {
        // Back down: the frames were late, not lost (a burst), which is jitter.
        this.step = undefined;
        this.releasePace();
      } else if (
        last &&
        next.arrival - step.began < STEP_CONFIRM_MS / 2 &&
        transit - this.transit(last) > STEP_MIN_MS &&
        transit > step.from + step.rise
      ) {
        // A rise on top of the rise (soon after it): the frames that began it were held up (a busy
        // machine) just before frames were lost, or the other way round. The step is judged from here.
        step.arrival = next.arrival;
        step.early = transit;
        step.late = Infinity;
      } else if (since < STEP_CONFIRM_MS) {
        if (since < STEP_CONFIRM_MS / 2) step.early = Math.min(step.early, transit);
        else step.late = Math.min(step.late, transit);
      } else {
        this.step = undefined;
        // The lowest transit climbed: a source slower than its timeline, which the pace follows.
        if (step.late - step.early > step.rise / 2) {
          this.releasePace();
          return;
        }
        this.samples = this.samples.filter((s) => s.arrival >= step.arrival);
        this.held = undefined;
        // The pace's arrivals may be taken a little earlier than these (as they come from the network).
        const cut = step.arrival - step.rise / 2;
        this.pace.forget(cut);
        this.releasePace(cut);
        return;
      }
    }
    if (!this.step && last) {
      const from = this.transit(last);
      if (transit - from > STEP_MIN_MS) {
        this.step = {
          began: next.arrival,
          arrival: next.arrival,
          from,
          rise: transit - from,
          early: transit,
          late: Infinity,
        };
      }
    }
  }

  /**
   * The arrivals held while a rise was judged go to the pace, in order: those from `from` (ms) on, after
   * a step (the frames held up before a loss, when the step was judged from a rise on top, are before it).
   */
  private releasePace(from = -Infinity): void {
    const held = this.heldForPace;
    this.heldForPace = [];
    for (const s of held) if (s.arrival >= from) this.pace.push(s.arrival, s.media);
  }

  /** A sample's transit on the source's current pace (ms). */
  private transit(s: Sample): number {
    return s.arrival - this.pace.sourceMs(s.media);
  }

  private decayMargin(now: number): void {
    const from = Math.max(this.marginAt, this.lastLate + MARGIN_CALM_MS);
    if (now > from) {
      this.margin = Math.max(0, this.margin - (MARGIN_DECAY_MS_PER_S * (now - from)) / 1000);
    }
    this.marginAt = Math.max(this.marginAt, now);
  }
}
