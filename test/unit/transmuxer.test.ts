import { describe, expect, it } from 'vitest';
import { AccessUnitReader } from '../../src/core/access-unit-reader.js';
import {
  H264MuxError,
  transmux,
  Transmuxer,
  type MediaSegment,
  type TransmuxerOutput,
} from '../../src/core/index.js';
import { rateFromNumber, timingFor } from '../../src/core/h264/timing.js';
import { readFixture } from '../helpers/fixtures.js';
import { progressiveStream } from '../helpers/synth.js';

function run(
  data: Uint8Array,
  options: ConstructorParameters<typeof Transmuxer>[0] = {},
): TransmuxerOutput[] {
  const t = new Transmuxer(options);
  return [...t.push(data), ...t.flush()];
}

function media(outs: readonly TransmuxerOutput[]): MediaSegment[] {
  return outs.filter((o): o is MediaSegment => o.type === 'media');
}

function errorOf(fn: () => unknown): H264MuxError {
  try {
    fn();
  } catch (error) {
    if (error instanceof H264MuxError) return error;
    throw error;
  }
  throw new Error('expected an H264MuxError');
}

describe('Transmuxer errors', () => {
  it('says an MP4 is an MP4', () => {
    const mp4 = run(readFixture('p01_pi_baseline_vga30_inline.h264')).flatMap((o) =>
      'data' in o ? [o.data] : [],
    );
    const bytes = new Uint8Array(mp4.reduce((n, d) => n + d.length, 0));
    let o = 0;
    for (const d of mp4) {
      bytes.set(d, o);
      o += d.length;
    }
    const e = errorOf(() => run(bytes));
    expect(e.code).toBe('NOT_H264');
    expect(e.detail.container).toBe('mp4');
    expect(e.message).toMatch(/MP4/);
  });

  it('recognizes MPEG-TS, Matroska, HEVC and HTML, also when they arrive a byte at a time', () => {
    const ts = new Uint8Array(188 * 3);
    for (let i = 0; i < ts.length; i += 188) ts[i] = 0x47;
    const mkv = new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, ...new Array<number>(200).fill(0x42)]);
    const hevc = new Uint8Array([
      0,
      0,
      0,
      1,
      0x40,
      0x01,
      0x0c,
      ...new Array<number>(200).fill(0x11),
    ]);
    const html = new TextEncoder().encode('<!DOCTYPE html><html><body>' + 'x'.repeat(200));
    for (const [bytes, container] of [
      [ts, 'mpegts'],
      [mkv, 'matroska'],
      [hevc, 'hevc'],
      [html, 'html'],
    ] as const) {
      const t = new Transmuxer();
      const e = errorOf(() => {
        for (let i = 0; i < bytes.length; i++) t.push(bytes.subarray(i, i + 1));
        t.flush();
      });
      expect(e.code).toBe('NOT_H264');
      expect(e.detail.container).toBe(container);
      // Once failed, it stays failed with the same error.
      expect(errorOf(() => t.push(new Uint8Array(1)))).toBe(e);
    }
  });

  it('reports random bytes as not H.264 and a headerless stream as undecodable', () => {
    let seed = 7;
    const random = new Uint8Array(100_000).map(() => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return ((seed >>> 16) & 0xff) | 0x01; // no zero bytes: no start codes
    });
    expect(errorOf(() => run(random)).code).toBe('NOT_H264');
    // p11's first 50 access units are P slices without SPS/PPS: cut them alone.
    const p11 = readFixture('p11_midgop_start.h264');
    const reader = new AccessUnitReader();
    const decodable = [...reader.push(p11), ...reader.flush()];
    const headless = p11.subarray(
      0,
      p11.length - decodable.reduce((n, a) => n + a.data.length, 0) - 64,
    );
    const e = errorOf(() => run(headless));
    expect(e.code).toBe('NO_DECODABLE_FRAMES');
    expect(e.message).toMatch(/SPS\/PPS/);
  });

  it('warns of no skipped bytes when a stream that starts with its start code arrives a byte at a time', () => {
    const data = readFixture('p18_low_bitrate_60k.h264');
    const t = new Transmuxer();
    const outs: TransmuxerOutput[] = [];
    for (let i = 0; i < data.length; i++) outs.push(...t.push(data.subarray(i, i + 1)));
    outs.push(...t.flush());
    expect(outs.filter((o) => o.type === 'warning')).toEqual(
      run(data).filter((o) => o.type === 'warning'),
    );
    expect(outs.map((o) => (o.type === 'warning' ? o.code : ''))).not.toContain('GARBAGE_SKIPPED');
  });

  it('validates options with a message that says what is allowed', () => {
    expect(errorOf(() => new Transmuxer({ fps: 0 })).code).toBe('INVALID_OPTION');
    expect(errorOf(() => new Transmuxer({ fragment: 'x' as 'gop' })).message).toMatch(
      /'gop' or 'frame'/,
    );
    expect(errorOf(() => new Transmuxer({ maxFragmentFrames: 0 })).message).toMatch(
      /maxFragmentFrames must be a whole number of at least 1, got 0/,
    );
    expect(errorOf(() => new Transmuxer({ maxFragmentBytes: 1.5 })).code).toBe('INVALID_OPTION');
  });

  it('warns once when it has to assume a frame rate', () => {
    const outs = run(readFixture('p02_pi_baseline_vga30_notiming.h264'));
    const warnings = outs.filter((o) => o.type === 'warning');
    expect(warnings.map((w) => w.code)).toEqual(['NO_TIMING_INFO']);
    const init = outs.find((o) => o.type === 'init');
    expect(init?.type === 'init' && init.info.fpsSource).toBe('default');
    const withFps = run(readFixture('p02_pi_baseline_vga30_notiming.h264'), { fps: 25 });
    expect(withFps.filter((o) => o.type === 'warning')).toEqual([]);
  });
});

describe('timing', () => {
  it('keeps every frame on the exact grid after an hour, NTSC rates included', () => {
    for (const fps of [30, 29.97, 23.976, 25, 59.94, 60, 24, 50, 15, 12.5]) {
      const rate = rateFromNumber(fps);
      const t = timingFor(rate, 'option');
      expect(Number.isInteger(t.frameDuration)).toBe(true);
      const n = Math.round(3600 * fps);
      // frame n at n × den / num seconds, exactly: compare as integers.
      expect(n * t.frameDuration * rate.num).toBe(n * rate.den * t.timescale);
    }
    expect(rateFromNumber(29.97)).toEqual({ num: 30000, den: 1001 });
    expect(rateFromNumber(23.976)).toEqual({ num: 24000, den: 1001 });
    expect(rateFromNumber(12.5)).toEqual({ num: 25, den: 2 });
  });

  it('gives decode times on the grid and presentation times in POC order for B-frames', () => {
    const segs = media(run(readFixture('p03_main_bf3_pyramid_360p30.h264')));
    const samples = segs.flatMap((s) => s.samples);
    const dur = 3000;
    expect(samples.map((s) => s.dts)).toEqual(samples.map((_, i) => i * dur));
    const pts = samples.map((s) => s.pts).sort((a, b) => a - b);
    // Presentation starts at 0 too, whatever the reorder depth (2 here): B-frames get negative offsets.
    expect(pts).toEqual(samples.map((_, i) => i * dur));
    expect(Math.min(...samples.map((s) => s.pts - s.dts))).toBe(-2 * dur);
    // POC order: sorted by picture order count, the frames are sorted by presentation time.
    const byPoc = [...samples].sort((a, b) => a.index - b.index);
    for (let i = 1; i < byPoc.length; i++) {
      const [a, b] = [byPoc[i - 1], byPoc[i]] as [(typeof byPoc)[0], (typeof byPoc)[0]];
      if (a.keyframe || b.keyframe) continue;
      expect(Math.sign(b.pts - a.pts)).toBe(Math.sign(b.poc - a.poc));
    }
    expect(segs.every((s) => s.keyframe)).toBe(true); // GOP fragments start at keyframes
  });
});

describe('latency', () => {
  it('emits each frame as soon as the next one starts (frame mode, no B-frames)', () => {
    const data = readFixture('p01_pi_baseline_vga30_inline.h264'); // 4-byte start codes everywhere
    const reader = new AccessUnitReader();
    const ends: number[] = [];
    let end = 0;
    for (const au of [...reader.push(data), ...reader.flush()]) ends.push((end += au.data.length));
    const t = new Transmuxer({ fragment: 'frame' });
    const count = (outs: TransmuxerOutput[]): number =>
      media(outs).reduce((n, s) => n + s.frames, 0);
    let frames = 0;
    let sent = 0;
    for (let i = 0; i < 20; i++) {
      const auEnd = ends[i] as number;
      frames += count(t.push(data.subarray(sent, auEnd))); // the rest of access unit i
      expect(frames).toBe(i); // its end is not proven yet
      frames += count(t.push(data.subarray(auEnd, auEnd + 16))); // the first bytes of access unit i + 1
      expect(frames).toBe(i + 1);
      sent = auEnd + 16;
    }
  });

  it('emits a frame at once when the transport marks the access-unit end', () => {
    const data = readFixture('p01_pi_baseline_vga30_inline.h264');
    const reader = new AccessUnitReader();
    const aus = [...reader.push(data), ...reader.flush()];
    const t = new Transmuxer({ fragment: 'frame' });
    for (const au of aus.slice(0, 30)) {
      const segs = media(t.push(au.data, { endOfAccessUnit: true }));
      expect(segs.reduce((n, s) => n + s.frames, 0)).toBe(1);
    }
  });

  it('resumes at the next keyframe with a fresh init segment and a continuing timeline after reset()', () => {
    const data = readFixture('p01_pi_baseline_vga30_inline.h264');
    const t = new Transmuxer({ fragment: 'frame' });
    const first = media(t.push(data.subarray(0, 100_000)));
    const lastPts = Math.max(...first.flatMap((s) => s.samples.map((x) => x.pts)));
    t.reset();
    const outs = [...t.push(data.subarray(200_000)), ...t.flush()];
    expect(outs.find((o) => o.type === 'init' || o.type === 'media')?.type).toBe('init');
    const after = media(outs);
    expect(after[0]?.keyframe).toBe(true);
    expect(Math.min(...after.flatMap((s) => s.samples.map((x) => x.pts)))).toBeGreaterThan(lastPts);
    expect(after[0]?.baseDecodeTime).toBeGreaterThan(first.at(-1)?.baseDecodeTime ?? Infinity);
  });

  it('counts the frames taken in as they come, before a GOP fragment holding them goes out', () => {
    const data = readFixture('p01_pi_baseline_vga30_inline.h264');
    const reader = new AccessUnitReader();
    const aus = [...reader.push(data), ...reader.flush()];
    const t = new Transmuxer();
    let out = 0;
    aus.slice(0, 45).forEach((au, i) => {
      out += media(t.push(au.data, { endOfAccessUnit: true })).reduce((n, s) => n + s.frames, 0);
      expect(t.framesIn).toBe(i + 1);
    });
    // One GOP (30 frames) out, the second one's 15 held.
    expect(out).toBe(30);
  });

  it('marks the first init segment after reset() as a discontinuity, and no other', () => {
    // p10 changes its SPS (360p -> 720p): a new init segment that is no discontinuity.
    const data = readFixture('p10_spschange_360p_to_720p.h264');
    const t = new Transmuxer({ fragment: 'frame' });
    const inits = (outs: TransmuxerOutput[]): boolean[] =>
      outs.flatMap((o) => (o.type === 'init' ? [o.discontinuity] : []));
    expect(inits([...t.push(data), ...t.reset(), ...t.reset()])).toEqual([false, false]);
    expect(inits([...t.push(data), ...t.flush()])).toEqual([true, false]);
    // A reset before any output starts nothing new.
    const fresh = new Transmuxer({ fragment: 'frame' });
    fresh.reset();
    expect(inits([...fresh.push(data), ...fresh.flush()])).toEqual([false, false]);
  });
});

describe('reset() keeps every complete frame', () => {
  const frames = (outs: readonly TransmuxerOutput[]) =>
    media(outs).reduce((n, s) => n + s.frames, 0);

  it('those held for reordering and the open GOP go out; the frame cut in progress does not', () => {
    const data = readFixture('p03_main_bf3_pyramid_360p30.h264'); // B pyramid, one fragment per GOP
    const prefix = data.subarray(0, 60_000);
    const complete = new AccessUnitReader().push(prefix).length; // the last one is cut
    const t = new Transmuxer();
    const outs = [...t.push(prefix), ...t.reset()];
    expect(frames(outs)).toBe(complete);
    const pts = media(outs).flatMap((s) => s.samples.map((x) => x.pts));
    expect(new Set(pts).size).toBe(complete); // each output slot once
    // The next connection starts on a keyframe after them.
    const after = media([...t.push(data), ...t.flush()]);
    expect(after[0]?.keyframe).toBe(true);
    expect(Math.min(...after.flatMap((s) => s.samples.map((x) => x.pts)))).toBeGreaterThan(
      Math.max(...pts),
    );
  });

  it('a live stream that reorders without saying how far keeps its frames across reconnects', () => {
    // 9 frames with B-frames and no bitstream_restriction at level 5.2: the spec's bound is 16 frames, so
    // every frame is still held for reordering when a connection ends. reset() dropped them all, at each
    // reconnect.
    const data = readFixture('conformance/Cisco_Men_whisper_640x320_CAVLC_Bframe_9.264');
    const t = new Transmuxer({ fragment: 'frame', lowLatency: true });
    const first = [...t.push(data), ...t.reset()];
    expect(first.some((o) => o.type === 'warning' && o.code === 'REORDER_DETECTED')).toBe(true);
    for (let reconnect = 0; reconnect < 2; reconnect++) {
      const outs = [...t.push(data), ...t.reset()];
      expect(frames(outs)).toBe(9); // the last one too: it is whole when the connection ends
    }
  });
});

describe('stream facts', () => {
  it('gopLength after reset() counts whole GOPs, not the frames before the reset', () => {
    const data = readFixture('p01_pi_baseline_vga30_inline.h264'); // an IDR every 30 frames
    const t = new Transmuxer({ fragment: 'frame' });
    t.push(data.subarray(0, 150_000)); // one GOP and a dozen frames of the next
    t.reset();
    const outs: TransmuxerOutput[] = [];
    for (let at = 200_000; at < data.length; at += 16_384)
      outs.push(...t.push(data.subarray(at, Math.min(data.length, at + 16_384))));
    outs.push(...t.flush());
    const lengths = outs.flatMap((o) =>
      o.type === 'init' || o.type === 'info' ? [o.info.gopLength] : [],
    );
    expect(lengths.length).toBeGreaterThan(1);
    expect(lengths.every((n) => n === 30)).toBe(true);
  });
});

describe('the last picture', () => {
  it('keeps a final picture whose slices were lost (damaged, not cut); drops one cut inside its slice', () => {
    // Error_I_P: its last picture has slices for 264 of 396 macroblocks, each slice whole. ffmpeg conceals it.
    const data = readFixture('conformance/Error_I_P.264');
    const whole = run(data, { fps: 25 });
    expect(media(whole).reduce((n, s) => n + s.frames, 0)).toBe(6);
    expect(whole.filter((o) => o.type === 'warning')).toEqual([]);
    const cut = run(data.subarray(0, data.length - 300), { fps: 25 });
    expect(media(cut).reduce((n, s) => n + s.frames, 0)).toBe(5);
    expect(cut.filter((o) => o.type === 'warning').map((w) => w.code)).toEqual([
      'TRUNCATED_FRAME_DROPPED',
    ]);
  });
});

describe('lastPictureVerdict', () => {
  function verdictOf(data: Uint8Array, options: ConstructorParameters<typeof Transmuxer>[0] = {}) {
    const t = new Transmuxer(options);
    const outs = t.push(data);
    const before = t.lastPictureVerdict;
    outs.push(...t.flush());
    const frames = media(outs).reduce((n, s) => n + s.frames, 0);
    const dropped = outs.filter(
      (o) => o.type === 'warning' && o.code === 'TRUNCATED_FRAME_DROPPED',
    );
    return { before, verdict: t.lastPictureVerdict, frames, dropped: dropped.length, t };
  }

  it("is 'truncated' for a stream cut inside its last slice, which is dropped", () => {
    const r = verdictOf(readFixture('p12_truncated_mid_nal.h264'));
    expect(r).toMatchObject({ before: undefined, verdict: 'truncated', frames: 67, dropped: 1 });
  });

  it("is 'whole' for an intact stream, whether its last picture ends the input or a later unit", () => {
    expect(verdictOf(readFixture('p01_pi_baseline_vga30_inline.h264'))).toMatchObject({
      verdict: 'whole',
      frames: 150,
      dropped: 0,
    });
    // Closed by the transport's access-unit end: nothing is left to judge at flush.
    const t = new Transmuxer();
    t.push(readFixture('p03_main_bf3_pyramid_360p30.h264'), { endOfAccessUnit: true });
    t.flush();
    expect(t.lastPictureVerdict).toBe('whole');
    t.reset();
    expect(t.lastPictureVerdict).toBeUndefined();
  });

  it("is 'unknown' where the slice walker cannot judge (slice groups), and the frame is kept", () => {
    const fmo = progressiveStream({
      widthMbs: 4,
      heightMbs: 3,
      fps: 30,
      frames: [
        { type: 'I', idr: true, poc: 0 },
        { type: 'P', poc: 2 },
        { type: 'I', poc: 4 },
      ],
      pps: { numSliceGroupsMinus1: 1 },
    });
    expect(verdictOf(fmo)).toMatchObject({ verdict: 'unknown', frames: 3, dropped: 0 });
    // Cut inside the last (I_PCM) slice: only a decoder could tell.
    const cut = verdictOf(fmo.subarray(0, fmo.length - 100));
    expect(cut).toMatchObject({ verdict: 'unknown', frames: 3, dropped: 0 });
  });
});

describe('transmux() async iterator', () => {
  it('yields the same outputs as push/flush', async () => {
    const data = readFixture('p06_aud_main_bf2_vga25.h264');
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let o = 0; o < data.length; o += 10_000) {
        await Promise.resolve();
        yield data.subarray(o, o + 10_000);
      }
    }
    const viaIterator: TransmuxerOutput[] = [];
    for await (const out of transmux(chunks())) viaIterator.push(out);
    const direct = run(data);
    expect(viaIterator.map((o) => o.type)).toEqual(direct.map((o) => o.type));
    const bytes = (outs: TransmuxerOutput[]): number[] =>
      outs.flatMap((o) => ('data' in o ? [...o.data.subarray(0, 64), o.data.length] : []));
    expect(bytes(viaIterator)).toEqual(bytes(direct));
  });
});

describe('a stream cut inside its last frame', () => {
  /** Slice NAL units of `data`: header offset, end (where the next start code begins), first_mb == 0. */
  function slices(data: Uint8Array): { start: number; end: number; firstOfPicture: boolean }[] {
    const out: { start: number; end: number; firstOfPicture: boolean }[] = [];
    const starts: number[] = [];
    for (let i = 0; i + 3 < data.length; i++) {
      if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) starts.push(i + 3);
    }
    for (const [k, start] of starts.entries()) {
      const type = (data[start] as number) & 0x1f;
      if (type !== 1 && type !== 5) continue;
      let end = k + 1 < starts.length ? (starts[k + 1] as number) - 3 : data.length;
      while (data[end - 1] === 0) end--; // a 4-byte start code's leading zero
      // ue(v) first_mb_in_slice is 0 exactly when its first bit is 1.
      out.push({ start, end, firstOfPicture: ((data[start + 1] as number) & 0x80) !== 0 });
    }
    return out;
  }

  function framesAndWarnings(data: Uint8Array): { frames: number; truncated: string[] } {
    const outs = run(data);
    return {
      frames: media(outs).reduce((n, s) => n + s.frames, 0),
      truncated: outs.flatMap((o) =>
        o.type === 'warning' && o.code === 'TRUNCATED_FRAME_DROPPED' ? [o.message] : [],
      ),
    };
  }

  // CAVLC Baseline, CABAC Main with B-frames, CABAC High 8x8 with B-frames, CABAC MBAFF, 4 slices.
  for (const name of [
    'p01_pi_baseline_vga30_inline.h264',
    'p03_main_bf3_pyramid_360p30.h264',
    'p04_high_bf3_1080p30.h264',
    'p15_interlaced_mbaff_tff_576i25.h264',
    'p05_high_slices4_720p30.h264',
  ]) {
    const data = readFixture(name);
    const all = slices(data);
    const pictureStarts = all.flatMap((s, i) => (s.firstOfPicture ? [i] : []));
    const k = Math.min(20, pictureStarts.length - 2);
    const lastSlice = all[(pictureStarts[k + 1] as number) - 1] as { start: number; end: number };

    it(`${name}: cut mid-slice, the damaged frame is dropped with a warning`, () => {
      for (const fraction of [0.25, 0.5, 0.9]) {
        const cut = lastSlice.start + Math.floor((lastSlice.end - lastSlice.start) * fraction);
        const r = framesAndWarnings(data.subarray(0, cut));
        expect(r.frames, `cut at ${fraction} of the slice`).toBe(k);
        expect(r.truncated).toHaveLength(1);
      }
    });

    it(`${name}: cut right after a whole frame, nothing is dropped`, () => {
      const r = framesAndWarnings(data.subarray(0, lastSlice.end));
      expect(r.frames).toBe(k + 1);
      expect(r.truncated).toEqual([]);
    });
  }

  it('a picture that ends with a whole slice is kept, even without its last slices', () => {
    // A stream that lost slices (conformance/Error_I_P) looks exactly like one cut between two slices: the
    // picture is damaged, not cut, and a decoder conceals the rest as it does in any other picture.
    const data = readFixture('p05_high_slices4_720p30.h264');
    const all = slices(data);
    const pictureStarts = all.flatMap((s, i) => (s.firstOfPicture ? [i] : []));
    const second = all[(pictureStarts[10] as number) + 1] as { end: number };
    const r = framesAndWarnings(data.subarray(0, second.end));
    expect(r.frames).toBe(11);
    expect(r.truncated).toEqual([]);
  });

  it('the truncated fixture keeps exactly every complete frame', () => {
    const r = framesAndWarnings(readFixture('p12_truncated_mid_nal.h264'));
    expect(r.frames).toBe(67);
    expect(r.truncated).toHaveLength(1);
  });
});
