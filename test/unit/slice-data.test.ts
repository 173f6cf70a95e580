// The slice-data walker (src/core/h264/slice-data.ts): every slice of every fixture parses to its exact end,
// the slices of a picture cover it, the macroblock types agree with ffmpeg's decoder (-debug mb_type), and a
// slice cut anywhere is reported as truncated.
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { AnnexBSplitter } from '../../src/core/h264/annexb.js';
import { NalType, nalBytes } from '../../src/core/h264/nal.js';
import { ParameterSets } from '../../src/core/h264/parameter-sets.js';
import { walkSliceData } from '../../src/core/h264/slice-data.js';
import type { MacroblockInfo, SliceDataResult } from '../../src/core/h264/slice-data.js';
import { CABAC_INIT, CBP_INTER, CBP_INTRA } from '../../src/core/h264/slice-data-tables.js';
import { parseSliceHeader } from '../../src/core/h264/slice.js';
import { fixture, fixturePath, fixtures, readFixture } from '../helpers/fixtures.js';

interface WalkedSlice {
  readonly nal: Uint8Array;
  readonly result: SliceDataResult;
  readonly picSizeInMbs: number;
  readonly widthMbs: number;
  readonly pocLsb: number;
  readonly idr: boolean;
  readonly sliceType: number;
  readonly maxPocLsb: number;
  readonly mbaff: boolean;
  readonly macroblocks: MacroblockInfo[];
}

interface Walked {
  readonly slices: WalkedSlice[];
  /** Slices before the first parameter sets (a stream joined mid-GOP). */
  readonly beforeParameterSets: SliceDataResult[];
  readonly sets: ParameterSets;
}

/** Splits a fixture and walks every slice, keeping the parameter sets current as they arrive. */
function walkFixture(name: string, collect = false): Walked {
  const splitter = new AnnexBSplitter();
  const sets = new ParameterSets();
  const slices: WalkedSlice[] = [];
  const beforeParameterSets: SliceDataResult[] = [];
  for (const unit of [...splitter.push(readFixture(name)), ...splitter.flush()]) {
    if (unit.type === NalType.Sps) sets.addSps(unit);
    else if (unit.type === NalType.Pps) sets.addPps(unit);
    else if (unit.type === NalType.SliceNonIdr || unit.type === NalType.SliceIdr) {
      const nal = nalBytes(unit);
      const macroblocks: MacroblockInfo[] = [];
      const result = walkSliceData(
        nal,
        sets,
        collect ? { onMacroblock: (m) => macroblocks.push(m) } : {},
      );
      if (!sets.hasAny) {
        beforeParameterSets.push(result);
        continue;
      }
      const header = parseSliceHeader(nal, sets);
      const sps = sets.sps(header.spsId);
      if (!sps) throw new Error('slice without its SPS');
      const frameHeightInMbs = (sps.frameMbsOnly ? 1 : 2) * sps.picHeightInMapUnits;
      slices.push({
        nal,
        result,
        picSizeInMbs: (sps.picWidthInMbs * frameHeightInMbs) / (header.fieldPic ? 2 : 1),
        widthMbs: sps.picWidthInMbs,
        pocLsb: header.picOrderCntLsb,
        idr: header.idr,
        sliceType: header.sliceType,
        maxPocLsb: 2 ** sps.log2MaxPocLsb,
        mbaff: sps.mbAdaptiveFrameField && !header.fieldPic,
        macroblocks,
      });
    }
  }
  return { slices, beforeParameterSets, sets };
}

/** Groups slices into pictures: a picture starts at first_mb_in_slice 0 (no fixture uses ASO). */
function pictures(slices: readonly WalkedSlice[]): WalkedSlice[][] {
  const out: WalkedSlice[][] = [];
  for (const s of slices) {
    if (s.result.firstMb === 0 || out.length === 0) out.push([]);
    out[out.length - 1]?.push(s);
  }
  return out;
}

describe('walkSliceData on every fixture', () => {
  for (const f of fixtures) {
    it(f.name, () => {
      const walked = walkFixture(f.name);
      const truncatedLast = f.name.startsWith('p12_');
      // A stream joined mid-GOP (p11) starts with slices whose PPS has not arrived: nothing to walk.
      for (const r of walked.beforeParameterSets) {
        expect(r.status).toBe('unsupported');
        expect(r.reason).toMatch(/not received/);
      }
      const last = walked.slices.length - 1;
      walked.slices.forEach((s, i) => {
        const expected = truncatedLast && i === last ? 'truncated' : 'complete';
        expect(s.result.status, `slice ${i}: ${s.result.reason ?? ''}`).toBe(expected);
      });
      const pics = pictures(walked.slices);
      pics.forEach((pic, k) => {
        if (truncatedLast && k === pics.length - 1) {
          const mbs = pic.reduce((n, s) => n + s.result.macroblocks, 0);
          expect(mbs, 'the cut picture does not reach its last macroblock').toBeLessThan(
            pic[0]?.picSizeInMbs ?? 0,
          );
          return;
        }
        const mbs = pic.reduce((n, s) => n + s.result.macroblocks, 0);
        expect(mbs, `picture ${k}: macroblocks of its slices`).toBe(pic[0]?.picSizeInMbs);
        if (f.name.startsWith('p05_')) expect(pic.length, `picture ${k}: slices`).toBe(4);
      });
    });
  }
});

// ---- ffmpeg's decoder as the independent reader: -debug mb_type prints one cell per macroblock ----

let ffmpegError: string | undefined;

beforeAll(() => {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    ffmpegError = `ffmpeg is required for the slice-data oracle (apt-get install ffmpeg): ${String(r.error ?? r.stderr)}`;
  }
});

/** ffmpeg's macroblock grids (3 characters per macroblock) of the first `frames` pictures in output order. */
function ffmpegGrids(name: string, frames: number): string[][] {
  if (ffmpegError) throw new Error(ffmpegError);
  const r = spawnSync(
    'ffmpeg',
    [
      ...['-hide_banner', '-threads', '1', '-debug', 'mb_type', '-i', fixturePath(name)],
      ...['-frames:v', String(frames), '-f', 'null', '-'],
    ],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`ffmpeg failed on ${name}: ${r.stderr.slice(-2000)}`);
  const grids: string[][] = [];
  let current: string[] | undefined;
  // Stream probing (avformat_find_stream_info) decodes the first frames with the same debug output: only the
  // grids after "Stream mapping:" belong to the real decode.
  const lines = r.stderr.split('\n');
  const start = lines.findIndex((l) => l.startsWith('Stream mapping:'));
  if (start < 0) throw new Error(`no "Stream mapping:" in ffmpeg's output for ${name}`);
  for (const line of lines.slice(start)) {
    const m = /^\[h264 @ [^\]]+\] (.*)$/.exec(line);
    const text = m?.[1];
    // A grid row is a run of 3-character cells; other debug lines are words.
    if (text !== undefined && /^([A-Za-z<>?][ +\-|?][ =])+$/.test(text)) {
      if (!current) {
        current = [];
        grids.push(current);
      }
      for (let k = 0; k < text.length; k += 3) current.push(text.slice(k, k + 3));
    } else {
      current = undefined;
    }
  }
  return grids;
}

/** Our cell for a macroblock, in ffmpeg's notation (mpegutils.c); '?' where the syntax alone does not tell. */
function ourCell(m: MacroblockInfo, bSlice: boolean): string {
  const interlace = m.field ? '=' : ' ';
  if (m.skip) return (bSlice ? 'd' : 'S') + (bSlice ? '?' : ' ') + interlace;
  if (m.intra === 'IPCM') return 'P ' + interlace;
  if (m.intra === 'I16x16') return 'I ' + interlace;
  if (m.intra) return 'i ' + interlace;
  if (bSlice && m.mbType === 0) return 'D?' + interlace; // B_Direct_16x16: lists and shape are inferred
  const lists = (pred: number): string => (pred === 1 ? '>' : pred === 2 ? '<' : 'X');
  if (m.subMbTypes) {
    // P_8x8 / B_8x8: the lists of direct sub-macroblocks are inferred.
    if (bSlice && m.subMbTypes.includes(0)) return '?+' + interlace;
    const pred = bSlice
      ? m.subMbTypes.reduce(
          (a, t) => a | (t === 0 ? 0 : ([0, 1, 2, 3, 1, 1, 2, 2, 3, 3, 1, 2, 3][t] ?? 0)),
          0,
        )
      : 1;
    return lists(pred) + '+' + interlace;
  }
  const pred = m.partPred.reduce((a, p) => a | p, 0);
  const shape = m.partPred.length === 1 ? ' ' : isSixteenByEight(m, bSlice) ? '-' : '|';
  return lists(pred) + shape + interlace;
}

function isSixteenByEight(m: MacroblockInfo, bSlice: boolean): boolean {
  // Tables 7-13 / 7-14: P 1 and B even types 4..20 are 16x8, P 2 and B odd types are 8x16.
  return bSlice ? m.mbType % 2 === 0 : m.mbType === 1;
}

function sameCell(ours: string, theirs: string): boolean {
  for (let i = 0; i < 3; i++) {
    const o = ours[i];
    const t = theirs[i];
    if (o === '?') {
      if (i === 0 && !['>', '<', 'X'].includes(t ?? '')) return false;
      continue;
    }
    if (o !== t) return false;
  }
  return true;
}

describe('macroblock types agree with ffmpeg -debug mb_type', () => {
  const cases: readonly [string, number][] = [
    ['p01_', 8], // Baseline, CAVLC, I and P
    ['p03_', 8], // Main, CABAC, B pyramid
    ['p04_', 6], // High, CABAC, 8x8 transform, 1080p
    ['p15_', 6], // High, CABAC, MBAFF
  ];
  for (const [prefix, frames] of cases) {
    const f = fixture(prefix);
    it(f.name, () => {
      const grids = ffmpegGrids(f.name, frames);
      expect(grids.length, 'ffmpeg grids').toBeGreaterThanOrEqual(frames);
      const walked = walkFixture(f.name, true);
      // ffmpeg prints each picture when it is output: put ours in output order, POC order after the first IDR
      // (pic_order_cnt_lsb unwrapped as in §8.2.1.1; the first frames stay within one IDR period).
      const pics = pictures(walked.slices);
      const firstIdr = pics.findIndex((p) => p[0]?.idr);
      let msb = 0;
      let prevLsb = 0;
      const withPoc = pics
        .slice(firstIdr, firstIdr + frames + 8)
        .filter((p, i) => i === 0 || !p[0]?.idr)
        .map((p) => {
          const lsb = p[0]?.pocLsb ?? 0;
          const max = p[0]?.maxPocLsb ?? 1;
          if (lsb < prevLsb && prevLsb - lsb >= max / 2) msb += max;
          else if (lsb > prevLsb && lsb - prevLsb > max / 2) msb -= max;
          prevLsb = lsb;
          return { p, poc: msb + lsb };
        });
      const ordered = withPoc
        .sort((a, b) => a.poc - b.poc)
        .map((x) => x.p)
        .slice(0, frames);
      let compared = 0;
      ordered.forEach((pic, k) => {
        const grid = grids[k] ?? [];
        const size = pic[0]?.picSizeInMbs ?? 0;
        expect(grid.length, `picture ${k}: ffmpeg cells`).toBe(size);
        for (const slice of pic) {
          const bSlice = slice.sliceType === 1;
          for (const m of slice.macroblocks) {
            const ours = ourCell(m, bSlice);
            // ffmpeg's grid is raster order; MBAFF addresses run pair by pair (§6.4.1).
            const w = slice.widthMbs;
            const cell = slice.mbaff
              ? (((m.mbAddr >> 1) / w) | 0) * 2 * w + (m.mbAddr & 1) * w + ((m.mbAddr >> 1) % w)
              : m.mbAddr;
            const theirs = grid[cell] ?? '';
            if (!sameCell(ours, theirs)) {
              const where = `picture ${k} MB ${m.mbAddr} (x ${m.mbAddr % slice.widthMbs})`;
              expect(ours, `${where}: ${JSON.stringify(m)}`).toBe(theirs);
            }
            compared++;
          }
        }
      });
      expect(compared).toBe(ordered.reduce((n, p) => n + (p[0]?.picSizeInMbs ?? 0), 0));
    });
  }
});

// ---- cut slices ----

describe('a slice cut short is reported as truncated', () => {
  const cases: readonly [string, string][] = [
    ['p01_', 'CAVLC'],
    ['p04_', 'CABAC High'],
    ['p15_', 'CABAC MBAFF'],
  ];
  for (const [prefix, what] of cases) {
    const f = fixture(prefix);
    it(`${f.name} (${what})`, () => {
      const walked = walkFixture(f.name);
      // The largest slices of the stream (I and P/B), cut at random byte positions at least 9 bytes before the end.
      const picked = [...walked.slices].sort((a, b) => b.nal.length - a.nal.length).slice(0, 4);
      const sizes = picked.map((s) => s.nal.length);
      let looksWhole = 0;
      let runs = 0;
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: picked.length - 1 }),
          fc.double({ min: 0, max: 1, noNaN: true }),
          (which, at) => {
            const slice = picked[which] as WalkedSlice;
            const cut = 2 + Math.floor(at * ((sizes[which] as number) - 9 - 2));
            const r = walkSliceData(slice.nal.subarray(0, cut), walked.sets);
            runs++;
            if (r.status === 'complete') {
              // CAVLC has no end marker: a cut that happens to leave "macroblock end, 1, zeros" looks like a
              // shorter slice. It never reaches the slice's real last macroblock, so the picture stays uncovered.
              looksWhole++;
              expect(r.macroblocks).toBeLessThan(slice.result.macroblocks);
              return;
            }
            expect(r.status).toBe('truncated');
            expect(r.macroblocks).toBeLessThanOrEqual(slice.result.macroblocks);
          },
        ),
        { numRuns: 300, seed: 0x264 },
      );
      expect(runs).toBe(300);
      // Rare, and for CABAC (end_of_slice_flag must decode as 1 within the last byte) rarer still.
      expect(looksWhole, 'cuts that parse as a shorter whole slice').toBeLessThanOrEqual(
        what === 'CAVLC' ? 15 : 3,
      );
    });
  }
});

describe('garbage never throws and always ends', () => {
  it('random bytes after a slice header prefix, and random NAL units', () => {
    const walked = walkFixture(fixture('p04_').name);
    const sample = walked.slices[1] as WalkedSlice;
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 600 }),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        (noise, keep, random) => {
          const nal = random
            ? Uint8Array.of(0x65, ...noise)
            : Uint8Array.from([...sample.nal.subarray(0, keep), ...noise]);
          const r = walkSliceData(nal, walked.sets);
          expect(['complete', 'truncated', 'unsupported']).toContain(r.status);
        },
      ),
      { numRuns: 500, seed: 7 },
    );
  });

  it('a fault of the walker itself means unsupported (the frame is kept), not truncated', () => {
    const walked = walkFixture(fixture('p04_').name);
    const nal = (walked.slices[1] as WalkedSlice).nal;
    const fault = (): never => {
      throw new TypeError('walker fault');
    };
    expect(walkSliceData(nal, walked.sets, { onMacroblock: fault })).toMatchObject({
      status: 'unsupported',
      reason: 'walker error: TypeError: walker fault',
    });
  });

  it('data partitioning and missing parameter sets are unsupported, not errors', () => {
    const walked = walkFixture(fixture('p01_').name);
    const nal = (walked.slices[0] as WalkedSlice).nal.slice();
    nal[0] = ((nal[0] as number) & 0xe0) | 2;
    expect(walkSliceData(nal, walked.sets)).toMatchObject({ status: 'unsupported' });
    expect(walkSliceData((walked.slices[0] as WalkedSlice).nal, new ParameterSets())).toMatchObject(
      {
        status: 'unsupported',
      },
    );
  });
});

describe('tables', () => {
  it('coded_block_pattern mappings are permutations of 0..47 (Table 9-4)', () => {
    for (const t of [CBP_INTRA, CBP_INTER])
      expect([...t].sort((a, b) => a - b)).toEqual([...Array(48).keys()]);
  });

  it('CABAC init tables cover ctxIdx 0..1023, Cb/Cr contexts repeat the luma ones (Tables 9-24..9-33)', () => {
    for (const t of CABAC_INIT) {
      expect(t.length).toBe(2048);
      // coded_block_flag of Cb 4x4 (ctxIdx 468..471) = luma 4x4 (93..96); abs level of Cr (982) = luma (227).
      expect([...t.subarray(468 * 2, 472 * 2)]).toEqual([...t.subarray(93 * 2, 97 * 2)]);
      expect([...t.subarray(982 * 2, 1012 * 2)]).toEqual([...t.subarray(227 * 2, 257 * 2)]);
    }
  });
});
