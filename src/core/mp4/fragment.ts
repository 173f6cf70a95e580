import { ByteWriter } from '../bytes/byte-writer.js';
import { TRACK_ID } from './init.js';

/** sample_flags fields, ISO/IEC 14496-12 §8.8.3.1. */
export enum SampleFlags {
  /** sample_depends_on = 2: does not depend on others (I picture). */
  DependsOnNone = 0x02000000,
  /** sample_depends_on = 1: depends on others. */
  DependsOnOthers = 0x01000000,
  /** sample_is_depended_on = 2: disposable (nal_ref_idc 0). */
  NotDependedOn = 0x00800000,
  /** sample_is_non_sync_sample. */
  NonSync = 0x00010000,
}

export interface FragmentSample {
  readonly duration: number;
  /** Composition time offset (PTS - DTS), signed: a B-frame stream's timeline starts at 0 with DTS 0. */
  readonly cts: number;
  readonly flags: number;
  /** The NAL units to write, each as one or more byte views. */
  readonly units: readonly (readonly Uint8Array[])[];
  /** Payload size in the mdat: Σ (4 + unit size). */
  readonly size: number;
}

/** trun flags, §8.8.8.1 */
const TRUN_DATA_OFFSET = 0x000001;
const TRUN_DURATION = 0x000100;
const TRUN_SIZE = 0x000200;
const TRUN_FLAGS = 0x000400;
const TRUN_CTS = 0x000800;
/** tfhd default-base-is-moof, §8.8.7.1 */
const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;

/**
 * One moof + mdat (§8.8.4, §8.1.1) for consecutive samples, written into a single buffer whose size is
 * computed first: the only copy of the payload bytes.
 */
export function mediaSegment(
  sequence: number,
  baseDecodeTime: number,
  samples: readonly FragmentSample[],
): Uint8Array<ArrayBuffer> {
  const payload = payloadSize(samples);
  const w = new ByteWriter(moofSize(samples) + 8 + payload);
  writeHeader(w, sequence, baseDecodeTime, samples, payload);
  const out = w.bytes;
  let o = w.offset;
  for (const s of samples) {
    for (const unit of s.units) {
      let unitSize = 0;
      for (const part of unit) unitSize += part.length;
      writeLength(out, o, unitSize); // 4-byte NAL length (avcC lengthSizeMinusOne = 3)
      o += 4;
      for (const part of unit) {
        out.set(part, o);
        o += part.length;
      }
    }
  }
  return out;
}

/**
 * The same bytes as `mediaSegment`, without copying the payload: the moof and mdat header, then for each NAL
 * unit its 4-byte length and its views. For writers that take a list of buffers (writev).
 */
export function mediaSegmentParts(
  sequence: number,
  baseDecodeTime: number,
  samples: readonly FragmentSample[],
): Uint8Array[] {
  const payload = payloadSize(samples);
  let units = 0;
  for (const s of samples) units += s.units.length;
  const headerSize = moofSize(samples) + 8;
  // One buffer holds the header and every length prefix; the parts list points into it.
  const w = new ByteWriter(headerSize + 4 * units);
  writeHeader(w, sequence, baseDecodeTime, samples, payload);
  const bytes = w.bytes;
  const parts: Uint8Array[] = [bytes.subarray(0, headerSize)];
  let o = headerSize;
  for (const s of samples) {
    for (const unit of s.units) {
      let unitSize = 0;
      for (const part of unit) unitSize += part.length;
      writeLength(bytes, o, unitSize);
      parts.push(bytes.subarray(o, o + 4));
      o += 4;
      for (const part of unit) parts.push(part);
    }
  }
  return parts;
}

function payloadSize(samples: readonly FragmentSample[]): number {
  let payload = 0;
  for (const s of samples) payload += s.size;
  return payload;
}

function moofSize(samples: readonly FragmentSample[]): number {
  const perSample = samples.some((s) => s.cts !== 0) ? 16 : 12;
  return 8 + 16 + 8 + 16 + 20 + 20 + perSample * samples.length;
}

function writeLength(out: Uint8Array, o: number, size: number): void {
  out[o] = size >>> 24;
  out[o + 1] = (size >>> 16) & 0xff;
  out[o + 2] = (size >>> 8) & 0xff;
  out[o + 3] = size & 0xff;
}

/** moof (§8.8.4) and the mdat box header. */
function writeHeader(
  w: ByteWriter,
  sequence: number,
  baseDecodeTime: number,
  samples: readonly FragmentSample[],
  payload: number,
): void {
  const withCts = samples.some((s) => s.cts !== 0);
  const perSample = withCts ? 16 : 12;
  const trunSize = 20 + perSample * samples.length;
  const trafSize = 8 + 16 + 20 + trunSize;
  const moof = 8 + 16 + trafSize;
  w.box(moof, 'moof');
  w.fullBox(16, 'mfhd', 0, 0).u32(sequence); // §8.8.5
  w.box(trafSize, 'traf');
  w.fullBox(16, 'tfhd', 0, TFHD_DEFAULT_BASE_IS_MOOF).u32(TRACK_ID); // §8.8.7
  w.fullBox(20, 'tfdt', 1, 0).u64(baseDecodeTime); // §8.8.12, 64-bit
  const trunFlags =
    TRUN_DATA_OFFSET | TRUN_DURATION | TRUN_SIZE | TRUN_FLAGS | (withCts ? TRUN_CTS : 0);
  // §8.8.8: version 1 makes sample_composition_time_offset signed.
  w.fullBox(trunSize, 'trun', withCts ? 1 : 0, trunFlags).u32(samples.length);
  w.u32(moof + 8); // data_offset: from the moof start to the first mdat payload byte
  for (const s of samples) {
    w.u32(s.duration).u32(s.size).u32(s.flags);
    if (withCts) w.i32(s.cts);
  }
  w.box(8 + payload, 'mdat');
}

/** Where each sample's bytes sit inside a segment written by `mediaSegment`. */
export function samplePayloads(segment: Uint8Array): Uint8Array[] {
  const view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
  const moofSize = view.getUint32(0);
  // moof > mfhd (16) > traf header (8) > tfhd (16) > tfdt (20) > trun
  const trun = 8 + 16 + 8 + 16 + 20;
  const flags = view.getUint32(trun + 8) & 0xffffff;
  const count = view.getUint32(trun + 12);
  const perSample = flags & TRUN_CTS ? 16 : 12;
  const out: Uint8Array[] = [];
  let offset = moofSize + 8;
  for (let i = 0; i < count; i++) {
    const size = view.getUint32(trun + 20 + i * perSample + 4);
    out.push(segment.subarray(offset, offset + size));
    offset += size;
  }
  return out;
}

/**
 * The same fragment with only its first `keep` samples (e.g. without a damaged last frame). Rewrites the
 * moof and copies the kept payload once.
 */
export function keepFirstSamples(segment: Uint8Array, keep: number): Uint8Array<ArrayBuffer> {
  const view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
  const trun = 8 + 16 + 8 + 16 + 20;
  const sequence = view.getUint32(8 + 12);
  const baseDecodeTime =
    view.getUint32(8 + 16 + 8 + 16 + 12) * 2 ** 32 + view.getUint32(8 + 16 + 8 + 16 + 16);
  const flags = view.getUint32(trun + 8) & 0xffffff;
  const perSample = flags & TRUN_CTS ? 16 : 12;
  const payloads = samplePayloads(segment);
  const samples: FragmentSample[] = [];
  for (let i = 0; i < Math.min(keep, payloads.length); i++) {
    const at = trun + 20 + i * perSample;
    const payload = payloads[i] as Uint8Array;
    samples.push({
      duration: view.getUint32(at),
      size: payload.length,
      flags: view.getUint32(at + 8),
      cts: perSample === 16 ? view.getInt32(at + 12) : 0, // trun version 1: signed
      units: [],
    });
  }
  // Payloads are already length-prefixed: write them as they are.
  const rebuilt = mediaSegment(sequence, baseDecodeTime, samples);
  let o = rebuilt.length - samples.reduce((n, s) => n + s.size, 0);
  for (let i = 0; i < samples.length; i++) {
    const payload = payloads[i] as Uint8Array;
    rebuilt.set(payload, o);
    o += payload.length;
  }
  return rebuilt;
}
