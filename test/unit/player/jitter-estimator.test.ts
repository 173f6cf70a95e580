// The playout delay's estimator alone, with scripted arrival series: the target follows the jitter's
// p99 up at once and down slowly, late reports raise it, a fixed target stays fixed.
import { describe, expect, it } from 'vitest';
import {
  DECAY_HALF_LIFE_MS,
  JitterEstimator,
  LATE_STEP_MS,
  SETTLE_MS,
} from '../../../src/player/jitter-estimator.js';
import { random } from '../../helpers/random.js';

const FRAME_MS = 1000 / 30;
const MARGIN = 4;

interface Run {
  readonly estimator: JitterEstimator;
  /** Frames (after the first 2 s) that arrived after their due time, as computed at arrival. */
  late: number;
  counted: number;
  /** Targets after each frame. */
  readonly targets: number[];
  readonly times: number[];
}

/** Frames from `from` to `to` (indices) at 30 fps, each delayed by `delay(i)` ms, sent at 500 ms. */
function feed(run: Run, from: number, to: number, delay: (i: number) => number): void {
  for (let i = from; i < to; i++) {
    const media = i / 30;
    const arrival = 500 + i * FRAME_MS + delay(i);
    const due = run.estimator.dueAt(media, arrival);
    if (arrival > 2000 && due !== undefined) {
      run.counted++;
      if (arrival > due) run.late++;
    }
    run.estimator.push(arrival, media);
    run.targets.push(run.estimator.target(arrival));
    run.times.push(arrival);
  }
}

function newRun(fixedMs?: number): Run {
  return {
    estimator: new JitterEstimator({ decodeMarginMs: MARGIN, fixedMs }),
    late: 0,
    counted: 0,
    targets: [],
    times: [],
  };
}

describe('JitterEstimator', () => {
  it('raises the target to about the p99 of a jittery arrival series, so that few frames are late', () => {
    const run = newRun();
    const r = random(42);
    // 0-40 ms uniform: p99 is 39.6 ms.
    feed(run, 0, 900, () => r() * 40);
    const target = run.estimator.target(run.times.at(-1) ?? 0);
    expect(run.estimator.jitter()).toBeGreaterThan(36);
    expect(run.estimator.jitter()).toBeLessThanOrEqual(40);
    expect(target).toBeGreaterThanOrEqual(run.estimator.jitter() + MARGIN);
    expect(target).toBeLessThan(40 + MARGIN + 2);
    // Well under 1 % of frames arrive after their due time.
    expect(run.late / run.counted).toBeLessThan(0.01);
  });

  it('lets the target decay on a calm series, no faster than its half-life', () => {
    const run = newRun();
    const r = random(7);
    feed(run, 0, 600, () => r() * 40);
    const high = run.targets.at(-1) ?? 0;
    expect(high).toBeGreaterThan(36);
    feed(run, 600, 1500, () => r() * 2);
    for (let i = 601; i < run.targets.length; i++) {
      const dt = (run.times[i] ?? 0) - (run.times[i - 1] ?? 0);
      const floor = (run.targets[i - 1] ?? 0) * Math.pow(2, -dt / DECAY_HALF_LIFE_MS);
      expect(run.targets[i]).toBeGreaterThanOrEqual(floor - 1e-9);
    }
    // 2 s after the calm began the jittery frames are still in the window: the target holds.
    expect(run.targets[660]).toBeGreaterThan(high - 5);
    // 30 s of calm: the jitter of the window, 2 ms at most, plus the margin.
    expect(run.targets.at(-1)).toBeLessThan(MARGIN + 2.5);
  });

  it('counts late reports after the join only, and forgets them after a calm spell', () => {
    const run = newRun();
    feed(run, 0, 10, () => 0);
    const e = run.estimator;
    const t0 = run.times.at(-1) ?? 0;
    e.late(t0);
    expect(e.target(t0)).toBe(MARGIN);
    feed(run, 10, 60, () => 0);
    const t1 = run.times.at(-1) ?? 0;
    expect(t1 - 500).toBeGreaterThan(SETTLE_MS);
    for (let i = 0; i < 4; i++) e.late(t1);
    expect(e.target(t1)).toBeCloseTo(MARGIN + 4 * LATE_STEP_MS, 9);
    // A minute without a late report: back to the margin.
    feed(run, 60, 60 + 30 * 60, () => 0);
    expect(e.target(run.times.at(-1) ?? 0)).toBeCloseTo(MARGIN, 3);
  });

  it('anchors due times on the best arrival, and keeps a fixed target whatever the jitter', () => {
    const run = newRun(250);
    const r = random(3);
    feed(run, 0, 300, (i) => (i === 200 ? 0 : 5 + r() * 30));
    const e = run.estimator;
    const now = run.times.at(-1) ?? 0;
    expect(e.target(now)).toBe(250);
    expect(e.jitter()).toBeGreaterThan(25);
    // Frame 200 arrived with no delay: the best transit is 500 ms.
    expect(e.baseline).toBeCloseTo(500, 9);
    expect(e.dueAt(10, now)).toBeCloseTo(10_000 + 500 + 250, 9);
  });

  it('starts again on a new timeline (a jump of the transit)', () => {
    const run = newRun();
    const r = random(5);
    feed(run, 0, 300, () => r() * 40);
    expect(run.estimator.jitter()).toBeGreaterThan(30);
    // The stream's timestamps jump back 60 s: a reconnect to a restarted source, joined again (its
    // first second's samples go, as at the start: a relay's burst).
    for (let i = 0; i < 60; i++) run.estimator.push(11_000 + i * FRAME_MS, i / 30);
    expect(run.estimator.count).toBe(30);
    expect(run.estimator.jitter()).toBeLessThan(1e-6);
  });
});

describe('JitterEstimator on a source off its timeline', () => {
  // A 25 fps camera on a 30 fps timeline (raspivid writes no timing; 30 is assumed): each frame's
  // media time runs 6.7 ms ahead of the last one's arrival. On the media clock that drift read as
  // jitter (p99 830 ms over the 5 s window, 1000 ms, the cap, for a 15 fps webcam), and the target
  // with it; on the source's pace the jitter is the network's alone.
  for (const [sent, timeline] of [
    [25, 30],
    [15, 30],
    [60, 30],
    // Each frame 133 ms later than the last on the timeline: a rise, but no step (it climbs).
    [5, 15],
  ] as const) {
    it(`${sent} fps sent on a ${timeline} fps timeline: the jitter is the network's, frames due as they come`, () => {
      const estimator = new JitterEstimator({ decodeMarginMs: MARGIN });
      const r = random(3);
      let arrival = 0;
      for (let i = 0; i < 20 * sent; i++) {
        arrival = 500 + (i * 1000) / sent + r() * 10;
        estimator.push(arrival, i / timeline);
      }
      expect(estimator.pace.msPerMediaMs).toBeCloseTo(timeline / sent, 1);
      expect(estimator.jitter()).toBeLessThan(15);
      const next = 20 * sent;
      const due = estimator.dueAt(next / timeline, arrival);
      // Due within the target of when it will be sent, not a second off.
      expect(Math.abs((due ?? NaN) - (500 + (next * 1000) / sent))).toBeLessThan(40);
    });
  }
});

describe('JitterEstimator across a step (frames lost while the timeline goes on)', () => {
  // A camera at 30 fps; 300 ms of its frames are lost (a pause of the camera, of the network, or a
  // reconnect) and the timeline goes on frame by frame: every later frame comes 300 ms later than the
  // frames before it say. Measured in Chromium (a server that closes each connection after 5 s): the
  // target rose to 270 ms and stayed, with a false source pace of 0.95.
  /** How long (ms) each frame is held after it arrives, per frame from `from`. */
  function holds(
    o: {
      readonly lossAt: number;
      readonly lossMs: number;
      readonly reconnect?: boolean;
      readonly extra?: (i: number) => number;
    },
    frames = 30 * 30,
  ): { estimator: JitterEstimator; held: number[] } {
    const estimator = new JitterEstimator({ decodeMarginMs: MARGIN, paceFrom: 'received' });
    const r = random(11);
    const held: number[] = [];
    for (let i = 0; i < frames; i++) {
      const arrival =
        500 + i * FRAME_MS + (i >= o.lossAt ? o.lossMs : 0) + r() * 10 + (o.extra?.(i) ?? 0);
      if (o.reconnect && i === o.lossAt) estimator.discontinuity(i / 30);
      estimator.received(arrival, i / 30);
      estimator.push(arrival + 2, i / 30);
      held.push((estimator.dueAt(i / 30, arrival + 2) ?? NaN) - (arrival + 2));
    }
    return { estimator, held };
  }

  it('is found a second after it, and the frames after it are not held for its height', () => {
    const { estimator, held } = holds({ lossAt: 300, lossMs: 300 });
    // 2 s after the step and later: held for the jitter and the margin, not the step. Without the
    // step's detection, frames 5-10 s after it were held 150-250 ms (the target kept the step as jitter).
    expect(Math.max(...held.slice(360))).toBeLessThan(30);
    expect(estimator.pace.msPerMediaMs).toBeCloseTo(1, 2);
  });

  it('is found under spikes of delay on top (a busy machine holding appends up 200 ms)', () => {
    // Every eighth frame 200 ms late; measured in Firefox's MSE beside another browser, where a test
    // that read the spread of the transits after the rise missed the step and the pace tilted.
    const { estimator, held } = holds({
      lossAt: 300,
      lossMs: 300,
      extra: (i) => (i % 8 === 5 ? 200 : 0),
    });
    expect(estimator.pace.msPerMediaMs).toBeCloseTo(1, 2);
    // The spikes are jitter (held for them), the step is not (300 ms more).
    expect(Math.max(...held.slice(360))).toBeLessThan(250);
  });

  it('a late burst (frames delayed, not lost) is jitter, not a step: the best arrival stays', () => {
    const estimator = new JitterEstimator({ decodeMarginMs: MARGIN });
    for (let i = 0; i < 600; i++) {
      const due = 500 + i * FRAME_MS;
      // Nothing for 400 ms from frame 300, then those frames together.
      const arrival = i >= 300 && i < 312 ? 500 + 312 * FRAME_MS : due;
      estimator.push(arrival, i / 30);
    }
    expect(estimator.baseline).toBeCloseTo(500, 6);
  });

  it("a reconnect (discontinuity) is joined again at once: a relay's burst is not jitter", () => {
    // The new connection brings a relay's GOP cache: 20 frames at once, then one every frame interval.
    // The target 3 s after it.
    const run = (reconnect: boolean): number => {
      const estimator = new JitterEstimator({ decodeMarginMs: MARGIN, paceFrom: 'received' });
      let arrival = 0;
      for (let i = 0; i < 410; i++) {
        arrival = i < 300 ? 500 + i * FRAME_MS : i < 320 ? 10_800 : 10_800 + (i - 319) * FRAME_MS;
        if (reconnect && i === 300) estimator.discontinuity(i / 30);
        estimator.received(arrival, i / 30);
        estimator.push(arrival, i / 30);
      }
      return estimator.target(arrival);
    };
    expect(run(true)).toBeLessThan(MARGIN + 1);
    expect(run(false)).toBeGreaterThan(300);
  });
  // A camera that loses 0.3 s of frames every 5 s (9 frames before every fifth keyframe), seen on a busy
  // machine: a frame now and then held up to 200 ms by the page or the worker, and the frames behind
  // it with it (they come in order). Measured in Firefox and WebKitGTK with the suite beside them: a
  // false SOURCE_PACE ("arrives at 27.8": the pace 8 % off) and a pace of 1.014 at the end. A frame
  // held up right before a loss began the step's judgement with its own rise: the frames after the
  // loss, higher still, read as a climb (a slow source) and the step went unseen; and the pace took
  // in the frames after the loss while the step was judged, tilting by up to 6 %.
  /** The pace after each frame (from 3 s on) for a series with losses and hold-ups. */
  function paces(seed: number, holdUp: (i: number, r: () => number) => number): number[] {
    const estimator = new JitterEstimator({ decodeMarginMs: MARGIN, paceFrom: 'received' });
    const r = random(seed);
    const seen: number[] = [];
    let lost = 0;
    let previous = 0;
    for (let i = 0; i < 40 * 30; i++) {
      if (i % 150 === 149) lost += 9;
      const arrival = Math.max(previous, 500 + (i + lost) * FRAME_MS + r() * 10 + holdUp(i, r));
      previous = arrival;
      estimator.received(arrival, i / 30);
      estimator.push(arrival + 2, i / 30);
      if (arrival > 3000) seen.push(estimator.pace.rate);
    }
    return seen;
  }

  it('a frame held up just before the loss: the step is still found, the pace stays', () => {
    // The frame before each loss held 150 ms (the two before it come with it).
    const seen = paces(3, (i) => (i % 150 === 148 ? 150 : 0));
    expect(Math.max(...seen.map((p) => Math.abs(p - 1)))).toBeLessThan(0.01);
  });

  for (const seed of [1, 2, 4]) {
    it(`frames held up at random (seed ${seed}): the pace stays within 2 %`, () => {
      // One frame in ten held 0-200 ms (these seeds tilted the pace past 5 % for 1.4-3.2 s).
      const seen = paces(seed, (_, r) => (r() < 0.1 ? r() * 200 : 0));
      expect(Math.max(...seen.map((p) => Math.abs(p - 1)))).toBeLessThan(0.02);
      expect(Math.abs((seen.at(-1) ?? 0) - 1)).toBeLessThan(0.005);
    });
  }
});
