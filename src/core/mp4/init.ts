import { ByteWriter } from '../bytes/byte-writer.js';
import type { Sps } from '../h264/sps.js';
import {
  box,
  dinf,
  emptySampleTables,
  ftyp,
  hdlr,
  mdhd,
  mvex,
  mvhd,
  pasp,
  stsd,
  tkhd,
  vmhd,
} from './boxes.js';

export const TRACK_ID = 1;

export interface InitSegmentParams {
  readonly sps: Sps;
  /** SPS and PPS NAL units (without start codes) for the avcC. */
  readonly spsUnits: readonly Uint8Array[];
  readonly ppsUnits: readonly Uint8Array[];
  readonly timescale: number;
}

/** Profiles whose avcC carries the chroma/bit-depth extension, ISO/IEC 14496-15 §5.3.3.1.2. */
const AVCC_EXTENDED_PROFILES = new Set([100, 110, 122, 144]);

/** AVCDecoderConfigurationRecord in an avcC box, ISO/IEC 14496-15 §5.3.3.1. */
export function avcC(
  sps: Sps,
  spsUnits: readonly Uint8Array[],
  ppsUnits: readonly Uint8Array[],
): Uint8Array<ArrayBuffer> {
  const extended = AVCC_EXTENDED_PROFILES.has(sps.profileIdc);
  let size = 8 + 7;
  for (const unit of spsUnits) size += 2 + unit.length;
  for (const unit of ppsUnits) size += 2 + unit.length;
  if (extended) size += 4;
  const w = new ByteWriter(size).box(size, 'avcC');
  w.u8(1).u8(sps.profileIdc).u8(sps.constraintFlags).u8(sps.levelIdc); // configurationVersion, profile, compat, level
  w.u8(0xfc | 3); // reserved, lengthSizeMinusOne = 3 (4-byte NAL lengths)
  w.u8(0xe0 | spsUnits.length);
  for (const unit of spsUnits) w.u16(unit.length).bytesOf(unit);
  w.u8(ppsUnits.length);
  for (const unit of ppsUnits) w.u16(unit.length).bytesOf(unit);
  if (extended) {
    w.u8(0xfc | sps.chromaFormatIdc);
    w.u8(0xf8 | (sps.bitDepthLuma - 8));
    w.u8(0xf8 | (sps.bitDepthChroma - 8));
    w.u8(0); // numOfSequenceParameterSetExt
  }
  return w.bytes;
}

/** The SPS and PPS NAL units of an AVCDecoderConfigurationRecord (avcC payload), ISO/IEC 14496-15 §5.3.3.1. */
export function parameterSetsOf(record: Uint8Array): { sps: Uint8Array[]; pps: Uint8Array[] } {
  const sps: Uint8Array[] = [];
  const pps: Uint8Array[] = [];
  let i = 5;
  const take = (count: number, into: Uint8Array[]): void => {
    for (let k = 0; k < count && i + 2 <= record.length; k++) {
      const length = ((record[i] ?? 0) << 8) | (record[i + 1] ?? 0);
      into.push(record.subarray(i + 2, i + 2 + length));
      i += 2 + length;
    }
  };
  take((record[i++] ?? 0) & 0x1f, sps); // numOfSequenceParameterSets
  take(record[i++] ?? 0, pps); // numOfPictureParameterSets
  return { sps, pps };
}

export interface Avc1Params {
  /** Cropped picture size. */
  readonly width: number;
  readonly height: number;
  readonly sarWidth: number;
  readonly sarHeight: number;
  /** The avcC box. */
  readonly avcC: Uint8Array;
}

/** VisualSampleEntry 'avc1', ISO/IEC 14496-12 §12.1.3 and 14496-15 §5.4.2. */
export function avc1(params: Avc1Params): Uint8Array {
  const children = [params.avcC];
  if (params.sarWidth !== params.sarHeight) children.push(pasp(params.sarWidth, params.sarHeight));
  let size = 86;
  for (const child of children) size += child.length;
  const w = new ByteWriter(size).box(size, 'avc1');
  w.zeros(6).u16(1); // reserved, data_reference_index
  w.zeros(16); // pre_defined, reserved
  w.u16(params.width).u16(params.height);
  w.u32(0x00480000).u32(0x00480000); // 72 dpi
  w.u32(0).u16(1); // reserved, frame_count
  w.zeros(32); // compressorname
  w.u16(0x0018).u16(0xffff); // depth, pre_defined = -1
  for (const child of children) w.bytesOf(child);
  return w.bytes;
}

function avc1For(params: InitSegmentParams): Uint8Array {
  const { sps } = params;
  return avc1({
    width: sps.width,
    height: sps.height,
    sarWidth: sps.vui?.sarWidth ?? 1,
    sarHeight: sps.vui?.sarHeight ?? 1,
    avcC: avcC(sps, params.spsUnits, params.ppsUnits),
  });
}

/** Display size: the cropped size stretched horizontally by the sample aspect ratio. */
export function displaySize(sps: Sps): { width: number; height: number } {
  const sarW = sps.vui?.sarWidth ?? 1;
  const sarH = sps.vui?.sarHeight ?? 1;
  return { width: Math.round((sps.width * sarW) / sarH), height: sps.height };
}

/** ftyp + moov for one fragmented AVC track. */
export function initSegment(params: InitSegmentParams): Uint8Array<ArrayBuffer> {
  const display = displaySize(params.sps);
  const stbl = box('stbl', stsd(avc1For(params)), ...emptySampleTables());
  const minf = box('minf', vmhd(), dinf(), stbl);
  const mdia = box('mdia', mdhd(params.timescale), hdlr('vide', 'VideoHandler'), minf);
  const trak = box('trak', tkhd(TRACK_ID, display.width, display.height), mdia);
  const moov = box('moov', mvhd(params.timescale, TRACK_ID + 1), trak, mvex(TRACK_ID));
  const head = ftyp('isom', 0x200, ['isom', 'iso6', 'avc1', 'mp41']);
  const out = new Uint8Array(head.length + moov.length);
  out.set(head, 0);
  out.set(moov, head.length);
  return out;
}
