import { BitReader, unescapeRbsp } from '../bytes/bit-reader.js';

/** SEI payloadType values used here, H.264 Annex D. */
export enum SeiPayloadType {
  PicTiming = 1,
  UserDataUnregistered = 5,
  RecoveryPoint = 6,
}

export interface RecoveryPoint {
  readonly recoveryFrameCnt: number;
  readonly exactMatch: boolean;
  readonly brokenLink: boolean;
}

/** Finds a recovery point SEI message (§D.1.8) in an SEI NAL unit; undefined when there is none. */
export function findRecoveryPoint(nal: Uint8Array): RecoveryPoint | undefined {
  const rbsp = unescapeRbsp(nal);
  let pos = 1;
  // sei_message() loop, §7.3.2.3.1: ff-extended payloadType and payloadSize.
  while (pos < rbsp.length && !(pos === rbsp.length - 1 && rbsp[pos] === 0x80)) {
    let type = 0;
    while (rbsp[pos] === 0xff) {
      type += 255;
      pos++;
    }
    type += rbsp[pos++] ?? 0;
    let size = 0;
    while (rbsp[pos] === 0xff) {
      size += 255;
      pos++;
    }
    size += rbsp[pos++] ?? 0;
    if (pos + size > rbsp.length) return undefined;
    if (type === (SeiPayloadType.RecoveryPoint as number)) {
      try {
        const r = new BitReader(rbsp.subarray(pos, pos + size));
        const recoveryFrameCnt = r.ue();
        const exactMatch = r.flag();
        const brokenLink = r.flag();
        return { recoveryFrameCnt, exactMatch, brokenLink };
      } catch {
        return undefined;
      }
    }
    pos += size;
  }
  return undefined;
}
