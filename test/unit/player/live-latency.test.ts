// The live latency policy alone: inputs in, decisions out.
import { describe, expect, it } from 'vitest';
import { EdgeGuardPolicy, MAX_CATCH_UP_RATE } from '../../../src/player/live-latency.js';
import type { PlayoutDecision, PlayoutInput } from '../../../src/player/live-latency.js';

const FRAME = 1 / 30;

function input(over: Partial<PlayoutInput> & { buffered?: [number, number] }): PlayoutInput {
  const [start, end] = over.buffered ?? [0, over.bufferedEnd ?? 10];
  return {
    now: 5000,
    playhead: 9,
    bufferedEnd: end,
    frameDuration: FRAME,
    playbackRate: 1,
    isBuffered: (t) => t >= start && t < end,
    ...over,
  };
}

function expectRate(decision: PlayoutDecision, rate: number): void {
  expect(decision.kind).toBe('rate');
  expect(decision.kind === 'rate' ? decision.rate : NaN).toBeCloseTo(rate, 9);
}

describe('EdgeGuardPolicy', () => {
  it('holds the playhead one frame plus the guard behind the edge: rate 1 there', () => {
    const p = new EdgeGuardPolicy({ targetLatency: 0, maxGuardFrames: 0 });
    p.started(0, FRAME);
    expect(p.tick(input({ playhead: 10 - FRAME }))).toEqual({ kind: 'keep' });
    // 5 ms beyond: within the hysteresis.
    expect(p.tick(input({ playhead: 10 - FRAME - 0.005 }))).toEqual({ kind: 'keep' });
  });

  it('catches up gently for a small excess, faster for a large one, never above the ceiling', () => {
    const p = new EdgeGuardPolicy({ targetLatency: 0, maxGuardFrames: 0 });
    p.started(0, FRAME);
    const small = p.tick(input({ playhead: 10 - FRAME - 0.05 }));
    expectRate(small, 1.1);
    const large = p.tick(input({ playhead: 10 - FRAME - 1 }));
    expect(large).toEqual({ kind: 'rate', rate: MAX_CATCH_UP_RATE });
  });

  it('stops catching up at the target (hysteresis), not 10 ms before it', () => {
    const p = new EdgeGuardPolicy({ targetLatency: 0.2, maxGuardFrames: 0 });
    p.started(0, FRAME);
    const near = input({ playhead: 10 - FRAME - 0.2 - 0.005, playbackRate: 1.05 });
    expectRate(p.tick(near), 1.01);
    expect(p.tick({ ...near, playhead: 10 - FRAME - 0.2 + 0.001 })).toEqual({
      kind: 'rate',
      rate: 1,
    });
  });

  it('jumps to the edge when far behind', () => {
    const p = new EdgeGuardPolicy({ targetLatency: 0, maxGuardFrames: 0 });
    p.started(0, FRAME);
    expect(p.tick(input({ playhead: 5 }))).toEqual({
      kind: 'jump',
      to: 10 - FRAME,
      reason: 'far-behind',
    });
    // "Far" grows with the target.
    const patient = new EdgeGuardPolicy({ targetLatency: 2, maxGuardFrames: 0 });
    patient.started(0, FRAME);
    expect(patient.tick(input({ playhead: 5.5 })).kind).toBe('rate');
  });

  it('jumps to the very end when the edge less the target is not buffered', () => {
    const p = new EdgeGuardPolicy({ targetLatency: 0, maxGuardFrames: 0 });
    p.started(0, FRAME);
    const decision = p.tick(input({ playhead: 2, buffered: [9.99, 10] }));
    expect(decision).toEqual({ kind: 'jump', to: 9.999, reason: 'far-behind' });
  });

  it('starts the guard at its maximum, widens it on stalls after the first second, relaxes it slowly', () => {
    const p = new EdgeGuardPolicy({ targetLatency: 0, maxGuardFrames: 0.6 });
    p.started(0, FRAME);
    expect(p.guard).toBeCloseTo(0.02, 9);
    // Relaxes by 1 ms every 3 s without a stall.
    p.tick(input({ now: 3001, playhead: 9.9 }));
    expect(p.guard).toBeCloseTo(0.019, 9);
    p.tick(input({ now: 4000, playhead: 9.9 }));
    expect(p.guard).toBeCloseTo(0.019, 9);
    p.stalled(4500, FRAME);
    expect(p.guard).toBeCloseTo(0.02, 9);
    p.stalled(4600, FRAME);
    expect(p.guard).toBeCloseTo(0.02, 9);
    // Stalls in the first second (joining) do not move it.
    const q = new EdgeGuardPolicy({ targetLatency: 0, maxGuardFrames: 0.6 });
    q.started(0, FRAME);
    q.tick(input({ now: 3001, playhead: 9.9 }));
    q.stalled(3100, FRAME);
    expect(q.guard).toBeCloseTo(0.02, 9);
    const r = new EdgeGuardPolicy({ targetLatency: 0, maxGuardFrames: 0.6 });
    r.started(0, FRAME);
    r.tick(input({ now: 3001, playhead: 9.9 }));
    r.stalled(500, FRAME);
    expect(r.guard).toBeCloseTo(0.019, 9);
  });

  it('jumps once to the target after a join burst, only while joining', () => {
    const p = new EdgeGuardPolicy({ targetLatency: 0, maxGuardFrames: 0 });
    p.started(1000, FRAME);
    expect(p.joining(1500)).toBe(true);
    // Close to the edge already: no jump.
    expect(p.joined(input({ now: 1500, playhead: 9.9 }))).toEqual({ kind: 'keep' });
    expect(p.joined(input({ now: 1500, playhead: 9 }))).toEqual({
      kind: 'jump',
      to: 10 - FRAME,
      reason: 'join',
    });
    expect(p.joining(1600)).toBe(false);
    const late = new EdgeGuardPolicy({ targetLatency: 0, maxGuardFrames: 0 });
    late.started(1000, FRAME);
    expect(late.joining(4100)).toBe(false);
    expect(late.joined(input({ now: 4100, playhead: 9 }))).toEqual({ kind: 'keep' });
  });

  it('jumps to the edge when the page is shown again more than 0.3 s behind', () => {
    const p = new EdgeGuardPolicy({ targetLatency: 0, maxGuardFrames: 0 });
    p.started(0, FRAME);
    expect(p.visible(input({ playhead: 9.7 }))).toEqual({ kind: 'keep' });
    expect(p.visible(input({ playhead: 9.5 }))).toEqual({
      kind: 'jump',
      to: 10 - FRAME,
      reason: 'visible',
    });
  });
});
