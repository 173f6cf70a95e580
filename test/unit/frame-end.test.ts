// The early end of a live frame (`AccessUnitReader.endIfFrameWhole`, `endsFrame`): an access unit ends
// when the input pauses after its last slice, instead of one frame later at the next start code. The
// one rule that matters: it never ends a frame early. Checked on every corpus and conformance stream,
// paused after every access unit (it should end there, when the picture is a whole frame) and at
// random points (it must change nothing: the same access units, byte for byte).
import { describe, expect, it } from 'vitest';
import { AccessUnitReader, type RawAccessUnit } from '../../src/core/access-unit-reader.js';
import { Transmuxer, type TransmuxerOutput } from '../../src/core/index.js';
import { prng } from '../e2e/support/stream-server.mjs';
import { allFixtures, readFixture } from '../helpers/fixtures.js';

function reference(data: Uint8Array): RawAccessUnit[] {
  const reader = new AccessUnitReader();
  return [...reader.push(data), ...reader.flush()];
}

function spans(aus: readonly RawAccessUnit[]): [number, number][] {
  return aus.map((a) => [a.offset, a.size]);
}

/** Stream names whose frames are all whole single pictures the rule must recognise. */
const ENDS_EVERY_FRAME = [
  'p01_pi_baseline_vga30_inline.h264', // CAVLC, Constrained Baseline
  'p04_high_bf3_1080p30.h264', // CABAC, B-frames, 8x8 transform
  'p05_high_slices4_720p30.h264', // 4 slices per picture
  'p06_aud_main_bf2_vga25.h264', // delimiters
];

describe('a live frame ends when the input pauses after its last slice', () => {
  for (const f of allFixtures) {
    it(f.name, () => {
      const data = readFixture(f.name);
      const expected = reference(data);

      // Paused right after each access unit's last byte (a camera writing frame by frame).
      const reader = new AccessUnitReader();
      const got: RawAccessUnit[] = [];
      let ended = 0;
      for (let i = 0; i < expected.length; i++) {
        const au = expected[i]!;
        const from = i === 0 ? 0 : au.offset;
        const to = i + 1 < expected.length ? expected[i + 1]!.offset : data.length;
        // The gap before the next access unit (zero bytes, trailing units) goes with this one.
        got.push(...reader.push(data.subarray(from, au.offset + au.size)));
        const early = reader.endIfFrameWhole();
        if (early.length > 0) {
          ended++;
          // What ends is this very access unit, whole.
          expect(spans(early)).toEqual(spans([au]));
        }
        got.push(...early);
        got.push(...reader.push(data.subarray(au.offset + au.size, to)));
      }
      got.push(...reader.flush());
      expect(spans(got)).toEqual(spans(expected));
      if (ENDS_EVERY_FRAME.includes(f.name)) expect(ended).toBe(expected.length);

      // Paused at random points: never earlier than the end of a frame, so nothing changes.
      const next = prng(f.bytes);
      const paused = new AccessUnitReader();
      const out: RawAccessUnit[] = [];
      for (let o = 0; o < data.length;) {
        const size = next() < 0.5 ? 1 + Math.floor(next() * 64) : 1 + Math.floor(next() * 20_000);
        out.push(...paused.push(data.subarray(o, o + size)));
        out.push(...paused.endIfFrameWhole());
        o += size;
      }
      out.push(...paused.flush());
      expect(spans(out)).toEqual(spans(expected));
    });
  }

  it('does not end a frame whose last slice is cut short, nor a field whose pair may follow', () => {
    const data = readFixture('p01_pi_baseline_vga30_inline.h264');
    const [first] = reference(data);
    const reader = new AccessUnitReader();
    expect(reader.push(data.subarray(0, first!.size - 1))).toEqual([]);
    expect(reader.endIfFrameWhole()).toEqual([]);
    expect(reader.push(data.subarray(first!.size - 1, first!.size))).toEqual([]);
    expect(spans(reader.endIfFrameWhole())).toEqual(spans([first!]));
  });
});

describe('Transmuxer.endIfFrameWhole', () => {
  for (const name of [
    'p01_pi_baseline_vga30_inline.h264',
    'p04_high_bf3_1080p30.h264',
    'p05_high_slices4_720p30.h264',
    'p15_interlaced_mbaff_tff_576i25.h264',
  ]) {
    it(`${name}: the same fragments, each frame out when the input pauses after it`, () => {
      const data = readFixture(name);
      const options = { fragment: 'frame', lowLatency: true, fps: 30 } as const;
      const media = (outputs: readonly TransmuxerOutput[]): Buffer[] =>
        outputs.flatMap((o) => (o.type === 'media' ? [Buffer.from(o.data)] : []));
      const whole = new Transmuxer(options);
      const expected = media([...whole.push(data), ...whole.flush()]);

      const frames = reference(data);
      const paused = new Transmuxer(options);
      const got: Buffer[] = [];
      let lateFrames = 0;
      for (let i = 0; i < frames.length; i++) {
        const au = frames[i]!;
        const from = i === 0 ? 0 : au.offset;
        const to = i + 1 < frames.length ? frames[i + 1]!.offset : data.length;
        got.push(...media(paused.push(data.subarray(from, au.offset + au.size))));
        const early = media(paused.endIfFrameWhole());
        got.push(...early);
        // Without B-frames, frame i is out before any byte of frame i + 1.
        if (got.length < i + 1) lateFrames++;
        got.push(...media(paused.push(data.subarray(au.offset + au.size, to))));
      }
      got.push(...media(paused.flush()));
      expect(got.length).toBe(expected.length);
      expect(got.every((b, i) => b.equals(expected[i]!))).toBe(true);
      if (name.startsWith('p01') || name.startsWith('p05')) expect(lateFrames).toBe(0);
    });
  }
});
