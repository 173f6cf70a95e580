import type { Sps } from './sps.js';

/**
 * Bounds on what one NAL unit and one access unit can hold, from the spec's limits on a coded
 * macroblock. They cap the memory a stream without start codes (or with a picture that never ends) can
 * take: a unit past them is not H.264 and is skipped.
 */

/** Longest NAL unit kept while no SPS is known (a generous bound: 4K 4:2:0 8-bit needs about 20 MiB). */
export const NAL_CEILING = 16 * 1024 * 1024;
/** NAL units kept in front of a picture (AUD, SPS, up to 256 PPS, SEI) before they are dropped. */
export const MAX_PREFIX_UNITS = 1024;
/** Allowance for a slice header (reference list modifications, weight tables, MMCOs) and SEI. */
const HEADER_BYTES = 64 * 1024;

/** RawMbBits (§7.4.2.1.1): the bits of one uncompressed (I_PCM) macroblock. */
export function rawMbBits(sps: Sps): number {
  const chromaArrayType = sps.separateColourPlane ? 0 : sps.chromaFormatIdc;
  // MbWidthC * MbHeightC (Table 6-1): 4:2:0 8x8, 4:2:2 8x16, 4:4:4 16x16, monochrome none.
  const chromaSamples = [0, 64, 128, 256][chromaArrayType] ?? 256;
  return 256 * sps.bitDepthLuma + 2 * chromaSamples * sps.bitDepthChroma;
}

/**
 * The most bytes one NAL unit of a stream with this SPS can hold: every macroblock of a frame (all three
 * colour planes when coded separately) at the 128 + RawMbBits bits §A.3.1 item n and §A.3.2 item j allow
 * it at any level, plus emulation-prevention bytes (at most one per two payload bytes, §7.4.1) and a
 * header. Not the level's MinCR/MaxCPB bounds: real streams often declare too low a level.
 */
export function maxNalBytes(sps: Sps): number {
  const planes = sps.separateColourPlane ? 3 : 1;
  const payload = Math.ceil((frameMbs(sps) * planes * (128 + rawMbBits(sps))) / 8);
  return Math.ceil(payload * 1.5) + HEADER_BYTES;
}

/** PicWidthInMbs * FrameHeightInMbs (§7.4.2.1.1). */
function frameMbs(sps: Sps): number {
  return sps.picWidthInMbs * sps.picHeightInMapUnits * (sps.frameMbsOnly ? 1 : 2);
}

/** Limits for the units and pictures of a stream. */
export interface UnitLimits {
  /** Bytes of one NAL unit. */
  readonly nalBytes: number;
  /** Bytes of one picture (a frame or a field) with the units in front of it. */
  readonly pictureBytes: number;
  /** NAL units of one picture: a slice per macroblock in up to three partitions, and non-VCL units. */
  readonly pictureUnits: number;
}

/** The limits that let every SPS in `active` through; fixed ceilings while there is none. */
export function unitLimits(active: Iterable<Sps>): UnitLimits {
  let nalBytes = 0;
  let mbs = 0;
  for (const sps of active) {
    nalBytes = Math.max(nalBytes, maxNalBytes(sps));
    mbs = Math.max(mbs, frameMbs(sps));
  }
  if (nalBytes === 0) nalBytes = NAL_CEILING;
  return { nalBytes, pictureBytes: 2 * nalBytes, pictureUnits: 3 * mbs + MAX_PREFIX_UNITS };
}
