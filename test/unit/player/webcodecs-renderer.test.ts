// The WebCodecs renderer with a scripted VideoDecoder (outputs when the test says), a fake clock and a
// recording sink, on real segments of a fixture: frames shown at their due time, late ones raising the
// playout target, and a hidden page's lateness not counted (its timers and compositor are throttled:
// that says nothing of the network, and the target would stay high after the page comes back).
import { describe, expect, it } from 'vitest';
import type { FrameSink } from '../../../src/player/frame-sink.js';
import type { Visibility } from '../../../src/player/visibility.js';
import { CATCH_UP_RATE, FAR_BEHIND_MS } from '../../../src/player/playout-clock.js';
import {
  BACKLOG_MS,
  MAX_DECODE_QUEUE,
  WEBCODECS_SETTLING_TARGET_MS,
  WebCodecsRenderer,
} from '../../../src/player/webcodecs-renderer.js';
import { FakeClock } from './fake-clock.js';
import { installFakeWebCodecs, ScriptedDecoder } from './scripted-decoder.js';
import { reconnectedSegments, segmentsOf } from './segments.js';
import { AccessUnitReader } from '../../../src/core/access-unit-reader.js';
import { Transmuxer } from '../../../src/core/index.js';
import type { InitSegment, MediaSegment } from '../../../src/core/index.js';
import { readFixture } from '../../helpers/fixtures.js';

installFakeWebCodecs();

class SwitchableVisibility implements Visibility {
  visible = true;
  subscribe(): () => void {
    return () => undefined;
  }
}

const FRAME_MS = 1000 / 30;

/** A sink that shows nothing. */
function nullSink(): FrameSink {
  return { kind: 'track', dropped: 0, show: () => undefined, close: () => undefined };
}

function setup(paintMs = 0) {
  const clock = new FakeClock();
  const visibility = new SwitchableVisibility();
  const shown: { at: number; due: number; t: number }[] = [];
  const sink: FrameSink = {
    kind: 'track',
    dropped: 0,
    show: (frame, due) => {
      shown.push({ at: clock.now(), due, t: frame.timestamp });
      // A canvas converts and draws the frame on this thread meanwhile.
      if (paintMs > 0) clock.advance(paintMs);
    },
    close: () => undefined,
  };
  const renderer = new WebCodecsRenderer(sink, { targetLatency: 0 }, clock, visibility);
  const { init, media } = segmentsOf('p01', { fragment: 'frame' });
  renderer.appendInit(init);
  if (!ScriptedDecoder.last) throw new Error('no decoder');
  let next = 0;
  /** The next frame arrives and decodes `lateMs` after its time on the sender's clock. */
  const frame = (lateMs = 0): void => {
    const segment = media[next];
    if (!segment) throw new Error('out of frames');
    const due = next * FRAME_MS;
    if (due + lateMs > clock.now()) clock.advance(due + lateMs - clock.now());
    next++;
    renderer.appendMedia(segment);
    // The decoder in use (a recovery replaces it).
    const decoder = ScriptedDecoder.last;
    while (decoder && decoder.waiting.length > 0) decoder.release();
  };
  /** Frames never sent (the sender's clock moves on). */
  const skip = (n: number): void => {
    next += n;
  };
  /** Frames from the next one up to (not including) the next keyframe. */
  const untilKeyframe = (): number => {
    let n = next;
    while (media[n] && !media[n]?.keyframe) n++;
    if (!media[n]) throw new Error('no keyframe left');
    return n - next;
  };
  return { clock, visibility, renderer, shown, frame, skip, untilKeyframe, media };
}

describe('WebCodecsRenderer', () => {
  it("tells what a paint costs its thread (the sink's show, a moving mean)", () => {
    const cheap = setup();
    for (let i = 0; i < 20; i++) cheap.frame();
    expect(cheap.renderer.stats.paintMs).toBe(0);
    const costly = setup(12);
    for (let i = 0; i < 20; i++) costly.frame();
    expect(costly.shown.length).toBeGreaterThan(10);
    expect(costly.renderer.stats.paintMs).toBeCloseTo(12, 6);
  });

  it('recovers from a decoder error: a new decoder, configured as the last, resumes at the next keyframe', () => {
    const { renderer, shown, frame, clock, untilKeyframe } = setup();
    const warnings: string[] = [];
    const errors: string[] = [];
    renderer.onRecovered = (message) => warnings.push(message);
    renderer.onError = (error) => errors.push(error.message);
    for (let i = 0; i < 10; i++) frame();
    const failed = ScriptedDecoder.last;
    failed?.fail();
    const fresh = ScriptedDecoder.last;
    expect(fresh).not.toBe(failed);
    expect(fresh?.state).toBe('configured');
    expect(warnings).toEqual([
      "The browser's video decoder failed (WebCodecs): Decoding error. A new decoder resumes at the next keyframe.",
    ]);
    // Deltas before the next keyframe cannot be decoded without their references: dropped.
    const deltas = untilKeyframe();
    expect(deltas).toBeGreaterThan(0);
    for (let i = 0; i < deltas; i++) frame();
    expect(fresh?.waiting).toEqual([]);
    const before = shown.length;
    for (let i = 0; i < 5; i++) frame();
    clock.advance(200);
    expect(shown.length).toBe(before + 5);
    expect(errors).toEqual([]);
    expect(renderer.stats).toMatchObject({ recovered: 1, skipped: deltas });
  });

  it('gives up on a decoder that keeps failing: the fourth error within a minute is final', () => {
    const { renderer, frame, clock } = setup();
    const errors: { code: string; message: string }[] = [];
    renderer.onError = (error) => errors.push({ code: error.code, message: error.message });
    for (let i = 0; i < 3; i++) {
      frame();
      ScriptedDecoder.last?.fail();
      clock.advance(1000);
    }
    expect(errors).toEqual([]);
    const last = ScriptedDecoder.last;
    last?.fail();
    expect(ScriptedDecoder.last).toBe(last);
    expect(errors).toEqual([
      {
        code: 'DECODER_ERROR',
        message:
          "The browser's video decoder failed (WebCodecs): Decoding error (again, after 3 recoveries)",
      },
    ]);
    expect(renderer.stats.recovered).toBe(3);
  });

  it("learns the source's pace from arrivals, not from a decoder slower than the stream", () => {
    // WebKitGTK decoding 3840x2160: frames arrive at 30 a second and come out of the decoder at 20.
    // Taken at the decoder's output, the pace read 0.67 (a slow camera), and the picture slowed to it.
    const clock = new FakeClock();
    const sink = nullSink();
    const renderer = new WebCodecsRenderer(sink, { targetLatency: 0 }, clock);
    const { init, media } = segmentsOf('p01', { fragment: 'frame' });
    renderer.appendInit(init);
    const decoder = ScriptedDecoder.last;
    let sent = 0;
    for (let t = 0; t < 10_000; t += 10) {
      clock.advance(10);
      const due = t % 100 === 0 || t % 100 === 30 || t % 100 === 60;
      const segment = media[sent];
      if (due && segment) {
        renderer.appendMedia(segment);
        sent++;
      }
      if (t % 50 === 0) decoder?.release();
    }
    expect(sent).toBe(media.length);
    expect(renderer.stats.sourcePace).toBe(1);
  });

  it('says a codec the decoder cannot take is unsupported, naming the stream, without retrying', () => {
    // Firefox 153 takes avc1.6E (High 10) and 4:2:2 in configure() and then closes the decoder with
    // NotSupportedError: three new decoders met the same refusal before the error said anything useful.
    const { renderer, frame } = setup();
    const errors: { code: string; message: string }[] = [];
    const warnings: string[] = [];
    renderer.onError = (error) => errors.push({ code: error.code, message: error.message });
    renderer.onRecovered = (message) => warnings.push(message);
    frame();
    const refused = ScriptedDecoder.last;
    refused?.fail('NotSupportedError');
    expect(ScriptedDecoder.last).toBe(refused);
    expect(warnings).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.code).toBe('CODEC_UNSUPPORTED');
    expect(errors[0]?.message).toMatch(
      /^This browser cannot decode this stream: H\.264 (Constrained )?Baseline, level \d(\.\d)?, 4:2:0 8-bit \(avc1\.[0-9A-F]{6}; its WebCodecs decoder refused the configuration\)\. It seems to have no H\.264 decoder at all/,
    );
    expect(renderer.stats.recovered).toBe(0);
  });

  it('says once, as RENDER_FAILED, that its output refused a frame, rather than freezing with no word', () => {
    // Firefox 153's transferred OffscreenCanvas threw at every frame after a size change; thrown into
    // the decoder's output callback, that froze the picture while the player still said 'playing'.
    const clock = new FakeClock();
    let shown = 0;
    const sink: FrameSink = {
      kind: 'canvas',
      dropped: 0,
      show: () => {
        if (shown === 3)
          throw new DOMException('Cannot update created context', 'InvalidStateError');
        shown++;
      },
      close: () => undefined,
    };
    const renderer = new WebCodecsRenderer(sink, { targetLatency: 0 }, clock);
    const errors: { code: string; message: string }[] = [];
    renderer.onError = (error) => errors.push({ code: error.code, message: error.message });
    const { init, media } = segmentsOf('p01', { fragment: 'frame' });
    renderer.appendInit(init);
    const decoder = ScriptedDecoder.last;
    media.slice(0, 10).forEach((segment, i) => {
      if (i * FRAME_MS > clock.now()) clock.advance(i * FRAME_MS - clock.now());
      renderer.appendMedia(segment);
      // Each output reaches the renderer from the decoder's callback: nothing may escape into it.
      while (decoder && decoder.waiting.length > 0) expect(() => decoder.release()).not.toThrow();
    });
    clock.advance(200);
    expect(shown).toBe(3);
    expect(errors).toEqual([
      {
        code: 'RENDER_FAILED',
        message:
          'Could not show a frame on the canvas: InvalidStateError: Cannot update created context',
      },
    ]);
  });

  it("decodes a join's whole burst, however long, and then drops to a keyframe only a decoder that falls behind", () => {
    // A relay's GOP cache: 80 frames since the keyframe arrive at once, before the decoder outputs
    // any. Dropping the deltas beyond MAX_DECODE_QUEUE left a viewer waiting for the next keyframe.
    const { renderer, shown, clock, media } = setup();
    const decoder = ScriptedDecoder.last;
    const burst = 80;
    expect(burst).toBeGreaterThan(MAX_DECODE_QUEUE + 1);
    clock.advance(burst * FRAME_MS);
    for (const segment of media.slice(0, burst)) renderer.appendMedia(segment);
    expect(decoder?.waiting.length).toBe(burst);
    while (decoder && decoder.waiting.length > 0) decoder.release();
    clock.advance(200);
    // Joined: only the newest is painted, the rest was preroll; nothing dropped.
    expect(shown.length).toBe(1);
    expect(renderer.stats).toMatchObject({ skipped: 0, prerolled: burst - 1 });
    // A decoder that outputs nothing while frames arrive at their rate: once more than
    // MAX_DECODE_QUEUE wait for BACKLOG_MS without draining, deltas are dropped to the next keyframe.
    let sent = burst;
    const arrive = (): void => {
      clock.advance(FRAME_MS);
      const segment = media[sent++];
      if (segment) renderer.appendMedia(segment);
    };
    while ((decoder?.waiting.length ?? 0) <= MAX_DECODE_QUEUE) arrive();
    const over = clock.now();
    while (clock.now() - over < BACKLOG_MS - FRAME_MS) arrive();
    expect(renderer.stats.skipped).toBe(0);
    arrive();
    arrive();
    expect(renderer.stats.skipped).toBeGreaterThan(0);
    expect(sent).toBeLessThanOrEqual(media.length);
  });

  it('shows each frame once, in order, and none late on a steady arrival', () => {
    const { renderer, shown, frame, clock } = setup();
    for (let i = 0; i < 60; i++) frame();
    clock.advance(200);
    expect(shown.length).toBe(60);
    expect(shown.every((s, i) => i === 0 || s.t > (shown[i - 1]?.t ?? -1))).toBe(true);
    expect(renderer.stats).toMatchObject({ kind: 'webcodecs', output: 'track', late: 0 });
  });

  it('raises the playout target for frames that arrive late while the page is visible', () => {
    const { renderer, frame } = setup();
    // Past the joining second, steady arrivals, then five frames each 80 ms late.
    for (let i = 0; i < 45; i++) frame();
    const before = renderer.stats.targetDelayMs;
    for (let i = 0; i < 5; i++) frame(80);
    for (let i = 0; i < 5; i++) frame();
    expect(renderer.stats.targetDelayMs).toBeGreaterThan(before + 10);
  });

  it('does not count lateness while the page is hidden', () => {
    const { renderer, frame, skip, visibility } = setup();
    for (let i = 0; i < 45; i++) frame();
    const before = renderer.stats.targetDelayMs;
    visibility.visible = false;
    for (let i = 0; i < 5; i++) frame(80);
    visibility.visible = true;
    // Back: the next frames arrive on time again.
    skip(3);
    for (let i = 0; i < 5; i++) frame();
    expect(renderer.stats.targetDelayMs).toBeLessThan(before + 5);
  });

  it('shows the frames of a burst behind the first one at a bounded speed: none skipped, none in one refresh', () => {
    // The first frame decodes 150 ms late (a cold worker, a page still loading); the next four were
    // held with it and come out at once; then the stream runs on time.
    const { renderer, shown, frame, clock } = setup();
    frame(150);
    for (let i = 0; i < 4; i++) frame();
    for (let i = 0; i < 40; i++) frame();
    clock.advance(300);
    expect(shown.map((s) => s.t)).toEqual([...shown.map((s) => s.t)].sort((a, b) => a - b));
    expect(shown.length).toBe(45);
    expect(renderer.stats.skipped).toBe(0);
    const gaps = shown.slice(1).map((s, i) => s.at - (shown[i]?.at ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(FRAME_MS / (1 + CATCH_UP_RATE) - 0.5);
    // Caught up: the last frames are shown at the steady target after their arrival.
    const last = shown[shown.length - 1];
    expect((last?.at ?? 0) - 44 * FRAME_MS).toBeLessThan(10);
  });

  it("jumps to the live edge when the first frames come far behind (a relay's cached GOP)", () => {
    const { renderer, shown, frame, clock } = setup();
    frame(FAR_BEHIND_MS + 400);
    // The rest of the cached frames, at once, then the stream on time.
    for (let i = 0; i < 20; i++) frame();
    for (let i = 0; i < 10; i++) frame();
    clock.advance(200);
    expect(renderer.stats.skipped).toBeGreaterThan(0);
    // At the edge, within the first second: the settling floor is the target.
    const last = shown[shown.length - 1];
    expect((last?.at ?? 0) - 30 * FRAME_MS).toBeLessThan(WEBCODECS_SETTLING_TARGET_MS + 10);
  });

  it('keeps a floor under the target in the first second only, and drops it after', () => {
    const { renderer, shown, frame, clock } = setup();
    // Frames arrive exactly on time: only the floor delays them, then nothing but the decode margin.
    const delay = (s: { at: number; t: number }): number => s.at - s.t / 1000;
    for (let i = 0; i < 10; i++) frame();
    expect(renderer.stats.targetDelayMs).toBeGreaterThanOrEqual(WEBCODECS_SETTLING_TARGET_MS);
    clock.advance(100);
    expect(delay(shown[9] ?? { at: 0, t: 0 })).toBeGreaterThan(WEBCODECS_SETTLING_TARGET_MS - 1);
    for (let i = 0; i < 60; i++) frame();
    clock.advance(100);
    expect(renderer.stats.targetDelayMs).toBeLessThan(10);
    expect(delay(shown[69] ?? { at: 0, t: 0 })).toBeLessThan(10);
    expect(renderer.stats.skipped).toBe(0);
  });

  it('adapts to a steady random 0-40 ms jitter: no frame late once joined', () => {
    const { renderer, frame, clock } = setup();
    let seed = 7;
    const random = (): number => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    // In order, as a network delivers: a frame never arrives before the one before it.
    let last = 0;
    let lateAfterJoin = 0;
    for (let i = 0; i < 148; i++) {
      const arrival = Math.max(last, i * FRAME_MS + random() * 40);
      last = arrival;
      frame(arrival - i * FRAME_MS);
      // The joining second counts no jitter (a relay's burst would look like a GOP of it).
      if (i === 45) lateAfterJoin = renderer.stats.late;
    }
    clock.advance(200);
    expect(renderer.stats.painted).toBe(148);
    expect(renderer.stats.late - lateAfterJoin).toBe(0);
    expect(renderer.stats.skipped).toBe(0);
  });
});

describe('WebCodecsRenderer across a reconnect', () => {
  it("joins the new connection's frames as the first ones (InitSegment.discontinuity): none late, the lost time not kept as delay", () => {
    // p01 over a connection that drops after 3 s; the new one comes 300 ms later (9 frames lost) and
    // starts at a keyframe, the timeline going on after the last frame shown. Without the
    // discontinuity the frames of the next second came 300 ms after their due time (each painted late).
    const clock = new FakeClock();
    const shown: { at: number; t: number }[] = [];
    const sink: FrameSink = {
      kind: 'track',
      dropped: 0,
      show: (frame) => shown.push({ at: clock.now(), t: frame.timestamp }),
      close: () => undefined,
    };
    const renderer = new WebCodecsRenderer(sink, { targetLatency: 0 }, clock);
    const LOST = 9;
    let sent = 0;
    let lost = 0;
    let lateBefore = 0;
    for (const out of reconnectedSegments('p01', 90)) {
      if (out.type === 'init') {
        if (out.discontinuity) {
          lost = LOST;
          lateBefore = renderer.stats.late;
        }
        renderer.appendInit(out);
        continue;
      }
      const at = (sent + lost) * FRAME_MS;
      if (at > clock.now()) clock.advance(at - clock.now());
      sent++;
      renderer.appendMedia(out);
      const decoder = ScriptedDecoder.last;
      while (decoder && decoder.waiting.length > 0) decoder.release();
    }
    clock.advance(200);
    expect(sent).toBe(150);
    expect(renderer.stats.painted).toBe(150);
    expect(renderer.stats.late - lateBefore).toBe(0);
    expect(renderer.stats.sourcePace).toBeCloseTo(1, 3);
    // The last frames are held for the target alone.
    expect(renderer.stats.targetDelayMs).toBeLessThan(WEBCODECS_SETTLING_TARGET_MS + 5);
  });
});

describe('WebCodecsRenderer at a recovery point that is not an IDR picture', () => {
  // p17 (periodic intra refresh: one IDR, then recovery points on P pictures) joined at its second
  // recovery point, as a relay's viewer joins it. Chromium refused the P picture as the first chunk
  // ("EncodedVideoChunk was marked as type key but wasn't a key frame"): nothing was shown, ever.
  function joined(): { init: InitSegment; media: readonly MediaSegment[] } {
    const data = readFixture('p17_intra_refresh_vga30.h264');
    const aus = new AccessUnitReader().push(data, true);
    const keys = aus.filter((au) => au.keyframe);
    const at = keys[1]!;
    // The SPS and PPS: everything before the first IDR slice's start code.
    let idr = 0;
    while (!(
      data[idr] === 0 &&
      data[idr + 1] === 0 &&
      data[idr + 2] === 1 &&
      (data[idr + 3]! & 0x1f) === 5
    ))
      idr++;
    const sets = data.subarray(0, idr);
    const t = new Transmuxer({ fragment: 'frame' });
    const out = [...t.push(sets), ...t.push(data.subarray(at.offset)), ...t.flush()];
    const init = out.find((o): o is InitSegment => o.type === 'init')!;
    return { init, media: out.filter((o): o is MediaSegment => o.type === 'media') };
  }

  it('gives a fresh decoder the start picture as its key chunk, the recovery point after it as a delta, and never shows the start picture', () => {
    const { init, media } = joined();
    expect(media[0]!.samples[0]).toMatchObject({ keyframe: true, pictureType: 'P' });
    const clock = new FakeClock();
    const shown: number[] = [];
    const sink: FrameSink = {
      kind: 'track',
      dropped: 0,
      show: (frame) => shown.push(frame.timestamp),
      close: () => undefined,
    };
    const renderer = new WebCodecsRenderer(sink, { targetLatency: 0 }, clock);
    renderer.appendInit(init);
    const decoder = ScriptedDecoder.last!;
    for (const [i, segment] of media.slice(0, 10).entries()) {
      clock.advance(i === 0 ? 0 : FRAME_MS);
      renderer.appendMedia(segment);
      while (decoder.waiting.length > 0) decoder.release();
    }
    clock.advance(500);
    const first = Math.round((media[0]!.samples[0]!.pts * 1e6) / media[0]!.timescale);
    expect(decoder.chunks.slice(0, 3).map((c) => [c.type, c.timestamp])).toEqual([
      ['key', first - 1],
      ['delta', first],
      ['delta', first + Math.round(1e6 / 30)],
    ]);
    // The start picture: a PPS of its own and an IDR slice, 4-byte lengths.
    const start = decoder.chunks[0]!.data;
    const second = 4 + new DataView(start.buffer, start.byteOffset).getUint32(0);
    expect([start[4]! & 0x1f, start[second + 4]! & 0x1f]).toEqual([8, 5]);
    expect(shown).not.toContain(first - 1);
    expect(shown[0]).toBe(first);
    expect(renderer.stats.painted).toBeGreaterThan(0);
  });

  it("leaves out the transmuxer's anchors (TransmuxerOptions.anchorInterval): no chunk, nothing shown", () => {
    const data = readFixture('p17_intra_refresh_vga30.h264');
    const t = new Transmuxer({ fragment: 'frame', startPicture: true, anchorInterval: 1 });
    const out = [...t.push(data), ...t.flush()];
    const init = out.find((o): o is InitSegment => o.type === 'init')!;
    const media = out.filter((o): o is MediaSegment => o.type === 'media');
    const anchors = media.flatMap((m) => m.samples).filter((s) => s.anchor);
    expect(anchors).toHaveLength(4);
    const clock = new FakeClock();
    const sink = nullSink();
    const renderer = new WebCodecsRenderer(sink, { targetLatency: 0 }, clock);
    renderer.appendInit(init);
    const decoder = ScriptedDecoder.last!;
    for (const [i, segment] of media.entries()) {
      clock.advance(i === 0 ? 0 : FRAME_MS);
      renderer.appendMedia(segment);
      while (decoder.waiting.length > 0) decoder.release();
    }
    // The stream's 150 pictures, each once; the recovery points after anchors as deltas.
    expect(decoder.chunks).toHaveLength(150);
    expect(decoder.chunks.filter((c) => c.type === 'key')).toHaveLength(1);
    expect(renderer.stats.skipped).toBe(0);
  });
});
