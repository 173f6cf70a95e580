/**
 * The source's pace: how many milliseconds of our clock a millisecond of the stream's media time takes
 * to arrive. Pure: arrivals in, a mapping from media time to the source's clock out.
 *
 * A raw H.264 stream carries no capture times: the transmuxer times frames on a fixed grid, at the
 * rate the stream's VUI states, or an assumed 30 fps when it states none. Cameras do not keep to it:
 * raspivid writes no timing (a 25 fps camera then runs 20 % slower than its timeline), a webcam halves
 * its rate in low light under an unchanged VUI, and any sender's clock drifts from ours. Played on the
 * media timeline, such a stream drains the buffer at every frame, or fills it without end (measured in
 * Chromium: a 25 fps camera without timing, MSE, 63 % of the frames dropped, a stall every other frame;
 * a 60 fps one, WebCodecs, two frames in three skipped).
 *
 * So the playout runs on the source's clock: `sourceMs(media)` is a piecewise-linear map with slope
 * `msPerMediaMs`, fitted (a median of slopes) to the arrivals' lower envelope: the earliest arrival
 * for its media time in each BUCKET_MS of arrivals over the last PACE_WINDOW_MS, which jitter and
 * bursts leave alone
 * (a burst's newest frame is on time). The slope changes only when the fit is off by more than
 * CHANGE_SHARE; the map is re-anchored at the newest frame then, so the times already given stay.
 */

import { median, pairSlopes } from './theil-sen.js';

/** The lower envelope's resolution (ms of arrival time). */
export const BUCKET_MS = 250;
/** Arrivals older than this (ms) are forgotten. */
export const PACE_WINDOW_MS = 20_000;
/** A fit needs this much arrival time (ms)... */
export const MIN_SPAN_MS = 2000;
/** ...and this many buckets. */
export const MIN_BUCKETS = 8;
/**
 * No frame for this long (ms): the source paused (a camera's glitch, a reconnect), and its timeline may
 * go on from where it stopped, every later frame that much later than before. The fit starts again
 * (the slope and the map stay): pairs across such a step would tilt it for a whole window.
 */
export const GAP_MS = 1000;
/** The fit's pairs of points are this far apart (ms of arrival) at least. */
export const PAIR_MS = 1000;
/**
 * The slope moves when the fit differs from it by more than this share, or, over a short span, by
 * more than SPAN_ERROR_MS over the span (a few ms of jitter in the envelope tilt a short fit).
 */
export const CHANGE_SHARE = 0.002;
export const SPAN_ERROR_MS = 20;
/** The slope's bounds: a source 4 times slower or faster than its timeline at most. */
export const MIN_MS_PER_MEDIA_MS = 0.25;
export const MAX_MS_PER_MEDIA_MS = 4;

interface Point {
  /** Which bucket of arrival time. */
  readonly bucket: number;
  readonly arrival: number;
  readonly media: number;
}

export class SourcePace {
  private points: Point[] = [];
  private slope = 1;
  private anchorMedia = 0;
  private anchorSource = 0;

  /** Milliseconds of our clock per millisecond of media time (1: the stream keeps its timeline). */
  get msPerMediaMs(): number {
    return this.slope;
  }

  /** Media seconds the source sends per second (its inverse: 0.83 for a 25 fps camera on 30). */
  get rate(): number {
    return 1 / this.slope;
  }

  /** Where `mediaMs` falls on the source's clock (ms; only differences mean anything). */
  sourceMs(mediaMs: number): number {
    return this.anchorSource + (mediaMs - this.anchorMedia) * this.slope;
  }

  /** The media time (ms) at `sourceMs` on the source's clock. */
  mediaMs(sourceMs: number): number {
    return this.anchorMedia + (sourceMs - this.anchorSource) / this.slope;
  }

  /**
   * A frame of media time `mediaMs` arrived at `arrival` (ms). Returns true when the slope changed.
   */
  push(arrival: number, mediaMs: number): boolean {
    const bucket = Math.floor(arrival / BUCKET_MS);
    const last = this.points[this.points.length - 1];
    if (last?.bucket === bucket) {
      if (arrival - mediaMs < last.arrival - last.media) {
        this.points[this.points.length - 1] = { bucket, arrival, media: mediaMs };
      }
      return false;
    }
    if (last && arrival - last.arrival > GAP_MS) this.forget();
    // A bucket is done (its earliest frame known): fit through the done ones.
    this.points.push({ bucket, arrival, media: mediaMs });
    while ((this.points[0]?.arrival ?? arrival) < arrival - PACE_WINDOW_MS) this.points.shift();
    const done = this.points.slice(0, -1);
    const fitted = fit(done);
    const first = done[0];
    const newest = done[done.length - 1];
    if (fitted === undefined || !first || !newest) return false;
    const share = Math.max(CHANGE_SHARE, SPAN_ERROR_MS / (newest.arrival - first.arrival));
    if (Math.abs(fitted - this.slope) <= share * this.slope) return false;
    this.anchorSource = this.sourceMs(mediaMs);
    this.anchorMedia = mediaMs;
    this.slope = fitted;
    return true;
  }

  /**
   * The arrivals before `arrival` (ms; all of them by default) say nothing of the ones after: the source
   * was away (a reconnect) or paused, and its frames come later than before. The fit starts again from
   * the later ones; the slope and the map stay (the same source keeps its pace).
   */
  forget(arrival = Infinity): void {
    this.points = this.points.filter((p) => p.arrival >= arrival);
  }
}

/**
 * The slope of arrival over media time through `points` (Theil-Sen: the median of the slopes between
 * every two points PAIR_MS or more apart), undefined while unsure. A median, not least squares: a
 * bucket whose frames all came late (a long task of the page, a stall) tilts a least-squares fit by
 * several percent when it is at the window's end; a few of the pairs' slopes here.
 */
function fit(points: readonly Point[]): number | undefined {
  const n = points.length;
  const first = points[0];
  const last = points[n - 1];
  if (n < MIN_BUCKETS || !first || !last || last.arrival - first.arrival < MIN_SPAN_MS) {
    return undefined;
  }
  const slopes = pairSlopes(
    points.map((p) => p.arrival),
    points.map((p) => p.media),
    PAIR_MS,
  );
  const slope = median(slopes);
  if (slope === undefined) return undefined;
  return Math.min(MAX_MS_PER_MEDIA_MS, Math.max(MIN_MS_PER_MEDIA_MS, slope));
}

/** Frame rates cameras send (fps), whole. */
const NOMINAL_FPS = [5, 10, 12, 15, 20, 24, 25, 30, 48, 50, 60];
/** Whole rates that also come as NTSC's rate, 1000/1001 of it (23.976, 29.97, 59.94). */
const NTSC_FPS = new Set([24, 30, 60]);

/**
 * A measured frame rate as the nominal one within 2 % of it (25.4 -> 25), else to 0.01 fps.
 *
 * 30 and 29.97 are 0.1 % apart; no measurement of arrivals here comes near that (the relay's steady
 * rate is a 4 s mean of whole frames: +-0.25 fps; the source pace moves at 0.2 %), so the nearer of the
 * two would be noise's choice. The pair's NTSC rate is named only when `stream` (the rate the stream is
 * timed by: its VUI's) is that rate; else the whole one, which a camera that sends 29.97 misses by 0.1 %.
 */
export function nominalFps(measured: number, stream?: number): number {
  let best: number | undefined;
  let bestOff = Infinity;
  for (const fps of NOMINAL_FPS) {
    const rates = NTSC_FPS.has(fps) ? [fps, (fps * 1000) / 1001] : [fps];
    for (const rate of rates) {
      const off = Math.abs(measured - rate);
      if (off <= 0.02 * rate && off < bestOff) {
        best = fps;
        bestOff = off;
      }
    }
  }
  if (best === undefined) return Math.round(measured * 100) / 100;
  const ntsc = (best * 1000) / 1001;
  return NTSC_FPS.has(best) && stream !== undefined && Math.abs(stream - ntsc) < 1e-6 * ntsc
    ? ntsc
    : best;
}

/** A frame rate as text, to 0.001 fps (25, 29.97, 23.976). */
export function fpsText(fps: number): string {
  return String(Math.round(fps * 1000) / 1000);
}
