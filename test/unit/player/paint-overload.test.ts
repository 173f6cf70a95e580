// When a canvas renderer's painting is what keeps it from showing the stream (the player then moves
// the stream to MSE): frames late or skipped, and a paint that costs most of a frame interval.
import { describe, expect, it } from 'vitest';
import {
  OVERLOAD_WINDOW_MS,
  PaintOverload,
  type OverloadVerdict,
} from '../../../src/player/paint-overload.js';

const FRAME_MS = 1000 / 30;

/**
 * Feeds `seconds` of a 30 fps stream, a sample every 500 ms, of which `missed` per second are late
 * and `skipped` per second never shown, each paint costing `paintMs`. Returns the time of the first
 * verdict (ms) and the verdict, or undefined.
 */
function run(options: {
  seconds: number;
  paintMs: number;
  late?: number;
  skipped?: number;
  fps?: number;
}): { at: number; verdict: OverloadVerdict } | undefined {
  const overload = new PaintOverload();
  const fps = options.fps ?? 30;
  const late = options.late ?? 0;
  const skipped = options.skipped ?? 0;
  for (let t = 500; t <= options.seconds * 1000; t += 500) {
    const s = t / 1000;
    const figures = {
      painted: Math.round(s * (fps - skipped)),
      late: Math.round(s * late),
      skipped: Math.round(s * skipped),
      paintMs: options.paintMs,
    };
    const verdict = overload.sample(t, figures, FRAME_MS);
    if (verdict) return { at: t, verdict };
  }
  return undefined;
}

describe('PaintOverload', () => {
  it('a paint costing a whole frame interval, half the frames late or skipped: a verdict after the window', () => {
    // Firefox, 3840x2160 at 30 fps on the worker's canvas: 34 ms a paint.
    const result = run({ seconds: 10, paintMs: 34, late: 10, skipped: 5 });
    expect(result?.at).toBe(OVERLOAD_WINDOW_MS + 500);
    expect(result?.verdict.paintMs).toBe(34);
    expect(result?.verdict.missedShare).toBeCloseTo(0.5, 1);
  });

  it('cheap paints with frames late (the network, a busy page): no verdict, MSE would not help', () => {
    expect(run({ seconds: 20, paintMs: 2, late: 10, skipped: 5 })).toBeUndefined();
  });

  it('expensive paints that still keep up: no verdict', () => {
    expect(run({ seconds: 20, paintMs: 25, late: 1, skipped: 1 })).toBeUndefined();
  });

  it('a stream that hardly sends frames (paused camera): no verdict on too few frames', () => {
    expect(run({ seconds: 20, paintMs: 34, late: 2, skipped: 1, fps: 3 })).toBeUndefined();
  });

  it('reset() starts the window again (a page back from hidden)', () => {
    const overload = new PaintOverload();
    const at = (t: number) => ({
      painted: t * 0.02,
      late: t * 0.01,
      skipped: t * 0.005,
      paintMs: 34,
    });
    for (let t = 500; t < OVERLOAD_WINDOW_MS; t += 500) overload.sample(t, at(t), FRAME_MS);
    overload.reset();
    let first: number | undefined;
    for (let t = OVERLOAD_WINDOW_MS; t <= 3 * OVERLOAD_WINDOW_MS && first === undefined; t += 500)
      if (overload.sample(t, at(t), FRAME_MS)) first = t;
    expect(first).toBe(2 * OVERLOAD_WINDOW_MS);
  });
});
