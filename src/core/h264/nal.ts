import { concatBytes } from '../bytes/concat.js';
/** nal_unit_type values, H.264 Table 7-1. */
export enum NalType {
  Unspecified = 0,
  SliceNonIdr = 1,
  SliceDataA = 2,
  SliceDataB = 3,
  SliceDataC = 4,
  SliceIdr = 5,
  Sei = 6,
  Sps = 7,
  Pps = 8,
  Aud = 9,
  EndOfSequence = 10,
  EndOfStream = 11,
  FillerData = 12,
  SpsExtension = 13,
  PrefixNal = 14,
  SubsetSps = 15,
  Dps = 16,
  Reserved17 = 17,
  Reserved18 = 18,
  AuxiliarySlice = 19,
  SliceExtension = 20,
  SliceExtensionDepth = 21,
}

/**
 * One NAL unit without its start code. `parts` are views into the caller's chunks (a unit that spans
 * chunks has several parts); the payload bytes are copied only once, into the mdat.
 */
export interface NalUnit {
  readonly type: NalType;
  readonly refIdc: number;
  readonly size: number;
  readonly parts: readonly Uint8Array[];
  /** The first bytes of the unit, contiguous (the whole unit when it has one part), for header parsing. */
  readonly head: Uint8Array;
  /** Position of the unit's first byte (its header byte) in the bytes pushed so far. */
  readonly offset: number;
}

/** Bytes of a unit's header parsing window: enough for any slice header we parse. */
export const HEAD_BYTES = 256;

/** NAL unit types that carry the slices of the primary coded picture (§7.4.1.2.4). */
export function isVcl(type: NalType): boolean {
  return type === NalType.SliceNonIdr || type === NalType.SliceIdr || type === NalType.SliceDataA;
}

/** The unit's bytes, contiguous: a view when it has one part, else a copy. */
export function nalBytes(nal: NalUnit): Uint8Array {
  return nal.parts.length === 1 ? (nal.parts[0] as Uint8Array) : concatBytes(nal.parts);
}
