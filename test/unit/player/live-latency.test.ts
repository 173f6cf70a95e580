// The MSE renderer's live latency policy alone: arrivals and inputs in, decisions out.
import { describe, expect, it } from 'vitest';
import {
  FAR_BEHIND_S,
  MAX_RATE,
  MIN_RATE,
  PlayoutDelayPolicy,
} from '../../../src/player/live-latency.js';
import type { PlayoutDecision, PlayoutInput } from '../../../src/player/live-latency.js';

const FRAME = 1 / 30;
const FRAME_MS = 1000 / 30;
const TRANSIT_MS = 100;

/** A policy fed `seconds` of frames arriving on time (TRANSIT_MS after their media time). */
function fed(seconds: number, fixedMs?: number): { policy: PlayoutDelayPolicy; now: number } {
  const policy = new PlayoutDelayPolicy(fixedMs);
  policy.started(TRANSIT_MS);
  let now = 0;
  for (let i = 0; i < seconds * 30; i++) {
    now = TRANSIT_MS + i * FRAME_MS;
    policy.arrived(now, i / 30);
  }
  return { policy, now };
}

function input(now: number, playhead: number, over: Partial<PlayoutInput> = {}): PlayoutInput {
  const end = (now - TRANSIT_MS) / 1000 + FRAME;
  return {
    now,
    playhead,
    bufferedEnd: end,
    frameDuration: FRAME,
    playbackRate: 1,
    isBuffered: (t) => t >= 0 && t < end,
    ...over,
  };
}

function rateOf(decision: PlayoutDecision): number {
  if (decision.kind === 'rate') return decision.rate;
  if (decision.kind === 'keep') return 1;
  throw new Error(`a ${decision.kind}`);
}

describe('PlayoutDelayPolicy', () => {
  it('holds the playhead at the playout clock: rate 1 there, within the bounds elsewhere', () => {
    const { policy, now } = fed(10);
    const target = policy.targetMs(now);
    const desired = (now - TRANSIT_MS - target) / 1000;
    expect(policy.tick(input(now, desired))).toEqual({ kind: 'keep' });
    // A little behind: faster; a little ahead: slower.
    expect(rateOf(policy.tick(input(now, desired - 0.02)))).toBeCloseTo(1.02, 9);
    expect(rateOf(policy.tick(input(now, desired + 0.01)))).toBeCloseTo(0.99, 9);
    for (let off = -1.9; off <= 0.05; off += 0.01) {
      const rate = rateOf(policy.tick(input(now, desired + off)));
      expect(rate).toBeGreaterThanOrEqual(MIN_RATE);
      expect(rate).toBeLessThanOrEqual(MAX_RATE);
    }
  });

  it('seeks only when far behind', () => {
    const { policy, now } = fed(10);
    const desired = (now - TRANSIT_MS - policy.targetMs(now)) / 1000;
    expect(policy.tick(input(now, desired - FAR_BEHIND_S + 0.1)).kind).toBe('rate');
    expect(policy.tick(input(now, desired - FAR_BEHIND_S - 0.1))).toEqual({
      kind: 'jump',
      to: desired,
      reason: 'far-behind',
    });
  });

  it('never steers past the newest frame: a late frame is waited for, not run into', () => {
    const { policy, now } = fed(10);
    // The newest frame is 100 ms older than the clock expects (it is late).
    const end = (now - TRANSIT_MS - 100) / 1000 + FRAME;
    const at = input(now, end - FRAME, { bufferedEnd: end });
    expect(policy.tick(at)).toEqual({ kind: 'keep' });
  });

  it('follows a fixed target', () => {
    const { policy, now } = fed(10, 300);
    expect(policy.targetMs(now)).toBe(300);
    const desired = (now - TRANSIT_MS - 300) / 1000;
    expect(policy.tick(input(now, desired))).toEqual({ kind: 'keep' });
  });

  it('jumps once after a join burst, only when well behind and buffered', () => {
    const policy = new PlayoutDelayPolicy(undefined);
    policy.started(0);
    // A GOP cache: 1 s of frames within 20 ms.
    for (let i = 0; i < 30; i++) policy.arrived((20 * i) / 30, i / 30);
    const now = 30;
    const end = 1;
    const burst = { bufferedEnd: end, isBuffered: (t: number) => t >= 0 && t < end };
    expect(policy.joining(now)).toBe(true);
    const decision = policy.joined(input(now, 0, burst));
    expect(decision.kind).toBe('jump');
    const to = decision.kind === 'jump' ? decision.to : NaN;
    expect(to).toBeGreaterThan(0.9);
    expect(to).toBeLessThanOrEqual(end - FRAME);
    expect(policy.joined(input(now, 0, burst))).toEqual({ kind: 'keep' });
  });

  it("joins a reconnect's arrivals again (InitSegment.discontinuity): a relay's burst is no jitter", () => {
    const { policy, now } = fed(10);
    // The new connection, 300 ms later: the relay's GOP cache (1 s of frames within 20 ms), the
    // timeline going on after the last frame (10 s).
    const at = now + 300;
    policy.discontinuity();
    for (let i = 0; i < 30; i++) policy.arrived(at + (20 * i) / 30, 10 + i / 30);
    const settled = at + 30;
    // Two frames ahead and the margin; without, the burst's spread (1 s) was jitter: 1000 ms.
    expect(policy.targetMs(settled)).toBeLessThan(2 * FRAME_MS + 10);
    // Caught up by the rate, not by a second join jump (the burst may be frames held for reordering).
    expect(policy.joining(settled)).toBe(false);
    const end = 11;
    const burst = { bufferedEnd: end, isBuffered: (t: number) => t >= 0 && t < end };
    expect(rateOf(policy.tick(input(settled, 10, burst)))).toBe(MAX_RATE);
  });

  it('jumps back to the clock when the page is shown again far behind', () => {
    const { policy, now } = fed(10);
    const desired = (now - TRANSIT_MS - policy.targetMs(now)) / 1000;
    expect(policy.visible(input(now, desired - 0.2))).toEqual({ kind: 'keep' });
    expect(policy.visible(input(now, desired - 1))).toEqual({
      kind: 'jump',
      to: desired,
      reason: 'visible',
    });
  });

  it('adds two frame intervals decoded ahead to an adaptive target, none to a fixed one', () => {
    const adaptive = fed(10);
    const before = adaptive.policy.targetMs(adaptive.now);
    adaptive.policy.setFrameDuration(1 / 30);
    expect(adaptive.policy.targetMs(adaptive.now) - before).toBeCloseTo(2000 / 30, 9);
    const fixed = fed(10, 300);
    fixed.policy.setFrameDuration(1 / 30);
    expect(fixed.policy.targetMs(fixed.now)).toBe(300);
  });

  it("adds the stream's reordering depth to an adaptive target: a decoder holds each frame that many more", () => {
    // A B-frame stream (reorderDepth 2) over a steady relay stalled 18 times in 15 s in Chromium's MSE
    // with the margin of a stream without B-frames; 3 with two frame intervals more.
    const adaptive = fed(10);
    adaptive.policy.setFrameDuration(1 / 30);
    const before = adaptive.policy.targetMs(adaptive.now);
    adaptive.policy.setReorderDepth(2);
    expect(adaptive.policy.targetMs(adaptive.now) - before).toBeCloseTo(2000 / 30, 9);
    const fixed = fed(10, 300);
    fixed.policy.setFrameDuration(1 / 30);
    fixed.policy.setReorderDepth(2);
    expect(fixed.policy.targetMs(fixed.now)).toBe(300);
  });

  it('keeps the playhead where it is before any frame has arrived', () => {
    const policy = new PlayoutDelayPolicy(undefined);
    policy.started(0);
    expect(policy.tick(input(1000, 0))).toEqual({ kind: 'keep' });
  });

  /**
   * Plays `seconds` from a playhead `behindS` behind the target, frames arriving on time, a tick every
   * 100 ms applying each decision; `played(rate, dt)` is how far the engine moves the playhead in dt.
   */
  function play(
    behindS: number,
    seconds: number,
    played: (rate: number, dt: number, t: number) => number,
  ): { policy: PlayoutDelayPolicy; jumps: { t: number; reason: string }[]; lag: number[] } {
    const { policy, now: start } = fed(5);
    let playhead = (start - TRANSIT_MS - policy.targetMs(start)) / 1000 - behindS;
    let rate = 1;
    let frame = 5 * 30;
    const jumps: { t: number; reason: string }[] = [];
    const lag: number[] = [];
    for (let t = 0.1; t <= seconds + 1e-9; t += 0.1) {
      const now = start + t * 1000;
      for (; TRANSIT_MS + frame * FRAME_MS <= now; frame++) {
        policy.arrived(TRANSIT_MS + frame * FRAME_MS, frame / 30);
      }
      playhead += played(rate, 0.1, t);
      const decision = policy.tick(input(now, playhead, { playbackRate: rate }));
      if (decision.kind === 'rate') rate = decision.rate;
      if (decision.kind === 'jump') {
        jumps.push({ t, reason: decision.reason });
        playhead = decision.to;
        rate = 1;
      }
      lag.push((now - TRANSIT_MS - policy.targetMs(now)) / 1000 - playhead);
    }
    return { policy, jumps, lag };
  }

  it('catches up by a jump where the engine ignores playbackRate (it plays at 1x whatever it is told)', () => {
    const { policy, jumps, lag } = play(0.35, 8, (_rate, dt) => dt);
    expect(policy.rateIgnored).toBe(true);
    expect(jumps).toHaveLength(1);
    expect(jumps[0]?.reason).toBe('rate-ignored');
    // Judged after RATE_PROBE_S of a fast rate, then held at the target.
    expect(jumps[0]?.t).toBeGreaterThan(1.5);
    expect(jumps[0]?.t).toBeLessThan(2.5);
    expect(Math.max(...lag.slice(-30).map(Math.abs))).toBeLessThan(FRAME);
  });

  it('steers by the rate where the engine follows it: no jump', () => {
    const { policy, jumps, lag } = play(0.35, 8, (rate, dt) => rate * dt);
    expect(policy.rateIgnored).toBe(false);
    expect(jumps).toEqual([]);
    expect(Math.max(...lag.slice(-20).map(Math.abs))).toBeLessThan(0.01);
  });

  it('does not take a stall at a fast rate for an ignored rate', () => {
    // Stalled for 1.2 s (the playhead does not move; not far behind yet), then playing at the rate.
    const { policy, jumps } = play(0.35, 6, (rate, dt, t) => (t <= 1.2 ? 0 : rate * dt));
    expect(policy.rateIgnored).toBe(false);
    expect(jumps).toEqual([]);
  });
});

describe('PlayoutDelayPolicy on a source off its timeline', () => {
  it('plays a 25 fps camera on a 30 fps timeline at 25/30, on its playout clock', () => {
    const policy = new PlayoutDelayPolicy(undefined);
    policy.started(TRANSIT_MS);
    let now = 0;
    for (let i = 0; i < 15 * 25; i++) {
      now = TRANSIT_MS + (i * 1000) / 25;
      policy.arrived(now, i / 30);
    }
    expect(policy.sourcePace()).toBeCloseTo(25 / 30, 2);
    // The newest frame (media time 374/30 s) arrived at `now`: on the playout clock the playhead is
    // the target's worth of source time behind it, in media time.
    const target = policy.targetMs(now);
    const desired = 374 / 30 - ((target / 1000) * 30) / 25;
    const end = 375 / 30;
    const at = (playhead: number): PlayoutInput =>
      input(now, playhead, { bufferedEnd: end, isBuffered: (t) => t >= 0 && t < end });
    expect(rateOf(policy.tick(at(desired)))).toBeCloseTo(25 / 30, 2);
    // Behind it: a little faster than the source's pace, never 1x or more.
    const behind = rateOf(policy.tick(at(desired - 0.05)));
    expect(behind).toBeGreaterThan(25 / 30);
    expect(behind).toBeLessThan(1);
  });
});
