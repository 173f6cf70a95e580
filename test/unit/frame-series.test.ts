// The inspector's data on real transmuxer output: the history it draws (bounded for hours of live),
// the GOP summary and the resolution changes.
import { describe, expect, it } from 'vitest';
import { gopSummary, resolutionChanges } from '../../src/app/frame-series.js';
import { InspectorHistory, MAX_FRAMES, MAX_LIVE_SAMPLES } from '../../src/app/inspector-history.js';
import { readFixture } from '../helpers/fixtures.js';
import { transmux } from '../helpers/transmux.js';

/** The frames the inspector holds after a whole fixture, each with the init segment in force. */
function inspectedFrames(name: string) {
  const history = new InspectorHistory();
  history.addOutputs(transmux(readFixture(name)).outputs);
  return [...history.frames];
}

describe('inspector history', () => {
  it('holds the last MAX_FRAMES frames of a long stream, each with its init segment', () => {
    const history = new InspectorHistory();
    // p10 changes resolution at frame 60 of 120: fed 20 times, as a live stream of 2400 frames.
    const outputs = transmux(readFixture('p10_spschange_360p_to_720p.h264'), {
      fragment: 'frame',
    }).outputs;
    let version = history.version;
    for (let i = 0; i < 20; i++) {
      for (const out of outputs) history.addOutputs([out]);
      expect(history.version).toBeGreaterThan(version);
      version = history.version;
      expect(history.frames.length).toBeLessThanOrEqual(MAX_FRAMES);
    }
    expect(history.frames).toHaveLength(MAX_FRAMES);
    expect(history.frames.at(-1)?.sample.index).toBe(119);
    for (const frame of history.frames) {
      const width = frame.sample.index < 60 ? 640 : 1280;
      expect(frame.init?.info.width).toBe(width);
    }
    expect(history.latest?.samples.at(-1)?.index).toBe(119);
  });

  it('keeps a minute of live samples, and forgets all at a new session', () => {
    const history = new InspectorHistory();
    history.addOutputs(transmux(readFixture('p01_pi_baseline_vga30_inline.h264')).outputs);
    for (let i = 0; i < MAX_LIVE_SAMPLES + 10; i++)
      history.addLiveSample({ latency: 0.05, bufferedAhead: 0.1 }, 100 + i / 4);
    expect(history.live.t).toHaveLength(MAX_LIVE_SAMPLES);
    expect(history.live.t[0]).toBe(10 / 4);
    history.reset();
    expect(history.frames).toHaveLength(0);
    expect(history.init).toBeUndefined();
    expect(history.latest).toBeUndefined();
    expect(history.live.t).toHaveLength(0);
  });
});

describe('inspector data', () => {
  it('p10: one resolution change, at frame 60; GOPs of one length said once', () => {
    const frames = inspectedFrames('p10_spschange_360p_to_720p.h264');
    expect(frames).toHaveLength(120);
    expect(resolutionChanges(frames)).toEqual([{ frame: 60, from: '640×360', to: '1280×720' }]);
    const summary = gopSummary(frames);
    expect(summary).toContain('GOPs shown: 30 frames.');
    expect(summary).not.toContain('30–30');
  });

  it("p17 as the player plays it: the stream's frames, without the player's anchors", () => {
    const history = new InspectorHistory();
    const data = readFixture('p17_intra_refresh_vga30.h264');
    // From its IDR picture: an anchor before each recovery point on a P picture (a second apart).
    const outputs = transmux(data, {
      fragment: 'frame',
      startPicture: true,
      anchorInterval: 1,
    }).outputs;
    expect(outputs.some((o) => o.type === 'media' && o.samples.some((s) => s.anchor))).toBe(true);
    history.addOutputs(outputs);
    expect(history.frames).toHaveLength(150);
    expect(history.frames.map((f) => f.sample.index)).toEqual([...Array(150).keys()]);
    expect(gopSummary([...history.frames])).toContain('GOPs shown: 30 frames.');
  });

  it('GOPs of different lengths are given as a range; a stream without changes has none', () => {
    const frames = inspectedFrames('p01_pi_baseline_vga30_inline.h264');
    expect(resolutionChanges(frames)).toEqual([]);
    // Frames 45-59 left out: the second GOP holds 15 frames, the others 30.
    const cut = [...frames.slice(0, 45), ...frames.slice(60)];
    expect(gopSummary(cut)).toContain('GOPs shown: 15–30 frames.');
  });
});
