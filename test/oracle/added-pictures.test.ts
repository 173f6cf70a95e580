// The gray start picture (src/core/h264/added-pictures.ts) against ffmpeg: alone it decodes to one mid-gray
// frame of the stream's size, without a decoder complaint; put before an intra-refresh stream's later
// recovery point (what a viewer joining it gets), the pictures after one refresh period are the
// stream's own, bit for bit.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AccessUnitReader } from '../../src/core/access-unit-reader.js';
import { concatBytes } from '../../src/core/bytes/concat.js';
import { isRandomAccess, Transmuxer } from '../../src/core/index.js';
import type { InitSegment, MediaSegment } from '../../src/core/index.js';
import { anchorPicture, grayIdr } from '../../src/core/h264/added-pictures.js';
import { findRecoveryPoint } from '../../src/core/h264/sei.js';
import { parseSps } from '../../src/core/h264/sps.js';
import { fixturePath } from '../helpers/fixtures.js';
import { x264 } from '../helpers/encoders.js';
import { framemd5, run, runOk, withTempDir, writeParts } from '../helpers/ffmpeg.js';

const START = Uint8Array.of(0, 0, 0, 1);

/** The stream's NAL units of `type` (header byte first), in order. */
function nals(data: Uint8Array, type: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i + 3 < data.length; i++) {
    if (
      data[i] === 0 &&
      data[i + 1] === 0 &&
      data[i + 2] === 1 &&
      ((data[i + 3] ?? 0) & 0x1f) === type
    ) {
      let end = i + 3;
      while (
        end + 2 < data.length &&
        !(data[end] === 0 && data[end + 1] === 0 && (data[end + 2] ?? 2) <= 1)
      )
        end++;
      out.push(data.subarray(i + 3, end + 2 >= data.length ? data.length : end));
    }
  }
  return out;
}

function annexB(units: readonly Uint8Array[]): Uint8Array[] {
  return units.flatMap((u) => [START, u]);
}

describe('grayIdr', () => {
  for (const name of [
    'p01_pi_baseline_vga30_inline.h264',
    'p04_high_bf3_1080p30.h264',
    'p08_vui60_720p60.h264',
    'p17_intra_refresh_vga30.h264',
  ]) {
    it(`${name}: one mid-gray frame of its size, decoded without a complaint`, async () => {
      const data = new Uint8Array(await readFile(fixturePath(name)));
      const spsNal = nals(data, 7)[0]!;
      const sps = parseSps(spsNal);
      const gray = grayIdr(sps, [])!;
      await withTempDir(async (dir) => {
        const file = join(dir, 'gray.h264');
        await writeParts(file, annexB([spsNal, gray.pps, gray.slice]));
        const r = await run('ffmpeg', [
          '-v',
          'error',
          '-i',
          file,
          '-f',
          'rawvideo',
          '-pix_fmt',
          'yuv420p',
          '-',
        ]);
        expect(r.stderr.toString()).toBe('');
        const luma = r.stdout;
        // 4:2:0, luma and chroma all mid-gray.
        expect(luma.length).toBe(sps.width * sps.height * 1.5);
        expect(luma.every((v) => v === 128)).toBe(true);
      });
    });
  }

  it('before an intra-refresh stream joined at a later recovery point: its pictures from one refresh period on', async () => {
    const data = new Uint8Array(await readFile(fixturePath('p17_intra_refresh_vga30.h264')));
    const aus = [...new AccessUnitReader().push(data, true)];
    // The second keyframe: a recovery point, not the IDR.
    const keys = aus.map((au, i) => (au.keyframe ? i : -1)).filter((i) => i >= 0);
    const at = keys[1]!;
    expect(keys.length).toBeGreaterThan(2);
    const spsNal = nals(data, 7)[0]!;
    const ppsNal = nals(data, 8)[0]!;
    const gray = grayIdr(parseSps(spsNal), [0])!;
    await withTempDir(async (dir) => {
      const whole = join(dir, 'whole.h264');
      const joined = join(dir, 'joined.h264');
      await writeParts(whole, [data]);
      await writeParts(joined, [
        ...annexB([spsNal, ppsNal, gray.pps, gray.slice]),
        ...aus.slice(at).map((au) => data.subarray(au.offset, au.offset + au.size)),
      ]);
      const reference = await framemd5(whole);
      const got = await framemd5(joined);
      // The gray picture, then every frame from the recovery point on.
      expect(got).toHaveLength(1 + aus.length - at);
      // After a refresh period (the next recovery point), identical to the whole stream's decode.
      const period = keys[2]! - keys[1]!;
      expect(got.slice(1 + period)).toEqual(reference.slice(at + period));
    });
  });
});

describe('TransmuxerOptions.startPicture', () => {
  /** p17 from its second recovery point (its SPS and PPS first), transmuxed with `options`. */
  async function joinedMp4(options: { startPicture?: boolean }) {
    const data = new Uint8Array(await readFile(fixturePath('p17_intra_refresh_vga30.h264')));
    const aus = [...new AccessUnitReader().push(data, true)];
    const keys = aus.filter((au) => au.keyframe);
    const sets = annexB([nals(data, 7)[0]!, nals(data, 8)[0]!]);
    const t = new Transmuxer({ fragment: 'frame', lowLatency: true, ...options });
    const out = [
      ...t.push(concatBytes(sets)),
      ...t.push(data.subarray(keys[1]!.offset)),
      ...t.flush(),
    ];
    const media = out.filter((o): o is MediaSegment => o.type === 'media');
    const parts = out
      .filter((o): o is InitSegment | MediaSegment => o.type === 'init' || o.type === 'media')
      .map((o) => o.data);
    return { data, media, parts, frames: aus.length - aus.indexOf(keys[1]!), period: 30 };
  }

  it('a start at a recovery point that is not an IDR picture: the start picture takes its first tick', async () => {
    const { data, media, parts, frames, period } = await joinedMp4({ startPicture: true });
    const [start, recovery] = media[0]!.samples;
    expect(start).toMatchObject({ startPicture: true, keyframe: true, pictureType: 'IDR', pts: 0 });
    expect(recovery).toMatchObject({ keyframe: false, pictureType: 'P', pts: 1, dts: 1 });
    expect(media[0]!.frames).toBe(1);
    // The next frame is on the grid again.
    expect(media[1]!.samples[0]).toMatchObject({ pts: media[0]!.timescale / 30 });
    await withTempDir(async (dir) => {
      const file = join(dir, 'joined.mp4');
      const whole = join(dir, 'whole.h264');
      await writeParts(file, parts);
      await writeParts(whole, [data]);
      const r = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
      expect(r.stderr.toString()).toBe('');
      const got = await framemd5(file);
      const reference = await framemd5(whole);
      // The start picture, then every frame; after a refresh period, the whole stream's pictures.
      expect(got).toHaveLength(1 + frames);
      expect(got.slice(1 + period)).toEqual(reference.slice(reference.length - frames + period));
    });
  });

  it("off (files for other tools), or a start at an IDR picture: the stream's pictures only", async () => {
    const { media } = await joinedMp4({});
    expect(media[0]!.samples).toHaveLength(1);
    expect(media[0]!.samples[0]).toMatchObject({ keyframe: true, pictureType: 'P', pts: 0 });
    const data = new Uint8Array(await readFile(fixturePath('p17_intra_refresh_vga30.h264')));
    const t = new Transmuxer({ fragment: 'frame', startPicture: true });
    const out = [...t.push(data), ...t.flush()].filter(
      (o): o is MediaSegment => o.type === 'media',
    );
    expect(out.flatMap((m) => m.samples).filter((s) => s.startPicture)).toEqual([]);
  });
});

describe('TransmuxerOptions.anchorInterval', () => {
  /** `data` transmuxed whole as the player does (frame fragments, start pictures) with anchors every `seconds`. */
  function transmuxed(data: Uint8Array, seconds: number) {
    const t = new Transmuxer({
      fragment: 'frame',
      startPicture: true,
      ...(seconds > 0 ? { anchorInterval: seconds } : {}),
    });
    const out = [...t.push(data), ...t.flush()];
    const media = out.filter((o): o is MediaSegment => o.type === 'media');
    const parts = out
      .filter((o): o is InitSegment | MediaSegment => o.type === 'init' || o.type === 'media')
      .map((o) => o.data);
    return { media, parts, samples: media.flatMap((m) => m.samples) };
  }

  /**
   * The MP4 decodes without a complaint to the raw stream's pictures, with the anchors' one-tick pictures
   * among them: a decoder that runs through an anchor decodes as it would without it. Returns the
   * MP4's decoded pictures (output order), each anchor's marked (the picture one tick before the next).
   */
  async function expectSameDecode(
    data: Uint8Array,
    parts: Uint8Array[],
    anchors: number,
  ): Promise<{ md5: string; anchor: boolean }[]> {
    return withTempDir(async (dir) => {
      const mp4 = join(dir, 'anchored.mp4');
      const raw = join(dir, 'raw.h264');
      await writeParts(mp4, parts);
      await writeParts(raw, [data]);
      // The file's own time base: the null muxer's frame-rate one would round the anchor's tick away ("non
      // monotonically increasing dts to muxer"). Playback output only: files for other tools have none.
      const keepTimes = ['-fps_mode', 'passthrough', '-enc_time_base', '-1'];
      const r = await run('ffmpeg', ['-v', 'error', '-i', mp4, ...keepTimes, '-f', 'null', '-']);
      expect(r.stderr.toString()).toBe('');
      const hashed = await runOk('ffmpeg', [
        '-v',
        'error',
        '-i',
        mp4,
        ...keepTimes,
        '-f',
        'framemd5',
        '-',
      ]);
      // stream_index, dts, pts, duration, size, hash
      const got = hashed.stdout
        .toString()
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('#'))
        .map((line) => line.split(',').map((f) => f.trim()))
        .map((f) => ({ md5: f[5]!, pts: Number(f[2]) }))
        .map((f, i, all) => ({ md5: f.md5, anchor: all[i + 1]?.pts === f.pts + 1 }));
      const reference = await framemd5(raw);
      expect(got).toHaveLength(reference.length + anchors);
      expect(got.filter((f) => f.anchor)).toHaveLength(anchors);
      expect(got.filter((f) => !f.anchor).map((f) => f.md5)).toEqual(reference.map((f) => f.md5));
      return got;
    });
  }

  it('p17 (pic_order_cnt_type 2, no B-frames): an anchor before each P recovery point a second or more after the last', async () => {
    const data = new Uint8Array(await readFile(fixturePath('p17_intra_refresh_vga30.h264')));
    const { parts, samples, media } = transmuxed(data, 1);
    const anchors = samples.filter((s) => s.anchor);
    // The IDR at 0; recovery points on P pictures every 30 frames.
    expect(anchors.map((a) => a.index)).toEqual([30, 60, 90, 120]);
    for (const anchor of anchors) {
      expect(anchor).toMatchObject({ keyframe: true, pictureType: 'P', nalRefIdc: 0 });
      const next = samples[samples.indexOf(anchor) + 1]!;
      // The recovery point follows one tick later and stays a sync sample (engines that take it).
      expect(next).toMatchObject({ index: anchor.index, pts: anchor.pts + 1, keyframe: true });
      expect(next.pictureType).toBe('P');
    }
    expect(media.reduce((n, m) => n + m.frames, 0)).toBe(150);
    const got = await expectSameDecode(data, parts, 4);
    // Where an engine shows an anchor's tick, it shows the picture before it again (no gray flash).
    got.forEach((f, i) => {
      if (f.anchor) expect(f.md5).toBe(got[i - 1]!.md5);
    });
    // Two seconds apart: every other recovery point.
    expect(
      transmuxed(data, 2)
        .samples.filter((s) => s.anchor)
        .map((a) => a.index),
    ).toEqual([60, 120]);
    // Off: none.
    expect(transmuxed(data, 0).samples.filter((s) => s.anchor)).toEqual([]);
  });

  it('x264 intra refresh with B-frames (pic_order_cnt_type 0): decoded as without the anchors', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'ir-b.h264');
      await x264(
        file,
        ['-preset', 'veryfast', '-x264-params', 'intra-refresh=1:keyint=20:bframes=2'],
        75,
      );
      const data = new Uint8Array(await readFile(file));
      expect(parseSps(nals(data, 7)[0]!).picOrderCntType).toBe(0);
      const { parts, samples } = transmuxed(data, 0.5);
      const anchors = samples.filter((s) => s.anchor);
      expect(anchors.length).toBeGreaterThanOrEqual(3);
      await expectSameDecode(data, parts, anchors.length);
    });
  });

  it("an open GOP's I recovery points (recovery_frame_cnt 0) get none: Chromium starts at them", async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'open-gop.h264');
      await x264(
        file,
        ['-preset', 'veryfast', '-x264-params', 'open-gop=1:keyint=20:bframes=2'],
        75,
      );
      const data = new Uint8Array(await readFile(file));
      const { samples } = transmuxed(data, 0.5);
      const keys = samples.filter((s) => s.keyframe);
      expect(keys.length).toBeGreaterThanOrEqual(3);
      expect(keys.every((s) => isRandomAccess(s))).toBe(true);
      expect(
        keys.filter((s) => s.pictureType === 'I' && s.recoveryFrameCnt === 0).length,
      ).toBeGreaterThan(1);
      expect(samples.filter((s) => s.anchor)).toEqual([]);
    });
  });

  it('isRandomAccess: an IDR picture, or a sync sample whose recovery point SEI counts 0 (an anchor)', async () => {
    const data = new Uint8Array(await readFile(fixturePath('p17_intra_refresh_vga30.h264')));
    const { samples } = transmuxed(data, 1);
    const taken = samples.filter((s) => isRandomAccess(s));
    expect(taken.map((s) => [s.index, s.pictureType, s.anchor ?? false])).toEqual([
      [0, 'IDR', false],
      [30, 'P', true],
      [60, 'P', true],
      [90, 'P', true],
      [120, 'P', true],
    ]);
    // The recovery points on P pictures are sync samples (Firefox starts at them), counting 29 (x264).
    const recovery = samples.filter((s) => s.keyframe && s.pictureType === 'P' && !s.anchor);
    expect(recovery.map((s) => s.recoveryFrameCnt)).toEqual([29, 29, 29, 29]);
  });

  it("anchorPicture: a non-IDR, non-reference P slice with the recovery point's frame_num", () => {
    const data = new Uint8Array(readFileSync(fixturePath('p17_intra_refresh_vga30.h264')));
    const sps = parseSps(nals(data, 7)[0]!);
    const anchor = anchorPicture(sps, [0], { frameNum: 5, picOrderCntLsb: 0 })!;
    // nal_ref_idc 0, nal_unit_type 1; the PPS is the start picture's.
    expect(anchor.slice[0]).toBe(0x01);
    expect(anchor.pps).toEqual(grayIdr(sps, [0])!.pps);
    // Chromium takes a picture for a random access point with a recovery point SEI of count 0.
    expect(anchor.sei![0]! & 0x1f).toBe(6);
    expect(findRecoveryPoint(anchor.sei!)).toEqual({
      recoveryFrameCnt: 0,
      exactMatch: false,
      brokenLink: true,
    });
  });
});
