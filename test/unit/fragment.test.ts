import { describe, expect, it } from 'vitest';
import {
  keepFirstSamples,
  samplePayloads,
  Transmuxer,
  type MediaSegment,
} from '../../src/core/index.js';
import { readFixture } from '../helpers/fixtures.js';
import { parseFragment, parseInit } from '../helpers/mp4.js';

describe('fragment rewriting', () => {
  it('drops trailing samples and keeps the rest byte for byte', () => {
    const t = new Transmuxer();
    const outs = [...t.push(readFixture('p03_main_bf3_pyramid_360p30.h264')), ...t.flush()];
    const init = outs.find((o) => o.type === 'init');
    const seg = outs.find((o): o is MediaSegment => o.type === 'media');
    if (!init || init.type !== 'init' || !seg) throw new Error('no output');
    const payloads = samplePayloads(seg.data);
    expect(payloads.length).toBe(seg.frames);
    expect(payloads.map((p) => p.length)).toEqual(seg.samples.map((s) => s.size));
    const kept = keepFirstSamples(seg.data, seg.frames - 1);
    const keptPayloads = samplePayloads(kept);
    expect(keptPayloads.length).toBe(seg.frames - 1);
    keptPayloads.forEach((p, i) => expect(p).toEqual(payloads[i]));
    // An independent reader (mux.js) sees the same timing and flags as in the original.
    const parsedInit = parseInit(init.data);
    const a = parseFragment(seg.data, parsedInit);
    const b = parseFragment(kept, parsedInit);
    expect(b.baseMediaDecodeTime).toBe(a.baseMediaDecodeTime);
    expect(b.samples).toEqual(a.samples.slice(0, -1));
  });
});
