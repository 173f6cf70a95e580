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
  /** Composition time offset (PTS - DTS), ≥ 0. */
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
): Uint8Array {
  const withCts = samples.some((s) => s.cts !== 0);
  const perSample = withCts ? 16 : 12;
  const trunSize = 20 + perSample * samples.length;
  const trafSize = 8 + 16 + 20 + trunSize;
  const moofSize = 8 + 16 + trafSize;
  let payload = 0;
  for (const s of samples) payload += s.size;
  const w = new ByteWriter(moofSize + 8 + payload);

  w.box(moofSize, 'moof');
  w.fullBox(16, 'mfhd', 0, 0).u32(sequence); // §8.8.5
  w.box(trafSize, 'traf');
  w.fullBox(16, 'tfhd', 0, TFHD_DEFAULT_BASE_IS_MOOF).u32(TRACK_ID); // §8.8.7
  w.fullBox(20, 'tfdt', 1, 0).u64(baseDecodeTime); // §8.8.12, 64-bit
  const trunFlags =
    TRUN_DATA_OFFSET | TRUN_DURATION | TRUN_SIZE | TRUN_FLAGS | (withCts ? TRUN_CTS : 0);
  w.fullBox(trunSize, 'trun', 0, trunFlags).u32(samples.length);
  w.u32(moofSize + 8); // data_offset: from the moof start to the first mdat payload byte
  for (const s of samples) {
    w.u32(s.duration).u32(s.size).u32(s.flags);
    if (withCts) w.u32(s.cts);
  }

  w.box(8 + payload, 'mdat');
  const out = w.bytes;
  const view = new DataView(out.buffer);
  let o = w.offset;
  for (const s of samples) {
    for (const unit of s.units) {
      let unitSize = 0;
      for (const part of unit) unitSize += part.length;
      view.setUint32(o, unitSize); // 4-byte NAL length (avcC lengthSizeMinusOne = 3)
      o += 4;
      for (const part of unit) {
        out.set(part, o);
        o += part.length;
      }
    }
  }
  return out;
}
