// The relay's AU boundary scanner: every fixture, cut at random points, gives the same access units as
// the core's AccessUnitReader and passes every byte through unchanged.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AccessUnitReader } from '../../src/core/index.js';
import { AccessUnitScanner, concat, type KeyframeInfo } from '../../src/cli/serve/au-scanner.js';

interface Manifest {
  readonly name: string;
  readonly accessUnits: number;
}
const manifest = JSON.parse(
  readFileSync(new URL('../fixtures/manifest.json', import.meta.url), 'utf8'),
) as Manifest[];
const fixture = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`../fixtures/${name}`, import.meta.url)));

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
const sameList = (a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean =>
  a.length === b.length && a.every((x, i) => same(x, b[i]!));

interface Scan {
  readonly aus: Uint8Array[];
  readonly keyframes: KeyframeInfo[];
  /** Index of the AU each keyframe event belonged to. */
  readonly keyIndex: number[];
  readonly bytes: Uint8Array;
}

function scan(data: Uint8Array, cuts: readonly number[]): Scan {
  const aus: Uint8Array[] = [];
  const all: Uint8Array[] = [];
  const keyframes: KeyframeInfo[] = [];
  const keyIndex: number[] = [];
  let cur: Uint8Array[] = [];
  const s = new AccessUnitScanner({
    bytes: (d) => {
      cur.push(d.slice());
      all.push(d.slice());
    },
    keyframe: (k) => {
      keyframes.push(k);
      keyIndex.push(aus.length);
    },
    accessUnitEnd: () => {
      aus.push(concat(cur));
      cur = [];
    },
  });
  let at = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    s.push(data.subarray(at, c));
    at = c;
  }
  s.push(data.subarray(at));
  s.flush();
  return { aus, keyframes, keyIndex, bytes: concat(all) };
}

describe('AccessUnitScanner', () => {
  for (const entry of manifest) {
    it(`${entry.name}: passes bytes through and finds the same AUs as the core`, () => {
      const data = fixture(entry.name);
      const whole = scan(data, []);
      expect(same(whole.bytes, data)).toBe(true);
      // The core skips what cannot be decoded before the first SPS/PPS (mid-GOP start, garbage):
      // compare the AUs from the first keyframe on, which is all a viewer is ever sent.
      const core = new AccessUnitReader();
      const coreAus = [...core.push(data), ...core.flush()];
      const firstCoreKey = coreAus.findIndex((a) => a.keyframe);
      const firstKey = whole.keyIndex[0] ?? -1;
      expect(firstKey).toBeGreaterThanOrEqual(0);
      expect(whole.aus.length - firstKey).toBe(coreAus.length - firstCoreKey);
      expect(whole.keyframes.length).toBe(coreAus.filter((a) => a.keyframe).length);
      expect(whole.aus.length).toBe(entry.accessUnits);
    });
  }

  it('gives identical AUs for random chunkings (every split point matters)', () => {
    const names = [
      'p01_pi_baseline_vga30_inline.h264',
      'p05_high_slices4_720p30.h264',
      'p06_aud_main_bf2_vga25.h264',
      'p07_startcode3_vga30.h264',
      'p14_opengop_bf3_recovery_sei.h264',
    ];
    for (const name of names) {
      const data = fixture(name).subarray(0, 120_000);
      const ref = scan(data, []);
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 1, max: data.length - 1 }), { maxLength: 40 }),
          (cuts) => {
            const got = scan(data, cuts);
            expect(sameList(got.aus, ref.aus)).toBe(true);
            expect(got.keyIndex).toEqual(ref.keyIndex);
          },
        ),
        { numRuns: 30 },
      );
      // Byte by byte for the first AUs: every start code straddles a boundary at some point.
      const head = data.subarray(0, 20_000);
      const cuts = Array.from({ length: head.length - 1 }, (_, i) => i + 1);
      expect(sameList(scan(head, cuts).aus, scan(head, []).aus)).toBe(true);
    }
  });

  it('closes an AU at once when the transport proves its end', () => {
    const core = new AccessUnitReader();
    const data = fixture('p01_pi_baseline_vga30_inline.h264');
    const aus = [...core.push(data), ...core.flush()].slice(0, 10);
    let ended = 0;
    const s = new AccessUnitScanner({
      bytes: () => undefined,
      keyframe: () => undefined,
      accessUnitEnd: () => ended++,
    });
    aus.forEach((au, i) => {
      s.push(au.data, true);
      expect(ended).toBe(i + 1);
    });
  });

  it('gives the SPS/PPS a joiner needs when the keyframe AU lacks them, after a leading AUD', () => {
    const sc = [0, 0, 0, 1];
    const sps = [0x67, 0x42, 0xc0, 0x1e, 0x8c, 0x68]; // sps id 0 (ue '1' right after level_idc)
    const pps = [0x68, 0xce, 0x3c, 0x80];
    const aud = [0x09, 0xf0];
    const idr = [0x65, 0x88, 0x84, 0x21];
    const p = [0x41, 0x9a, 0x22];
    const stream = Uint8Array.from([
      ...sc,
      ...aud,
      ...sc,
      ...sps,
      ...sc,
      ...pps,
      ...sc,
      ...idr,
      ...sc,
      ...aud,
      ...sc,
      ...p,
      ...sc,
      ...aud,
      ...sc,
      ...idr,
      ...sc,
      ...aud,
      ...sc,
      ...p,
    ]);
    const r = scan(stream, []);
    expect(r.aus.length).toBe(4);
    expect(r.keyIndex).toEqual([0, 2]);
    expect(r.keyframes[0]!.parameterSets.length).toBe(0); // the first IDR carries its own
    expect(r.keyframes[1]!.parameterSets).toEqual(Uint8Array.from([...sc, ...sps, ...sc, ...pps]));
    expect(r.keyframes[1]!.insertAt).toBe(6); // after the AUD (4-byte start code + 2 bytes)
  });
});
