// Property tests (fast-check): the output does not depend on how the input is chunked, and no input,
// however broken, makes the transmuxer throw anything but H264MuxError or fail to finish.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { H264MuxError, Transmuxer } from '../../src/core/index.js';
import type { TransmuxerOutput } from '../../src/core/index.js';
import { fixture, readFixture } from '../helpers/fixtures.js';
import { topLevelBoxes } from '../helpers/mp4.js';
import { concatSegments, optionsFor, transmux } from '../helpers/transmux.js';

const MiB = 1 << 20;

/** Pushes `input` cut at `cuts` (sorted, unique, inside the input), then flushes. */
function runChunked(input: Uint8Array, cuts: readonly number[], options = {}): TransmuxerOutput[] {
  const t = new Transmuxer(options);
  const out: TransmuxerOutput[] = [];
  let at = 0;
  for (const c of [...cuts, input.byteLength]) {
    out.push(...t.push(input.subarray(at, c)));
    at = c;
  }
  out.push(...t.flush());
  return out;
}

/** Offsets of every 00 00 01 in `data` (the last three bytes of any start code). */
function startCodes(data: Uint8Array): number[] {
  const at: number[] = [];
  for (let i = 0; i + 2 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) at.push(i);
  }
  return at;
}

/** A chunking of `len` bytes: a run of 1-byte chunks at the start, then random cuts or fixed sizes. */
function chunking(len: number, codes: readonly number[]): fc.Arbitrary<number[]> {
  const normalise = (xs: number[]): number[] =>
    [...new Set(xs.filter((x) => x > 0 && x < len))].sort((a, b) => a - b);
  const oneBytePrefix = fc.integer({ min: 0, max: Math.min(len - 1, 3000) });
  const randomCuts = fc.array(fc.integer({ min: 1, max: len - 1 }), { maxLength: 200 });
  const fixedSize = fc
    .integer({ min: 7, max: MiB })
    .map((size) => Array.from({ length: Math.ceil(len / size) }, (_, i) => (i + 1) * size));
  // Cuts inside or right around start codes: the hard cases for carrying a partial start code.
  const aroundStartCodes = fc.array(
    fc.tuple(fc.constantFrom(...codes), fc.integer({ min: -2, max: 4 })).map(([c, d]) => c + d),
    { minLength: 1, maxLength: 100 },
  );
  return fc
    .tuple(oneBytePrefix, fc.oneof(randomCuts, fixedSize, aroundStartCodes))
    .map(([prefix, rest]) =>
      normalise([...Array.from({ length: prefix }, (_, i) => i + 1), ...rest]),
    );
}

/** The warnings among `outputs`, in order, as `CODE: message`. */
function warningsOf(outputs: readonly TransmuxerOutput[]): string[] {
  return outputs.flatMap((o) => (o.type === 'warning' ? [`${o.code}: ${o.message}`] : []));
}

describe('chunking never changes the output', () => {
  for (const name of ['p03', 'p05', 'p10', 'p13', 'p18']) {
    const f = fixture(name);
    const input = readFixture(f.name);
    const options = optionsFor(f.oracleArgs);
    const single = transmux(input, options).outputs;
    const reference = concatSegments(single);
    const warnings = warningsOf(single);
    const codes = startCodes(input);

    it(`${f.name}: any chunking gives the bytes and the warnings of a single push`, () => {
      expect(reference.byteLength).toBeGreaterThan(0);
      fc.assert(
        fc.property(chunking(input.byteLength, codes), (cuts) => {
          const outputs = runChunked(input, cuts, options);
          const out = concatSegments(outputs);
          expect(out.byteLength).toBe(reference.byteLength);
          expect(Buffer.compare(out, reference)).toBe(0);
          expect(warningsOf(outputs)).toEqual(warnings);
        }),
        { numRuns: 25 },
      );
    });
  }
});

describe('segmentParts: no copy, and input before retainedFrom is free to reuse', () => {
  for (const name of ['p03', 'p05', 'p10', 'p14', 'p15', 'p19']) {
    const f = fixture(name);
    const input = readFixture(f.name);
    const options = optionsFor(f.oracleArgs);
    const reference = concatSegments(transmux(input, options).outputs);
    const codes = startCodes(input);

    it(`${f.name}: parts equal data, and scribbling over released chunks changes nothing`, () => {
      fc.assert(
        fc.property(chunking(input.byteLength, codes), (cuts) => {
          const t = new Transmuxer({ ...options, segmentParts: true });
          const written: Uint8Array[] = [];
          // Node Buffers, as the CLI pushes them (Buffer#slice is a view: parameter sets must be copied).
          const held: { chunk: Buffer; end: number }[] = [];
          const take = (outputs: TransmuxerOutput[]): void => {
            for (const o of outputs) {
              if (o.type === 'media') {
                const parts = Buffer.concat(o.parts ?? []);
                expect(Buffer.compare(parts, o.data)).toBe(0);
                written.push(parts);
              } else if (o.type === 'init') written.push(o.data);
            }
          };
          let at = 0;
          for (const c of [...cuts, input.byteLength]) {
            const chunk = Buffer.from(input.subarray(at, c));
            at = c;
            take(t.push(chunk));
            held.push({ chunk, end: at });
            const from = t.retainedFrom;
            expect(from).toBeLessThanOrEqual(at);
            while (held[0] && held[0].end <= from) held.shift()?.chunk.fill(0xa5);
          }
          take(t.flush());
          const out = Buffer.concat(written);
          expect(out.byteLength).toBe(reference.byteLength);
          expect(Buffer.compare(out, reference)).toBe(0);
        }),
        { numRuns: 15 },
      );
    });
  }
});

/** push everything, flush; only H264MuxError may escape. Every segment must still be well formed. */
function survives(input: Uint8Array, cuts: readonly number[]): void {
  let outputs: TransmuxerOutput[] = [];
  try {
    outputs = runChunked(input, cuts);
  } catch (e) {
    if (!(e instanceof H264MuxError)) throw e;
    expect(typeof e.code).toBe('string');
    return;
  }
  for (const o of outputs) {
    if (o.type === 'init')
      expect(topLevelBoxes(o.data).map((b) => b.type)).toEqual(['ftyp', 'moov']);
    if (o.type === 'media')
      expect(topLevelBoxes(o.data).map((b) => b.type)).toEqual(['moof', 'mdat']);
  }
}

const cutsFor = (len: number): fc.Arbitrary<number[]> =>
  fc
    .array(fc.integer({ min: 1, max: Math.max(1, len - 1) }), { maxLength: 20 })
    .map((xs) => [...new Set(xs.filter((x) => x < len))].sort((a, b) => a - b));

/** NAL-shaped noise: start codes and plausible headers around random payloads reach deeper parsers. */
const nalNoise = fc
  .array(
    fc.tuple(
      fc.constantFrom([0, 0, 1], [0, 0, 0, 1]),
      fc.constantFrom(
        0x67,
        0x68,
        0x65,
        0x41,
        0x01,
        0x06,
        0x09,
        0x0c,
        0x27,
        0x28,
        0x25,
        0x21,
        0x0e,
        0x14,
      ),
      fc.uint8Array({ maxLength: 300 }),
    ),
    { maxLength: 40 },
  )
  .map((nals) => Uint8Array.from(nals.flatMap(([sc, h, p]) => [...sc, h, ...p])));

describe('broken input only ever raises H264MuxError, and always finishes', () => {
  it('random bytes', () => {
    fc.assert(
      fc.property(
        fc
          .uint8Array({ maxLength: 20_000 })
          .chain((b) => fc.tuple(fc.constant(b), cutsFor(b.length))),
        ([bytes, cuts]) => survives(bytes, cuts),
      ),
      { numRuns: 300 },
    );
  });

  it('NAL-shaped noise', () => {
    fc.assert(
      fc.property(
        nalNoise.chain((b) => fc.tuple(fc.constant(b), cutsFor(b.length))),
        ([bytes, cuts]) => survives(bytes, cuts),
      ),
      { numRuns: 300 },
    );
  });

  // Mutated fixtures: real SPS/PPS/slices with flipped, inserted and deleted bytes.
  for (const name of ['p18', 'p03', 'p11']) {
    const f = fixture(name);
    const original = readFixture(f.name);
    // A bounded slice keeps runs quick while still holding parameter sets and several frames.
    const base = original.subarray(0, Math.min(original.byteLength, 120_000));
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant('flip' as const),
        at: fc.nat(base.length - 1),
        xor: fc.integer({ min: 1, max: 255 }),
      }),
      fc.record({
        kind: fc.constant('insert' as const),
        at: fc.nat(base.length),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
      }),
      fc.record({
        kind: fc.constant('delete' as const),
        at: fc.nat(base.length - 1),
        count: fc.integer({ min: 1, max: 2000 }),
      }),
    );
    it(`${f.name} with flipped/inserted/deleted bytes`, () => {
      fc.assert(
        fc.property(
          fc.array(mutation, { minLength: 1, maxLength: 30 }),
          fc.nat(),
          (mutations, seed) => {
            let bytes = Uint8Array.from(base);
            for (const m of mutations) {
              const at = Math.min(m.at, bytes.length);
              if (m.kind === 'flip' && at < bytes.length) bytes[at] = (bytes[at] ?? 0) ^ m.xor;
              else if (m.kind === 'insert') {
                const next = new Uint8Array(bytes.length + m.bytes.length);
                next.set(bytes.subarray(0, at));
                next.set(m.bytes, at);
                next.set(bytes.subarray(at), at + m.bytes.length);
                bytes = next;
              } else if (m.kind === 'delete') {
                const end = Math.min(bytes.length, at + m.count);
                const next = new Uint8Array(bytes.length - (end - at));
                next.set(bytes.subarray(0, at));
                next.set(bytes.subarray(end), at);
                bytes = next;
              }
            }
            // A deterministic chunking derived from the seed: 1..64 KiB chunks.
            const size = 1 + (seed % 65_536);
            const cuts = Array.from(
              { length: Math.floor((bytes.length - 1) / size) },
              (_, i) => (i + 1) * size,
            );
            survives(bytes, cuts);
          },
        ),
        { numRuns: 40 },
      );
    });
  }
});
