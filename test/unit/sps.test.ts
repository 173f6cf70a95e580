import { describe, expect, it } from 'vitest';
import { AnnexBSplitter } from '../../src/core/h264/annexb.js';
import { NalType, nalBytes } from '../../src/core/h264/nal.js';
import { parsePps } from '../../src/core/h264/pps.js';
import { codecString, parseSps, profileName, reorderDepth } from '../../src/core/h264/sps.js';
import { rateFromVui } from '../../src/core/h264/timing.js';
import { probeStream } from '../helpers/ffmpeg.js';
import { fixturePath, fixtures, readFixture } from '../helpers/fixtures.js';

function firstUnits(name: string): { sps: Uint8Array; pps: Uint8Array } {
  const s = new AnnexBSplitter();
  const units = [...s.push(readFixture(name)), ...s.flush()];
  const sps = units.find((u) => u.type === NalType.Sps);
  const pps = units.find((u) => u.type === NalType.Pps);
  if (!sps || !pps) throw new Error(`${name}: no SPS/PPS`);
  return { sps: nalBytes(sps), pps: nalBytes(pps) };
}

describe('SPS parsing agrees with ffprobe on every fixture', () => {
  for (const f of fixtures) {
    it(f.name, async () => {
      const { sps: spsBytes, pps: ppsBytes } = firstUnits(f.name);
      const sps = parseSps(spsBytes);
      const probed = await probeStream(fixturePath(f.name));
      expect(sps.width).toBe(probed.width);
      expect(sps.height).toBe(probed.height);
      if (f.sizes.length === 1) expect(sps.levelIdc).toBe(probed.level); // ffprobe reports a later SPS's level after a change
      expect(profileName(sps)).toBe(probed.profile);
      expect(codecString(sps)).toBe(f.codec);
      expect(`${sps.width}x${sps.height}`).toBe(f.sizes[0]);
      expect(!sps.frameMbsOnly).toBe(
        probed.fieldOrder !== 'progressive' && probed.fieldOrder !== 'unknown',
      );
      if (probed.sampleAspectRatio[0] > 0) {
        expect((sps.vui?.sarWidth ?? 1) / (sps.vui?.sarHeight ?? 1)).toBeCloseTo(
          probed.sampleAspectRatio[0] / probed.sampleAspectRatio[1],
          6,
        );
      }
      const rate = rateFromVui(sps);
      if (f.fps === null) {
        expect(rate).toBeUndefined();
      } else {
        expect(rate).toBeDefined();
        expect((rate?.num ?? 0) / (rate?.den ?? 1)).toBeCloseTo(
          probed.rFrameRate[0] / probed.rFrameRate[1],
          6,
        );
      }
      if (sps.vui?.bitstreamRestriction) expect(reorderDepth(sps)).toBe(probed.hasBFrames);
      if (!f.hasBFrames && sps.vui?.bitstreamRestriction) expect(reorderDepth(sps)).toBe(0);
      const pps = parsePps(ppsBytes);
      expect(pps.spsId).toBe(sps.id);
      expect(pps.entropyCodingModeFlag).toBe(sps.profileIdc !== 66); // x264: CABAC everywhere but Baseline
    });
  }
});

describe('SPS parsing of hand-made units', () => {
  it('reads cropping, VUI timing and bitstream_restriction of a 1080p High SPS', () => {
    // x264 High@4.0 1920x1080 SPS from p04 (cropped from 1088).
    const { sps: bytes } = firstUnits('p04_high_bf3_1080p30.h264');
    const sps = parseSps(bytes);
    expect(sps.profileIdc).toBe(100);
    expect(sps.cropBottom).toBe(4); // 8 rows / CropUnitY 2
    expect(sps.vui?.timingInfoPresent).toBe(true);
    expect(sps.vui?.bitstreamRestriction).toBe(true);
    expect(sps.vui?.maxNumReorderFrames).toBe(2);
  });

  it('rejects units whose fields are out of range instead of returning nonsense', () => {
    expect(() => parseSps(new Uint8Array([0x67, 0x42, 0xc0, 0x1e]))).toThrow();
    expect(() => parseSps(new Uint8Array([0x67, 0x64, 0x00, 0x28, 0x8f]))).toThrow();
  });
});
