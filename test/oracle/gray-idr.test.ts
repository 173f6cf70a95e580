// The gray start picture (src/core/h264/gray-idr.ts) against ffmpeg: alone it decodes to one mid-gray
// frame of the stream's size, without a decoder complaint; put before an intra-refresh stream's later
// recovery point (what a viewer joining it gets), the pictures after one refresh period are the
// stream's own, bit for bit.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AccessUnitReader } from '../../src/core/access-unit-reader.js';
import { concatBytes } from '../../src/core/bytes/concat.js';
import { Transmuxer } from '../../src/core/index.js';
import type { InitSegment, MediaSegment } from '../../src/core/index.js';
import { grayIdr } from '../../src/core/h264/gray-idr.js';
import { parseSps } from '../../src/core/h264/sps.js';
import { fixturePath } from '../helpers/fixtures.js';
import { framemd5, run, withTempDir, writeParts } from '../helpers/ffmpeg.js';

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
