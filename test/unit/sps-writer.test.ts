// The SPS writer (src/core/h264/sps-writer.ts) on the first SPS of every fixture: the rewritten unit reads back,
// with our parser and with ffmpeg's own (the trace_headers bitstream filter), as the original in every field but
// the VUI ones it was asked to change, and those read as written.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unescapeRbsp } from '../../src/core/bytes/bit-reader.js';
import { escapeRbsp } from '../../src/core/bytes/bit-writer.js';
import { concatBytes } from '../../src/core/bytes/concat.js';
import { AnnexBSplitter } from '../../src/core/h264/annexb.js';
import { isVcl, NalType, nalBytes } from '../../src/core/h264/nal.js';
import { rewriteSps, withReorderBound } from '../../src/core/h264/sps-writer.js';
import { maxDecFrameBuffering, parseSps, type Sps } from '../../src/core/h264/sps.js';
import { runOk, withTempDir, writeParts } from '../helpers/ffmpeg.js';
import { allFixtures, readFixture } from '../helpers/fixtures.js';

/** The first SPS of a stream and the units up to its first slice, the SPS left out. */
function firstSps(name: string): { sps: Uint8Array; rest: Uint8Array[] } {
  const splitter = new AnnexBSplitter();
  let sps: Uint8Array | undefined;
  const rest: Uint8Array[] = [];
  for (const unit of [...splitter.push(readFixture(name)), ...splitter.flush()]) {
    if (unit.type === NalType.Sps && sps === undefined) sps = nalBytes(unit);
    else if (unit.type === NalType.Pps || isVcl(unit.type)) rest.push(nalBytes(unit));
    if (sps !== undefined && isVcl(unit.type)) break;
  }
  if (sps === undefined) throw new Error(`${name}: no SPS`);
  return { sps, rest };
}

const START = Uint8Array.of(0, 0, 0, 1);

/** ffmpeg's reading of the stream's first SPS (trace_headers): [syntax element, value] in bitstream order. */
async function traceSps(units: readonly Uint8Array[]): Promise<[string, string][]> {
  return withTempDir(async (dir) => {
    const file = join(dir, 'sps.h264');
    await writeParts(file, [concatBytes(units.flatMap((u) => [START, u]))]);
    const r = await runOk('ffmpeg', [
      '-hide_banner',
      '-nostdin',
      '-f',
      'h264',
      '-i',
      file,
      '-c',
      'copy',
      '-bsf:v',
      'trace_headers',
      '-f',
      'null',
      '-',
    ]);
    const lines = r.stderr.split('\n').map((l) => l.replace(/^\[trace_headers @ \S+\] /, ''));
    const start = lines.indexOf('Sequence Parameter Set');
    if (start < 0) throw new Error(`no SPS in the trace:\n${r.stderr}`);
    const fields: [string, string][] = [];
    for (const line of lines.slice(start + 1)) {
      const m = /^\d+\s+(\S+)\s+[01]+ = (-?\d+)$/.exec(line.trim());
      if (!m) break;
      if (m[1] !== 'rbsp_alignment_zero_bit') fields.push([m[1] as string, m[2] as string]);
    }
    return fields;
  });
}

/** The fields of `sps` that the VUI edit must leave alone (all but the VUI and its position). */
function nonVui(sps: Sps): Omit<Sps, 'vui' | 'vuiAt'> {
  const { vui: _vui, vuiAt: _vuiAt, ...rest } = sps;
  return rest;
}

function upTo(fields: [string, string][], name: string): [string, string][] {
  const at = fields.findIndex(([n]) => n === name);
  return at < 0 ? fields : fields.slice(0, at);
}

function from(fields: [string, string][], name: string): [string, string][] {
  const at = fields.findIndex(([n]) => n === name);
  return at < 0 ? [] : fields.slice(at);
}

describe('an SPS with a reorder bound written in: read back by us and by ffmpeg', () => {
  for (const f of allFixtures) {
    it(f.name, async () => {
      const { sps: original, rest } = firstSps(f.name);
      const before = parseSps(original);
      const reorder = 3;
      const rewritten = rewriteSps(original, before, {
        restriction: { maxNumReorderFrames: reorder },
      });
      const after = parseSps(rewritten);
      const buffering = Math.max(maxDecFrameBuffering(before), before.maxNumRefFrames, reorder);

      // Ours: every field as before; the VUI as before up to bitstream_restriction, then as written.
      expect(nonVui(after)).toEqual(nonVui(before));
      expect(after.vui).toMatchObject({
        bitstreamRestriction: true,
        maxNumReorderFrames: reorder,
        maxDecFrameBuffering: buffering,
      });
      if (before.vui) {
        const keep = (v: NonNullable<Sps['vui']>): Partial<NonNullable<Sps['vui']>> => {
          const {
            bitstreamRestriction: _b,
            maxNumReorderFrames: _n,
            maxDecFrameBuffering: _d,
            ...k
          } = v;
          return { ...k, layout: { ...k.layout, end: 0 } };
        };
        expect(keep(after.vui as NonNullable<Sps['vui']>)).toEqual(keep(before.vui));
      }

      // ffmpeg's: the same syntax elements up to bitstream_restriction_flag, then the ones written.
      const [theirs, ours] = await Promise.all([
        traceSps([original, ...rest]),
        traceSps([rewritten, ...rest]),
      ]);
      expect(upTo(ours, 'vui_parameters_present_flag')).toEqual(
        upTo(theirs, 'vui_parameters_present_flag'),
      );
      if (before.vui) {
        expect(upTo(ours, 'bitstream_restriction_flag')).toEqual(
          upTo(theirs, 'bitstream_restriction_flag'),
        );
      } else {
        expect(
          from(upTo(ours, 'bitstream_restriction_flag'), 'vui_parameters_present_flag'),
        ).toEqual([
          ['vui_parameters_present_flag', '1'],
          ['aspect_ratio_info_present_flag', '0'],
          ['overscan_info_present_flag', '0'],
          ['video_signal_type_present_flag', '0'],
          ['chroma_loc_info_present_flag', '0'],
          ['timing_info_present_flag', '0'],
          ['nal_hrd_parameters_present_flag', '0'],
          ['vcl_hrd_parameters_present_flag', '0'],
          ['pic_struct_present_flag', '0'],
        ]);
      }
      expect(from(ours, 'bitstream_restriction_flag')).toEqual([
        ['bitstream_restriction_flag', '1'],
        ['motion_vectors_over_pic_boundaries_flag', '1'],
        ['max_bytes_per_pic_denom', '2'],
        ['max_bits_per_mb_denom', '1'],
        ['log2_max_mv_length_horizontal', '15'],
        ['log2_max_mv_length_vertical', '15'],
        ['max_num_reorder_frames', String(reorder)],
        ['max_dec_frame_buffering', String(buffering)],
        ['rbsp_stop_one_bit', '1'],
      ]);
    });
  }
});

describe('VUI edits', () => {
  it('drops timing_info and bitstream_restriction, every other field unchanged (x264 SPS)', async () => {
    const { sps: original, rest } = firstSps('p04_high_bf3_1080p30.h264');
    const before = parseSps(original);
    expect(before.vui?.timingInfoPresent && before.vui.bitstreamRestriction).toBe(true);
    const dropped = rewriteSps(original, before, { timing: 'drop', restriction: 'drop' });
    const after = parseSps(dropped);
    expect(nonVui(after)).toEqual(nonVui(before));
    expect(after.vui).toMatchObject({
      sarWidth: before.vui?.sarWidth,
      sarHeight: before.vui?.sarHeight,
      videoFullRange: before.vui?.videoFullRange,
      colourPrimaries: before.vui?.colourPrimaries,
      timingInfoPresent: false,
      bitstreamRestriction: false,
      maxNumReorderFrames: undefined,
    });
    const [theirs, ours] = await Promise.all([
      traceSps([original, ...rest]),
      traceSps([dropped, ...rest]),
    ]);
    const timingFields = ['num_units_in_tick', 'time_scale', 'fixed_frame_rate_flag'];
    const kept = theirs.filter(
      ([n]) =>
        !timingFields.includes(n) &&
        upTo(theirs, 'bitstream_restriction_flag').some(([m]) => m === n),
    );
    expect(ours).toEqual([
      ...kept.map(([n, v]): [string, string] => [n, n === 'timing_info_present_flag' ? '0' : v]),
      ['bitstream_restriction_flag', '0'],
      ['rbsp_stop_one_bit', '1'],
    ]);
  });

  it('leaves an SPS that declares its own bound as it is', () => {
    const { sps: original } = firstSps('p04_high_bf3_1080p30.h264');
    expect(withReorderBound(original, parseSps(original), 0)).toBe(original);
  });
});

describe('emulation prevention (§7.4.1)', () => {
  it('escapes 00 00 0x (x ≤ 3) and a final zero byte, and unescaping gives the RBSP back', () => {
    expect([...escapeRbsp(Uint8Array.of(0, 0, 1))]).toEqual([0, 0, 3, 1]);
    expect([...escapeRbsp(Uint8Array.of(0, 0, 0, 0, 4))]).toEqual([0, 0, 3, 0, 0, 4]);
    expect([...escapeRbsp(Uint8Array.of(0, 0, 4, 0, 0))]).toEqual([0, 0, 4, 0, 0, 3]);
    for (let seed = 1; seed < 200; seed++) {
      const rbsp = Uint8Array.from({ length: 40 }, (_, i) =>
        (seed * 7919 + i * 104729) % 11 < 6 ? 0 : i % 5,
      );
      rbsp[rbsp.length - 1] = 0x80; // an RBSP ends with rbsp_stop_one_bit
      const nal = concatBytes([Uint8Array.of(0x67), escapeRbsp(rbsp)]);
      for (let i = 3; i < nal.length; i++) {
        const z = nal[i - 2] === 0 && nal[i - 1] === 0;
        expect(z && (nal[i] as number) <= 2, `00 00 0${nal[i]} at ${i}`).toBe(false);
      }
      expect([...unescapeRbsp(nal).subarray(1)]).toEqual([...rbsp]);
    }
  });
});
