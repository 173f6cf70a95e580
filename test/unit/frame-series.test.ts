// The inspector's data on real transmuxer output: the GOP summary and the resolution changes.
import { describe, expect, it } from 'vitest';
import type { InitSegment } from '../../src/core/index.js';
import { gopSummary, resolutionChanges } from '../../src/app/frame-series.js';
import type { Frame } from '../../src/app/frame-series.js';
import { readFixture } from '../helpers/fixtures.js';
import { transmux } from '../helpers/transmux.js';

/** The frames the inspector holds after a whole fixture, each with the init segment in force. */
function inspectedFrames(name: string): Frame[] {
  const frames: Frame[] = [];
  let init: InitSegment | undefined;
  for (const out of transmux(readFixture(name)).outputs) {
    if (out.type === 'init') init = out;
    else if (out.type === 'media')
      for (const sample of out.samples) frames.push({ sample, timescale: out.timescale, init });
  }
  return frames;
}

describe('inspector data', () => {
  it('p10: one resolution change, at frame 60; GOPs of one length said once', () => {
    const frames = inspectedFrames('p10_spschange_360p_to_720p.h264');
    expect(frames).toHaveLength(120);
    expect(resolutionChanges(frames)).toEqual([{ frame: 60, from: '640×360', to: '1280×720' }]);
    const summary = gopSummary(frames);
    expect(summary).toContain('GOPs shown: 30 frames.');
    expect(summary).not.toContain('30–30');
  });

  it('GOPs of different lengths are given as a range; a stream without changes has none', () => {
    const frames = inspectedFrames('p01_pi_baseline_vga30_inline.h264');
    expect(resolutionChanges(frames)).toEqual([]);
    // Frames 45-59 left out: the second GOP holds 15 frames, the others 30.
    const cut = [...frames.slice(0, 45), ...frames.slice(60)];
    expect(gopSummary(cut)).toContain('GOPs shown: 15–30 frames.');
  });
});
