// The fuzz engine shared by the CI fuzz test (test/property/fuzz.test.ts) and `npm run fuzz`
// (scripts/fuzz.mjs): mutated inputs, each fully determined by (seed, index), pushed in random chunks.
// A case fails on a throw that is not H264MuxError, on a hang (more loop iterations inside the core
// than its step budget: scripts/fuzz-target.mjs counts them), on output that is not ftyp+moov /
// moof+mdat, and, for every eighth case, on output or warnings that differ from a single push.
import {
  H264MuxError,
  Transmuxer,
  unescapeRbsp,
  type TransmuxerOutput,
} from '../../src/core/index.js';
import { topLevelBoxes } from './boxes.js';
import { MULTI_ID_FRAMES, nalUnit, paffStream, progressiveStream } from './synth.js';

/** Loop iterations left to the core for the current case (decremented by the fuel-counted build). */
export interface Meter {
  left: number;
}

export interface FuzzCase {
  readonly seed: number;
  readonly index: number;
  readonly input: Uint8Array;
  /** Chunk boundaries (sorted, inside the input). */
  readonly cuts: readonly number[];
  /** The mutations applied, in order, for the report. */
  readonly recipe: readonly string[];
}

export type Outcome = 'ok' | 'typed' | 'untyped' | 'hang' | 'malformed' | 'chunking';

export interface FuzzResult {
  readonly outcome: Outcome;
  /** The error code, or what went wrong. */
  readonly detail: string;
  /** Loop iterations the core used. */
  readonly steps: number;
}

/** Outcomes that are failures. */
export function failed(r: FuzzResult): boolean {
  return r.outcome !== 'ok' && r.outcome !== 'typed';
}

/** Loop iterations a case may use: far above what any real stream of that length takes (see the test). */
export function stepBudget(length: number): number {
  return 20_000_000 + 400 * length;
}

// ---- random numbers ----

/** xorshift32 with a seed mixed from (seed, index): any case can be made again on its own. */
export class Rand {
  private x: number;

  constructor(seed: number, index: number) {
    let x = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
    x ^= x >>> 16;
    x = Math.imul(x, 0x27d4eb2f);
    this.x = (x ^ (x >>> 15)) | 1;
  }

  /** 0 .. 2^32 - 1 */
  u32(): number {
    let x = this.x;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.x = x;
    return x >>> 0;
  }

  /** lo .. hi inclusive */
  int(lo: number, hi: number): number {
    return lo + (this.u32() % (hi - lo + 1));
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)] as T;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}

// ---- corpus ----

/** Hand-built streams beside the fixtures: field pairs, I_PCM, several SPS/PPS ids, MMCO 5. */
export function syntheticCorpus(): Uint8Array[] {
  return [
    paffStream({
      widthMbs: 4,
      fieldHeightMbs: 2,
      pictures: ['fields', 'nonref', 'bff', 'frame', 'fields', 'nonref'],
      fps: 25,
    }),
    progressiveStream({ widthMbs: 4, heightMbs: 3, fps: 30, frames: MULTI_ID_FRAMES }),
    progressiveStream({
      widthMbs: 3,
      heightMbs: 2,
      fps: 30,
      frames: MULTI_ID_FRAMES,
      profileIdc: 100,
      pocType: 1,
    }),
  ];
}

// ---- mutations ----

const HEADERS = [
  0x67, 0x68, 0x65, 0x41, 0x01, 0x06, 0x09, 0x0a, 0x0c, 0x27, 0x28, 0x25, 0x0e, 0x14,
];

/** Offsets of the first byte after each 00 00 01 (NAL unit headers), and the end. */
function nalStarts(data: Uint8Array): number[] {
  const at: number[] = [];
  for (let i = 2; i < data.length; i++) {
    if (data[i] === 1 && data[i - 1] === 0 && data[i - 2] === 0) at.push(i + 1);
  }
  return at;
}

/** [start of the start code, end of the unit] of every unit (the unit's zeros before the next 00 00 01 kept). */
function nalSpans(data: Uint8Array): [number, number][] {
  const starts = nalStarts(data);
  return starts.map((s, k) => [
    s - 3,
    k + 1 < starts.length ? (starts[k + 1] as number) - 3 : data.length,
  ]);
}

function splice(data: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const end = Math.min(data.length, at + remove);
  const out = new Uint8Array(at + insert.length + data.length - end);
  out.set(data.subarray(0, at));
  out.set(insert, at);
  out.set(data.subarray(end), at + insert.length);
  return out;
}

/** Input longer than this is not grown any more (endless units need ~1 MB to pass a VGA bound). */
const MAX_INPUT = 3 << 20;

type Mutation = (r: Rand, data: Uint8Array, corpus: readonly Uint8Array[]) => Uint8Array;

const MUTATIONS: Record<string, Mutation> = {
  flipBits(r, data) {
    const out = Uint8Array.from(data);
    for (let n = r.int(1, 8); n > 0 && out.length > 0; n--) {
      const at = r.int(0, out.length - 1);
      out[at] = (out[at] as number) ^ (1 << r.int(0, 7));
    }
    return out;
  },
  /** Bits of the first bytes of a unit flipped: its header fields, where the parsers branch most. */
  flipHeaderBits(r, data) {
    const spans = nalSpans(data);
    if (spans.length === 0) return data;
    const out = Uint8Array.from(data);
    for (let n = r.int(1, 4); n > 0; n--) {
      const [s, e] = r.pick(spans);
      const at = Math.min(e - 1, s + 3 + r.int(1, 24));
      out[at] = (out[at] as number) ^ (1 << r.int(0, 7));
    }
    return out;
  },
  insertBytes(r, data) {
    return splice(data, r.int(0, data.length), 0, r.bytes(r.int(1, 64)));
  },
  deleteBytes(r, data) {
    return splice(data, r.int(0, data.length), r.int(1, 2000), new Uint8Array(0));
  },
  truncate(r, data) {
    return data.subarray(0, r.int(0, data.length));
  },
  duplicateNal(r, data) {
    const spans = nalSpans(data);
    if (spans.length === 0) return data;
    const [s, e] = r.pick(spans);
    const [to] = r.pick(spans);
    return splice(data, to, 0, data.slice(s, e));
  },
  dropNal(r, data) {
    const spans = nalSpans(data);
    if (spans.length === 0) return data;
    const [s, e] = r.pick(spans);
    return splice(data, s, e - s, new Uint8Array(0));
  },
  swapNals(r, data) {
    const spans = nalSpans(data);
    if (spans.length < 2) return data;
    const i = r.int(0, spans.length - 2);
    const j = r.int(i + 1, spans.length - 1);
    const [a0, a1] = spans[i] as [number, number];
    const [b0, b1] = spans[j] as [number, number];
    const a = data.slice(a0, a1);
    const b = data.slice(b0, b1);
    return splice(splice(data, b0, b1 - b0, a), a0, a1 - a0, b);
  },
  repeatNal(r, data) {
    const spans = nalSpans(data).filter(([s, e]) => e - s <= 64);
    if (spans.length === 0) return data;
    const [s, e] = r.pick(spans);
    const unit = data.subarray(s, e);
    const times = Math.min(r.int(100, 5000), Math.floor(MAX_INPUT / 2 / unit.length));
    const out = new Uint8Array(unit.length * times);
    for (let k = 0; k < times; k++) out.set(unit, k * unit.length);
    return splice(data, e, 0, out);
  },
  spliceStream(r, data, corpus) {
    const other = r.pick(corpus);
    const starts = nalStarts(other);
    const from = starts.length > 0 ? r.pick(starts) - 3 : 0;
    const piece = other.subarray(from, Math.min(other.length, from + r.int(100, 32_768)));
    const spans = nalSpans(data);
    const at = spans.length > 0 ? r.pick(spans)[0] : r.int(0, data.length);
    return splice(data, at, 0, piece);
  },
  insertStartCode(r, data) {
    const code = r.int(0, 1) ? [0, 0, 1] : [0, 0, 0, 1];
    return splice(data, r.int(0, data.length), 0, Uint8Array.from([...code, r.pick(HEADERS)]));
  },
  zeroRun(r, data) {
    return splice(data, r.int(0, data.length), 0, new Uint8Array(r.int(3, 5000)));
  },
  /** A ue(v)/se(v) field made huge: 16..40 zero bits then a one, in the first bits of an SPS, PPS, slice or SEI. */
  hugeGolomb(r, data) {
    const spans = nalSpans(data).filter(([s]) =>
      [7, 8, 1, 5, 6].includes((data[s + 3] ?? 0) & 0x1f),
    );
    if (spans.length === 0) return data;
    const [s, e] = r.pick(spans);
    const rbsp = Uint8Array.from(unescapeRbsp(data.subarray(s + 3, e)));
    if (rbsp.length < 3) return data;
    const bits = [...new Array<number>(r.int(16, 40)).fill(0), 1];
    for (let k = r.int(0, 32); k > 0; k--) bits.push(r.int(0, 1));
    let bit = r.int(8, Math.min(rbsp.length * 8 - 1, 200));
    const grown = new Uint8Array(Math.max(rbsp.length, Math.ceil((bit + bits.length) / 8) + 1));
    grown.set(rbsp);
    for (const b of bits) {
      const byte = bit >> 3;
      const mask = 0x80 >> (bit & 7);
      grown[byte] = b ? (grown[byte] as number) | mask : (grown[byte] as number) & ~mask;
      bit++;
    }
    const header = grown[0] as number;
    return splice(data, s, e - s, nalUnit(header & 0x1f, (header >> 5) & 3, grown.subarray(1)));
  },
  /** Bytes without a start code for up to 1.2 MB: a unit longer than a small picture's bound. */
  endlessUnit(r, data) {
    const noise = r.bytes(r.int(200_000, 1_200_000)).map((b) => b | 1);
    return splice(data, r.int(0, data.length), 0, noise);
  },
};

const NAMES = Object.keys(MUTATIONS);

/** Where a base input starts: the stream's beginning (its parameter sets) most of the time. */
function baseInput(r: Rand, corpus: readonly Uint8Array[]): Uint8Array {
  const source = r.pick(corpus);
  const starts = nalStarts(source);
  const from = r.int(0, 3) === 0 && starts.length > 0 ? r.pick(starts) - 3 : 0;
  return source.subarray(from, Math.min(source.length, from + r.int(2_000, 65_536)));
}

/** Chunk boundaries for `length` bytes: none, a byte at a time at first, random, fixed, or near start codes. */
function chunking(r: Rand, data: Uint8Array): number[] {
  const length = data.length;
  if (length < 2) return [];
  const cuts: number[] = [];
  switch (r.int(0, 4)) {
    case 0:
      break;
    case 1:
      for (let i = 1; i < Math.min(length, r.int(1, 2000)); i++) cuts.push(i);
      break;
    case 2:
      for (let n = r.int(1, 40); n > 0; n--) cuts.push(r.int(1, length - 1));
      break;
    case 3: {
      const size = r.int(7, 65_536);
      for (let at = size; at < length; at += size) cuts.push(at);
      break;
    }
    default: {
      const starts = nalStarts(data);
      for (let n = r.int(1, 60); n > 0 && starts.length > 0; n--)
        cuts.push(r.pick(starts) + r.int(-5, 2));
    }
  }
  return [...new Set(cuts.filter((c) => c > 0 && c < length))].sort((a, b) => a - b);
}

/** Case `index` of run `seed`: a corpus window with 1 to 8 mutations, and a chunking. */
export function makeCase(seed: number, index: number, corpus: readonly Uint8Array[]): FuzzCase {
  const r = new Rand(seed, index);
  let input = baseInput(r, corpus);
  const recipe: string[] = [];
  for (let n = r.int(1, 8); n > 0; n--) {
    // An endless unit is rare (it makes the case ~20 times longer to run).
    let name = r.pick(NAMES);
    if (name === 'endlessUnit' && r.int(0, 7) !== 0) name = 'flipBits';
    if (input.length > MAX_INPUT && ['repeatNal', 'spliceStream', 'endlessUnit'].includes(name))
      continue;
    input = (MUTATIONS[name] as Mutation)(r, input, corpus);
    recipe.push(name);
  }
  return { seed, index, input, cuts: chunking(r, input), recipe };
}

// ---- running a case ----

interface Run {
  readonly outputs: TransmuxerOutput[];
  readonly error: unknown;
}

function transmuxCut(input: Uint8Array, cuts: readonly number[]): Run {
  const t = new Transmuxer();
  const outputs: TransmuxerOutput[] = [];
  try {
    let at = 0;
    for (const c of [...cuts, input.length]) {
      outputs.push(...t.push(input.subarray(at, c)));
      at = c;
    }
    outputs.push(...t.flush());
    return { outputs, error: undefined };
  } catch (error) {
    return { outputs, error };
  }
}

/** Init and media bytes, then every warning and the error code: what must not depend on chunking. */
function digest(run: Run): string {
  let bytes = 0;
  let hash = 0;
  const words: string[] = [];
  for (const o of run.outputs) {
    if (o.type === 'init' || o.type === 'media') {
      for (const b of o.data) hash = (Math.imul(hash, 31) + b) | 0;
      bytes += o.data.length;
    } else if (o.type === 'warning') words.push(`${o.code}: ${o.message}`);
  }
  const code = run.error instanceof H264MuxError ? run.error.code : 'none';
  return [`${bytes} bytes, hash ${hash}`, ...words, `error ${code}`].join('\n');
}

/** Runs a case against the core; `meter` is the step counter of the build under test. */
export function runCase(
  c: FuzzCase,
  meter: Meter,
  budget = stepBudget(c.input.length),
): FuzzResult {
  meter.left = budget;
  const run = transmuxCut(c.input, c.cuts);
  const steps = budget - meter.left;
  meter.left = Infinity;
  if (steps > budget)
    return { outcome: 'hang', detail: `more than ${budget} loop iterations`, steps };
  if (run.error !== undefined) {
    if (!(run.error instanceof H264MuxError)) {
      const e = run.error as Error;
      return { outcome: 'untyped', detail: e.stack ?? String(e), steps };
    }
  }
  for (const o of run.outputs) {
    if (o.type !== 'init' && o.type !== 'media') continue;
    let types: string;
    try {
      types = topLevelBoxes(o.data)
        .map((b) => b.type)
        .join('+');
    } catch (e) {
      types = (e as Error).message;
    }
    const want = o.type === 'init' ? 'ftyp+moov' : 'moof+mdat';
    if (types !== want)
      return { outcome: 'malformed', detail: `${o.type} segment is ${types}`, steps };
  }
  if (c.index % 8 === 0 && c.cuts.length > 0) {
    meter.left = budget;
    const single = transmuxCut(c.input, []);
    meter.left = Infinity;
    const a = digest(run);
    const b = digest(single);
    if (a !== b)
      return { outcome: 'chunking', detail: `chunked:\n${a}\nsingle push:\n${b}`, steps };
  }
  if (run.error instanceof H264MuxError) return { outcome: 'typed', detail: run.error.code, steps };
  return { outcome: 'ok', detail: '', steps };
}
