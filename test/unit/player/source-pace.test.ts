// The source's pace (src/player/source-pace.ts): arrivals of frames on a fixed media grid, sent at
// another rate, with jitter, bursts and restarts, and the map from media time to the source's clock.
import { describe, expect, it } from 'vitest';
import {
  CHANGE_SHARE,
  MAX_MS_PER_MEDIA_MS,
  nominalFps,
  SourcePace,
} from '../../../src/player/source-pace.js';

/** A seeded uniform [0, 1). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * `seconds` of frames on a `timelineFps` media grid, sent at `sentFps` from `startMs`, each delayed by
 * up to `jitterMs` (in order). Returns the pace after each frame's push.
 */
function feed(
  pace: SourcePace,
  o: {
    timelineFps: number;
    sentFps: number;
    seconds: number;
    jitterMs?: number;
    from?: number;
    startMs?: number;
  },
): number[] {
  const random = prng(7);
  const seen: number[] = [];
  const from = o.from ?? 0;
  const start = o.startMs ?? 1000;
  let last = -Infinity;
  for (let i = 0; i < o.seconds * o.sentFps; i++) {
    const arrival = Math.max(last, start + (i * 1000) / o.sentFps + random() * (o.jitterMs ?? 0));
    last = arrival;
    pace.push(arrival, ((from + i) * 1000) / o.timelineFps);
    seen.push(pace.msPerMediaMs);
  }
  return seen;
}

describe('SourcePace', () => {
  it('keeps a source on its timeline at 1, through jitter of 0-40 ms', () => {
    const pace = new SourcePace();
    const seen = feed(pace, { timelineFps: 30, sentFps: 30, seconds: 60, jitterMs: 40 });
    expect(new Set(seen)).toEqual(new Set([1]));
  });

  it('finds a 25 fps camera on a 30 fps timeline within 3 s, and holds it through jitter', () => {
    const pace = new SourcePace();
    const seen = feed(pace, { timelineFps: 30, sentFps: 25, seconds: 30, jitterMs: 40 });
    // 30/25: 1.2 ms of our clock per ms of media time.
    expect(seen[3 * 25]).toBeCloseTo(1.2, 1);
    const settled = seen.slice(10 * 25);
    for (const s of settled) expect(Math.abs(s - 1.2)).toBeLessThan(1.2 * 2 * CHANGE_SHARE);
  });

  it('finds a faster one (60 fps on a 30 fps timeline), and a webcam halving its rate', () => {
    const fast = new SourcePace();
    expect(feed(fast, { timelineFps: 30, sentFps: 60, seconds: 10 }).at(-1)).toBeCloseTo(0.5, 2);
    const slow = new SourcePace();
    expect(feed(slow, { timelineFps: 30, sentFps: 15, seconds: 10 }).at(-1)).toBeCloseTo(2, 2);
  });

  it('maps media time continuously across a change of pace', () => {
    const pace = new SourcePace();
    const before = pace.sourceMs(1000);
    feed(pace, { timelineFps: 30, sentFps: 25, seconds: 10 });
    // Frames already due keep their times: the map was re-anchored at the newest frame, not at 0.
    expect(pace.sourceMs(1000)).not.toBe(before * 1.2);
    const m = 5000;
    expect(pace.mediaMs(pace.sourceMs(m))).toBeCloseTo(m, 6);
    const step = pace.sourceMs(m + 1000) - pace.sourceMs(m);
    expect(step).toBeCloseTo(1000 * pace.msPerMediaMs, 6);
  });

  it('is not moved by a burst: a stall of the network, then the frames it held at once', () => {
    const pace = new SourcePace();
    let t = 1000;
    for (let i = 0; i < 600; i++) {
      // 2 s of nothing from frame 200 on, then those frames arrive together.
      const due = 1000 + (i * 1000) / 30;
      t = i >= 200 && i < 260 ? Math.max(t, 1000 + (260 * 1000) / 30) : due;
      pace.push(t, (i * 1000) / 30);
      expect(pace.msPerMediaMs).toBe(1);
    }
  });

  it('forgets the arrivals before a step (frames lost in a reconnect), and keeps its pace', () => {
    // A 25 fps camera on a 30 fps timeline for 10 s; then 400 ms of its frames are lost, and the
    // timeline goes on frame by frame: every later frame comes 400 ms later than before.
    const run = (forget: boolean): number[] => {
      const pace = new SourcePace();
      feed(pace, { timelineFps: 30, sentFps: 25, seconds: 10 });
      expect(pace.msPerMediaMs).toBeCloseTo(1.2, 2);
      if (forget) pace.forget(11_000 + 400);
      const after = feed(pace, {
        timelineFps: 30,
        sentFps: 25,
        seconds: 15,
        from: 250,
        startMs: 11_000 + 400,
      });
      return after.map((slope) => Math.abs(slope / 1.2 - 1));
    };
    expect(Math.max(...run(true))).toBeLessThan(CHANGE_SHARE * 2);
    // Pairs across the step tilt the fit.
    expect(Math.max(...run(false))).toBeGreaterThan(0.02);
  });

  it('stays within 4x either way', () => {
    const pace = new SourcePace();
    feed(pace, { timelineFps: 60, sentFps: 5, seconds: 20 });
    expect(pace.msPerMediaMs).toBe(MAX_MS_PER_MEDIA_MS);
  });
});

describe('SourcePace against a busy page', () => {
  it('is not tilted by a spell in which every frame came late, at the window end', () => {
    // Half a second of congestion at 2.5 s (every frame 150 ms late), then on time again: the lower
    // envelope's last two buckets rise by 150 ms. A least-squares line through the envelope tilts
    // 9 % there (a false pace of 1.09); the median of the slopes does not move.
    const pace = new SourcePace();
    for (let i = 0; i < 300; i++) {
      const due = 1000 + (i * 1000) / 30;
      const arrival = due >= 3500 && due < 4000 ? due + 150 : due;
      pace.push(arrival, (i * 1000) / 30);
      expect(pace.msPerMediaMs).toBe(1);
    }
  });
});

describe('SourcePace across a pause of the source', () => {
  it('is not tilted by a camera that stops for 1.5 s and goes on where its timeline stopped', () => {
    // Every frame after the pause arrives 1.5 s later than before for its media time: half the pairs
    // of a window straddle that step (a slope of 1.15 between points 10 s apart).
    const pace = new SourcePace();
    for (let i = 0; i < 900; i++) {
      const arrival = 1000 + (i * 1000) / 30 + (i >= 300 ? 1500 : 0);
      pace.push(arrival, (i * 1000) / 30);
      expect(pace.msPerMediaMs).toBe(1);
    }
  });
});

describe('nominalFps', () => {
  it('names the camera rate a measured one is within 2 % of, else keeps it to 0.01 fps', () => {
    expect(nominalFps(25.2)).toBe(25);
    expect(nominalFps(50.8)).toBe(50);
    expect(nominalFps(30.02)).toBe(30);
    expect(nominalFps(14.9)).toBe(15);
    expect(nominalFps(23.5)).toBe(24);
    expect(nominalFps(27.345)).toBe(27.35);
  });

  it("does not let noise choose between 30 and 29.97: the whole rate, or the stream's own", () => {
    // A 4 s mean of a 30 fps camera reads 29.75-30.25 (a frame more or less); 29.97 is 0.1 % off 30.
    for (let measured = 29.5; measured <= 30.5; measured += 0.01) {
      expect(nominalFps(measured)).toBe(30);
      expect(nominalFps(measured, 30)).toBe(30);
      expect(nominalFps(measured, 30000 / 1001)).toBe(30000 / 1001);
    }
    expect(nominalFps(23.97, 24000 / 1001)).toBe(24000 / 1001);
    expect(nominalFps(59.9, 60000 / 1001)).toBe(60000 / 1001);
    expect(nominalFps(59.9, 60)).toBe(60);
    // Not a rate with an NTSC twin.
    expect(nominalFps(25.1, 25000 / 1001)).toBe(25);
  });
});
