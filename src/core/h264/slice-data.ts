import { BitReader, EndOfDataError, unescapeRbsp } from '../bytes/bit-reader.js';
import type { Pps } from './pps.js';
import { picSizeInMbs, type Sps } from './sps.js';
import { parseFullSliceHeader } from './slice-data-header.js';
import type { FullSliceHeader } from './slice-data-header.js';
import {
  CABAC_CONTEXTS,
  CABAC_INIT,
  CBP_INTER,
  CBP_INTER_MONO,
  CBP_INTRA,
  CBP_INTRA_MONO,
  COEFF_TOKEN,
  COEFF_TOKEN_CHROMA_DC,
  COEFF_TOKEN_CHROMA_DC_422,
  LAST_8X8,
  NEXT_STATE_LPS,
  NEXT_STATE_MPS,
  RANGE_TAB_LPS,
  RENORM_SHIFT,
  RUN_BEFORE,
  SIG_8X8_FIELD,
  SIG_8X8_FRAME,
  TOTAL_ZEROS,
  TOTAL_ZEROS_CHROMA_DC,
  TOTAL_ZEROS_CHROMA_DC_422,
} from './slice-data-tables.js';
import type { VlcTable } from './slice-data-tables.js';

export interface SliceDataResult {
  status: 'complete' | 'truncated' | 'unsupported';
  /** Macroblocks parsed in this slice (MBAFF pairs count as 2), also when truncated. */
  macroblocks: number;
  firstMb: number;
  /** For 'unsupported' / 'truncated': what ran out or which feature. */
  reason?: string;
}

/** What the walker learned about one macroblock (for tests and diagnostics). */
export interface MacroblockInfo {
  readonly mbAddr: number;
  readonly skip: boolean;
  /** 'I4x4', 'I8x8', 'I16x16', 'IPCM' for intra macroblocks, else undefined. */
  readonly intra: 'I4x4' | 'I8x8' | 'I16x16' | 'IPCM' | undefined;
  /** mb_type in the numbering of the slice type's table (Tables 7-11, 7-13, 7-14), intra types from 0 (I_NxN). */
  readonly mbType: number;
  /** Prediction list use of the partitions: bit 0 list 0, bit 1 list 1 (0 for direct or intra). */
  readonly partPred: readonly number[];
  readonly subMbTypes: readonly number[] | undefined;
  readonly field: boolean;
  readonly transform8x8: boolean;
}

/** The parameter sets with their bytes (`ParameterSets` satisfies this). */
export interface SliceDataParameterSets {
  storedSps(id: number): { readonly sps: Sps; readonly bytes: Uint8Array } | undefined;
  storedPps(id: number): { readonly pps: Pps; readonly bytes: Uint8Array } | undefined;
}

export interface WalkOptions {
  onMacroblock?: (info: MacroblockInfo) => void;
}

/** The bits ran out before the slice ended. */
class OutOfBits extends Error {}
const PAST_THE_END = 'read past the end of the slice data';
/** A syntax element out of its range: the data is not a valid slice (damaged). */
class BadSyntax extends Error {}
class Unsupported extends Error {}

// Per-macroblock flags.
const AVAIL = 1; // decoded in this slice
const SKIP = 2;
const INTRA = 4;
const PCM = 8;
const I16 = 16;
const DIRECT16 = 32; // B_Skip or B_Direct_16x16
const FIELD = 64;
const T8X8 = 128;

const enum Slice {
  P = 0,
  B = 1,
  I = 2,
}

// Partition shapes: [x, y, w, h] in luma samples.
type Part = readonly [number, number, number, number];
const P16x16: readonly Part[] = [[0, 0, 16, 16]];
const P16x8: readonly Part[] = [
  [0, 0, 16, 8],
  [0, 8, 16, 8],
];
const P8x16: readonly Part[] = [
  [0, 0, 8, 16],
  [8, 0, 8, 16],
];
const S8x8: readonly Part[] = [[0, 0, 8, 8]];
const S8x4: readonly Part[] = [
  [0, 0, 8, 4],
  [0, 4, 8, 4],
];
const S4x8: readonly Part[] = [
  [0, 0, 4, 8],
  [4, 0, 4, 8],
];
const S4x4: readonly Part[] = [
  [0, 0, 4, 4],
  [4, 0, 4, 4],
  [0, 4, 4, 4],
  [4, 4, 4, 4],
];
/** Table 7-14: prediction of the two partitions of B_*_16x8 / B_*_8x16 (1 L0, 2 L1, 3 Bi), by (mb_type - 4) >> 1. */
const B_PAIR_PRED: readonly (readonly [number, number])[] = [
  [1, 1],
  [2, 2],
  [1, 2],
  [2, 1],
  [1, 3],
  [2, 3],
  [3, 1],
  [3, 2],
  [3, 3],
];
/** Table 7-18: P sub-macroblock shapes. */
const P_SUB: readonly (readonly Part[])[] = [S8x8, S8x4, S4x8, S4x4];
/** Table 7-18: B sub-macroblock shape and prediction (0 direct). */
const B_SUB: readonly (readonly [readonly Part[], number])[] = [
  [S8x8, 0],
  [S8x8, 1],
  [S8x8, 2],
  [S8x8, 3],
  [S8x4, 1],
  [S4x8, 1],
  [S8x4, 2],
  [S4x8, 2],
  [S8x4, 3],
  [S4x8, 3],
  [S4x4, 1],
  [S4x4, 2],
  [S4x4, 3],
];

/** Prediction list use of a sub-macroblock type (P: list 0). */
function subMbPredOf(isB: boolean, t: number): number {
  return isB ? (B_SUB[t] as [readonly Part[], number])[1] : 1;
}

function subMbShape(isB: boolean, t: number): readonly Part[] {
  return isB ? (B_SUB[t] as [readonly Part[], number])[0] : (P_SUB[t] as readonly Part[]);
}

// ctxIdxOffset (+ ctxBlockCatOffset) of the residual syntax elements by ctxBlockCat 0..13 (Tables 9-34, 9-40).
const CBF_BASE = [85, 89, 93, 97, 101, 1012, 460, 464, 468, 1016, 472, 476, 480, 1020];
const SIG_FRAME = [105, 120, 134, 149, 152, 402, 484, 499, 513, 660, 528, 543, 557, 718];
const SIG_FIELD = [277, 292, 306, 321, 324, 436, 776, 791, 805, 675, 820, 835, 849, 733];
const LAST_FRAME = [166, 181, 195, 210, 213, 417, 572, 587, 601, 690, 616, 631, 645, 748];
const LAST_FIELD = [338, 353, 367, 382, 385, 451, 864, 879, 893, 699, 908, 923, 937, 757];
const ABS_BASE = [227, 237, 247, 257, 266, 426, 952, 962, 972, 708, 982, 992, 1002, 766];

// ctxIdxInc of significant_coeff_flag and last_significant_coeff_flag by levelListIdx, §9.3.3.1.3: the index
// itself for 4x4 blocks, Table 9-43 for 8x8 blocks, Min(levelListIdx / NumC8x8, 2) for chroma DC.
const INC_4X4 = Uint8Array.from({ length: 16 }, (_, i) => i);
const INC_CHROMA_DC_420 = Uint8Array.of(0, 1, 2, 2);
const INC_CHROMA_DC_422 = Uint8Array.of(0, 0, 1, 1, 2, 2, 2, 2);
/** residual_luma() ctxBlockCat of colour component 0..2 (Y, Cb, Cr of 4:4:4), Table 9-42. */
const CAT_DC = [0, 6, 10];
const CAT_AC = [1, 7, 11];
const CAT_4X4 = [2, 8, 12];
const CAT_8X8 = [5, 9, 13];

/** luma4x4BlkIdx → raster index (x4 + 4 * y4) of its 4x4 block, §6.4.3. */
const BLK_RASTER = [0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15];

const MAX_SLICE_BITS = 2 ** 31 - 1;
/**
 * A conforming CABAC encoder's flush (§9.3.4.6) ends with rbsp_stop_one_bit as the last bit the decoder reads
 * for end_of_slice_flag. x264 flushes a few more bits of its low register before its stop bit, so the data may
 * go on after the decoder stopped, within the same byte (0..7 bits seen over the fixtures).
 */
const CABAC_END_SLACK_BITS = 7;

class Walker {
  // Parameters.
  private readonly cabac: boolean;
  private readonly mbaff: boolean;
  private readonly fieldPic: boolean;
  private readonly sliceType: Slice;
  private readonly chromaArrayType: number;
  private readonly mbWidthC: number;
  private readonly mbHeightC: number;
  private readonly widthMbs: number;
  readonly picSize: number;
  private readonly numRefIdx: readonly [number, number];
  private readonly transform8x8Mode: boolean;
  private readonly direct8x8Inference: boolean;
  private readonly pcmBits: number;
  private readonly numC8x8: number;

  // Bits: RBSP without the NAL header byte, followed by 2 zero bytes (the CABAC engine reads 16-bit windows);
  // `limit` is the first bit the walker may not read.
  private readonly data: Uint8Array;
  private pos: number;
  private readonly limit: number;
  /** Bit position of rbsp_stop_one_bit (the last 1 bit); data.length * 8 when there is none. */
  private readonly stopBit: number;

  // CABAC engine.
  private range = 0;
  private offset = 0;
  private readonly states = new Uint8Array(CABAC_CONTEXTS); // pStateIdx << 1 | valMPS

  // Per-macroblock state of this slice.
  private readonly flags: Uint8Array;
  private readonly cbp: Uint8Array; // luma | chroma << 4
  private readonly chromaPred: Uint8Array;
  private readonly dcCbf: Uint8Array; // bit p: DC block of colour component p coded
  private readonly nz: Uint8Array; // 48 per MB: luma, Cb, Cr 4x4 blocks in raster order (CAVLC TotalCoeff, CABAC cbf)
  private readonly ref: Int8Array; // 32 per MB: list * 16 + raster 4x4 block; -1 when not used
  private readonly mvd: Uint16Array; // 64 per MB: (list * 16 + raster) * 2 + component, absolute values

  private curr = 0;
  /** Outside MBAFF: mbAddrA / mbAddrB of the current macroblock (§6.4.9), -1 when not available. */
  private mbAddrA = -1;
  private mbAddrB = -1;
  /** xW / yW of the last `neighbour` call. */
  private nxW = 0;
  private nyW = 0;
  private prevQpDeltaNonZero = false;
  private readonly onMacroblock: ((info: MacroblockInfo) => void) | undefined;
  count = 0;

  /** `rbsp`: `length` bytes of RBSP and at least 2 bytes of zero padding. */
  constructor(
    rbsp: Uint8Array,
    length: number,
    startBit: number,
    header: FullSliceHeader,
    sps: Sps,
    pps: Pps,
    transform8x8Mode: boolean,
    direct8x8Inference: boolean,
    onMacroblock: ((info: MacroblockInfo) => void) | undefined,
  ) {
    this.cabac = pps.entropyCodingModeFlag;
    this.fieldPic = header.fieldPic;
    this.mbaff = sps.mbAdaptiveFrameField && !header.fieldPic;
    this.sliceType = header.sliceType;
    this.chromaArrayType = sps.separateColourPlane ? 0 : sps.chromaFormatIdc;
    const subW = this.chromaArrayType === 3 ? 1 : 2;
    const subH = this.chromaArrayType === 1 ? 2 : 1;
    const hasChroma = this.chromaArrayType !== 0;
    this.mbWidthC = hasChroma ? 16 / subW : 0;
    this.mbHeightC = hasChroma ? 16 / subH : 0;
    this.numC8x8 = hasChroma && this.chromaArrayType !== 3 ? 4 / (subW * subH) : 0;
    this.widthMbs = sps.picWidthInMbs;
    this.picSize = picSizeInMbs(sps, header.fieldPic);
    this.numRefIdx = [header.numRefIdxL0, header.numRefIdxL1];
    this.transform8x8Mode = transform8x8Mode;
    this.direct8x8Inference = direct8x8Inference;
    this.pcmBits =
      256 * sps.bitDepthLuma +
      (hasChroma ? 2 * this.mbWidthC * this.mbHeightC * sps.bitDepthChroma : 0);
    this.onMacroblock = onMacroblock;

    this.data = rbsp;
    this.pos = startBit;
    let last = length - 1;
    while (last >= 0 && rbsp[last] === 0) last--;
    if (last < 0) {
      this.stopBit = length * 8;
    } else {
      const byte = rbsp[last] as number;
      let b = 7;
      while (((byte >> (7 - b)) & 1) === 0) b--;
      this.stopBit = last * 8 + b;
    }
    // CAVLC never reads rbsp_stop_one_bit; the CABAC engine reads it as the last bit of its offset register.
    this.limit = Math.min(MAX_SLICE_BITS, this.cabac ? this.stopBit + 1 : this.stopBit);

    const n = this.picSize;
    this.flags = new Uint8Array(n);
    this.cbp = new Uint8Array(n);
    this.chromaPred = new Uint8Array(n);
    this.dcCbf = new Uint8Array(n);
    this.nz = new Uint8Array(n * 48);
    this.ref = new Int8Array(n * 32);
    this.mvd = new Uint16Array(n * 64);
  }

  // ---- bits ----

  private bit(): number {
    const p = this.pos;
    if (p >= this.limit) throw new OutOfBits(PAST_THE_END);
    this.pos = p + 1;
    return ((this.data[p >> 3] as number) >> (7 - (p & 7))) & 1;
  }

  private bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }

  private ue(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      if (++zeros > 31) throw new BadSyntax('Exp-Golomb code longer than 32 bits');
    }
    return zeros === 0 ? 0 : 2 ** zeros - 1 + this.bits(zeros);
  }

  private se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -k / 2;
  }

  private vlc(table: VlcTable): number {
    let code = 0;
    for (let len = 1; len <= table.maxLength; len++) {
      code = (code << 1) | this.bit();
      const symbol = table.lookup(len, code);
      if (symbol >= 0) return symbol;
    }
    throw new BadSyntax('invalid variable-length code');
  }

  /** more_rbsp_data(), §7.2. */
  private moreRbspData(): boolean {
    return this.pos < this.stopBit;
  }

  // ---- CABAC engine, §9.3.1.2 and §9.3.3.2 ----

  private initContexts(sliceQp: number): void {
    const table = CABAC_INIT[this.sliceType === Slice.I ? 0 : 1 + this.cabacInitIdc] as Int8Array;
    const qp = Math.max(0, Math.min(51, sliceQp));
    for (let i = 0; i < CABAC_CONTEXTS; i++) {
      const m = table[2 * i] as number;
      const n = table[2 * i + 1] as number;
      const pre = Math.max(1, Math.min(126, ((m * qp) >> 4) + n));
      this.states[i] = pre <= 63 ? (63 - pre) << 1 : ((pre - 64) << 1) | 1;
    }
  }

  private cabacInitIdc = 0;

  private initEngine(): void {
    this.range = 510;
    this.offset = this.bits(9);
    if (this.offset >= 510) throw new BadSyntax('codIOffset 510 or 511');
  }

  /** DecodeDecision, §9.3.3.2.1 (the coefficient loops of `blockCabac` inline the same steps). */
  private decision(ctx: number): number {
    const states = this.states;
    const s = states[ctx] as number;
    let range = this.range;
    const lps = RANGE_TAB_LPS[((s >> 1) << 2) | ((range >> 6) & 3)] as number;
    range -= lps;
    let bin = s & 1;
    if (this.offset < range) {
      states[ctx] = NEXT_STATE_MPS[s] as number;
      if (range >= 256) {
        this.range = range;
        return bin;
      }
    } else {
      this.offset -= range;
      range = lps;
      bin ^= 1;
      states[ctx] = NEXT_STATE_LPS[s] as number;
    }
    this.renorm(range);
    return bin;
  }

  /** RenormD, §9.3.3.2.2: shifts codIRange (< 256) up to 256..510 and reads as many bits into codIOffset at once. */
  private renorm(range: number): void {
    const n = RENORM_SHIFT[range] as number;
    const p = this.pos;
    if (p + n > this.limit) throw new OutOfBits(PAST_THE_END);
    const i = p >> 3;
    const window = ((this.data[i] as number) << 8) | (this.data[i + 1] as number);
    this.offset = (this.offset << n) | ((window >> (16 - (p & 7) - n)) & ((1 << n) - 1));
    this.pos = p + n;
    this.range = range << n;
  }

  /** DecodeBypass, §9.3.3.2.3. */
  private bypass(): number {
    const p = this.pos;
    if (p >= this.limit) throw new OutOfBits(PAST_THE_END);
    this.pos = p + 1;
    const offset = (this.offset << 1) | (((this.data[p >> 3] as number) >> (7 - (p & 7))) & 1);
    if (offset >= this.range) {
      this.offset = offset - this.range;
      return 1;
    }
    this.offset = offset;
    return 0;
  }

  /** DecodeTerminate, §9.3.3.2.2.3. */
  private terminate(): number {
    const range = this.range - 2;
    if (this.offset >= range) {
      this.range = range;
      return 1; // no renormalization: the last bit read was the final 1 bit
    }
    if (range < 256) this.renorm(range);
    else this.range = range;
    return 0;
  }

  // ---- neighbours, §6.4.12 (A: xN < 0, B: yN < 0; C and D are not needed for parsing) ----

  private isField(mb: number): boolean {
    return ((this.flags[mb] as number) & FIELD) !== 0;
  }

  /** The macroblock covering location (xN, yN) relative to the current one, or -1; sets nxW / nyW. */
  private neighbour(xN: number, yN: number, maxW: number, maxH: number): number {
    const curr = this.curr;
    if (xN >= 0 && yN >= 0) {
      this.nxW = xN;
      this.nyW = yN;
      return curr;
    }
    if (this.mbaff) return this.neighbourMbaff(xN, yN, maxW, maxH);
    // §6.4.12.1
    let mb: number;
    if (xN < 0) {
      if (yN < 0) return -1;
      mb = this.mbAddrA;
    } else {
      if (xN >= maxW) return -1;
      mb = this.mbAddrB;
    }
    if (mb < 0) return -1;
    this.nxW = xN < 0 ? xN + maxW : xN;
    this.nyW = yN < 0 ? yN + maxH : yN;
    return mb;
  }

  /** `neighbour` in an MBAFF frame, §6.4.12.2 and Table 6-4 (kept apart: V8 inlines the short frame case). */
  private neighbourMbaff(xN: number, yN: number, maxW: number, maxH: number): number {
    const curr = this.curr;
    const W = this.widthMbs;
    const pair = curr >> 1;
    const top = (curr & 1) === 0;
    const currFrame = !this.isField(curr);
    let mb: number;
    let yM: number;
    if (xN < 0) {
      if (yN < 0 || pair % W === 0) return -1;
      const a = 2 * (pair - 1);
      if (((this.flags[a] as number) & AVAIL) === 0) return -1;
      const aFrame = !this.isField(a);
      if (currFrame) {
        if (top) {
          if (aFrame) {
            mb = a;
            yM = yN;
          } else {
            mb = a + (yN & 1);
            yM = yN >> 1;
          }
        } else if (aFrame) {
          mb = a + 1;
          yM = yN;
        } else {
          mb = a + (yN & 1);
          yM = (yN + maxH) >> 1;
        }
      } else if (top) {
        if (aFrame) {
          if (yN < maxH / 2) {
            mb = a;
            yM = yN << 1;
          } else {
            mb = a + 1;
            yM = (yN << 1) - maxH;
          }
        } else {
          mb = a;
          yM = yN;
        }
      } else if (aFrame) {
        if (yN < maxH / 2) {
          mb = a;
          yM = (yN << 1) + 1;
        } else {
          mb = a + 1;
          yM = (yN << 1) + 1 - maxH;
        }
      } else {
        mb = a + 1;
        yM = yN;
      }
    } else {
      if (xN >= maxW) return -1;
      if (currFrame && !top) {
        mb = curr - 1;
        yM = yN;
      } else {
        if (pair < W) return -1;
        const b = 2 * (pair - W);
        if (((this.flags[b] as number) & AVAIL) === 0) return -1;
        if (!currFrame && top && this.isField(b)) {
          mb = b;
          yM = yN;
        } else {
          mb = b + 1;
          yM = !currFrame && top ? 2 * yN : yN;
        }
      }
    }
    this.nxW = xN < 0 ? xN + maxW : xN;
    this.nyW = yM < 0 ? yM + maxH : yM;
    return mb;
  }

  /** Macroblock A (left) and B (above) of §6.4.11.1. */
  private mbA(): number {
    return this.neighbour(-1, 0, 16, 16);
  }

  private mbB(): number {
    return this.neighbour(0, -1, 16, 16);
  }

  // ---- slice data, §7.3.4 ----

  run(header: FullSliceHeader): void {
    const firstAddr = header.firstMbInSlice * (this.mbaff ? 2 : 1);
    if (firstAddr >= this.picSize) throw new BadSyntax('first_mb_in_slice beyond the picture');
    this.curr = firstAddr;
    if (this.cabac) {
      while ((this.pos & 7) !== 0) {
        if (this.bit() !== 1) throw new BadSyntax('cabac_alignment_one_bit is 0');
      }
      this.cabacInitIdc = header.cabacInitIdc;
      this.initContexts(header.sliceQp);
      this.initEngine();
      this.runCabac();
    } else {
      this.runCavlc();
    }
  }

  /** Starts macroblock `addr` (clears its state; infers the pair's field flag at the top of an MBAFF pair). */
  private startMb(addr: number): void {
    if (addr >= this.picSize) throw new BadSyntax('slice runs past the end of the picture');
    this.curr = addr;
    let field = this.fieldPic;
    if (!this.mbaff) {
      // §6.4.9: available when decoded in this slice (and in the picture, not across its left edge).
      const W = this.widthMbs;
      const a = addr - 1;
      const b = addr - W;
      this.mbAddrA = addr % W !== 0 && ((this.flags[a] as number) & AVAIL) !== 0 ? a : -1;
      this.mbAddrB = b >= 0 && ((this.flags[b] as number) & AVAIL) !== 0 ? b : -1;
    } else if ((addr & 1) === 0) {
      // §7.4.4: inferred from the left pair, else the pair above, else frame.
      const pair = addr >> 1;
      const W = this.widthMbs;
      const a = 2 * (pair - 1);
      const b = 2 * (pair - W);
      if (pair % W !== 0 && ((this.flags[a] as number) & AVAIL) !== 0) field = this.isField(a);
      else if (pair >= W && ((this.flags[b] as number) & AVAIL) !== 0) field = this.isField(b);
      else field = false;
    } else {
      field = this.isField(addr - 1);
    }
    this.flags[addr] = AVAIL | (field ? FIELD : 0);
    this.cbp[addr] = 0;
    this.chromaPred[addr] = 0;
    this.dcCbf[addr] = 0;
    this.nz.fill(0, addr * 48, addr * 48 + 48);
    this.ref.fill(-1, addr * 32, addr * 32 + 32);
    this.mvd.fill(0, addr * 64, addr * 64 + 64);
  }

  private setPairField(field: boolean): void {
    const top = this.curr & ~1;
    for (let mb = top; mb <= top + 1; mb++) {
      const f = this.flags[mb] as number;
      this.flags[mb] = field ? f | FIELD : f & ~FIELD;
    }
  }

  private skipMb(addr: number): void {
    const f = (this.flags[addr] as number) | SKIP | (this.sliceType === Slice.B ? DIRECT16 : 0);
    this.flags[addr] = f;
    this.prevQpDeltaNonZero = false;
    this.count++;
    this.onMacroblock?.({
      mbAddr: addr,
      skip: true,
      intra: undefined,
      mbType: -1,
      partPred: [],
      subMbTypes: undefined,
      field: (f & FIELD) !== 0,
      transform8x8: false,
    });
  }

  private runCavlc(): void {
    let moreData = true;
    let prevMbSkipped = false;
    for (let guard = 0; moreData; guard++) {
      if (guard > this.picSize) throw new BadSyntax('more macroblocks than the picture holds');
      if (this.sliceType !== Slice.I) {
        const run = this.ue(); // mb_skip_run
        if (run > this.picSize - this.curr) throw new BadSyntax('mb_skip_run beyond the picture');
        prevMbSkipped = run > 0;
        for (let i = 0; i < run; i++) {
          this.startMb(this.curr);
          this.skipMb(this.curr);
          this.curr++;
        }
        if (run > 0) moreData = this.moreRbspData();
      }
      if (moreData) {
        this.startMb(this.curr);
        const odd = (this.curr & 1) === 1;
        if (this.mbaff && (!odd || prevMbSkipped)) this.setPairField(this.bit() === 1);
        this.macroblockLayer();
        moreData = this.moreRbspData();
        this.curr++;
      }
    }
  }

  private runCabac(): void {
    let moreData = true;
    let prevMbSkipped = false;
    let bottomSkip = false;
    let fieldRead = false;
    for (let guard = 0; moreData; guard++) {
      if (guard > this.picSize) throw new BadSyntax('more macroblocks than the picture holds');
      const addr = this.curr;
      this.startMb(addr);
      const top = (addr & 1) === 0;
      if (top) fieldRead = false;
      let skip = false;
      if (this.sliceType !== Slice.I) {
        if (this.mbaff && !top && prevMbSkipped) skip = bottomSkip;
        else skip = this.decodeSkip();
        if (skip && this.mbaff && top) {
          // The bottom macroblock's skip flag (and field flag) come next in the bitstream (§7.3.4).
          this.flags[addr] = (this.flags[addr] as number) | SKIP;
          this.flags[addr + 1] = this.flags[addr] & FIELD; // not yet available
          this.curr = addr + 1;
          bottomSkip = this.decodeSkip();
          if (!bottomSkip) {
            this.curr = addr;
            this.setPairField(this.decision(70 + this.fieldCtxInc()) === 1);
            fieldRead = true;
          }
          this.curr = addr;
        }
      }
      if (skip) {
        this.skipMb(addr);
      } else {
        if (this.mbaff && (top || (prevMbSkipped && !fieldRead))) {
          this.setPairField(this.decision(70 + this.fieldCtxInc()) === 1);
        }
        this.macroblockLayer();
      }
      if (this.sliceType !== Slice.I) prevMbSkipped = skip;
      if (this.mbaff && top) moreData = true;
      else moreData = this.terminate() === 0; // end_of_slice_flag
      this.curr = addr + 1;
    }
  }

  /** The outcome once the slice's last macroblock is parsed. */
  finish(firstMb: number): SliceDataResult {
    const result = { macroblocks: this.count, firstMb };
    // CAVLC stops where more_rbsp_data() is false (only rbsp_trailing_bits left). CABAC reads
    // rbsp_stop_one_bit as the last bit of codIOffset when it decodes end_of_slice_flag = 1 (§9.3.3.2.2.3).
    const end = this.cabac ? this.stopBit + 1 : this.stopBit;
    if (this.pos === end) return { status: 'complete', ...result };
    if (this.cabac && this.pos < end && end - this.pos <= CABAC_END_SLACK_BITS) {
      return {
        status: 'complete',
        ...result,
        reason: `${end - this.pos} bits after the decoder's end`,
      };
    }
    return {
      status: 'truncated',
      ...result,
      reason: `slice ended at bit ${this.pos} but its data ends at bit ${end}`,
    };
  }

  private fieldCtxInc(): number {
    const pair = this.curr >> 1;
    const W = this.widthMbs;
    const a = 2 * (pair - 1);
    const b = 2 * (pair - W);
    let inc = 0;
    if (pair % W !== 0 && ((this.flags[a] as number) & (AVAIL | FIELD)) === (AVAIL | FIELD)) inc++;
    if (pair >= W && ((this.flags[b] as number) & (AVAIL | FIELD)) === (AVAIL | FIELD)) inc++;
    return inc;
  }

  private decodeSkip(): boolean {
    let inc = 0;
    const a = this.mbA();
    if (a >= 0 && ((this.flags[a] as number) & SKIP) === 0) inc++;
    const b = this.mbB();
    if (b >= 0 && ((this.flags[b] as number) & SKIP) === 0) inc++;
    return this.decision((this.sliceType === Slice.B ? 24 : 11) + inc) === 1;
  }

  // ---- macroblock_layer(), §7.3.5 ----

  private macroblockLayer(): void {
    const addr = this.curr;
    const slice = this.sliceType;
    let mbType = this.cabac ? this.mbTypeCabac() : this.ue();
    let intraType = -1;
    if (slice === Slice.I) intraType = mbType;
    else if (slice === Slice.P && mbType >= 5) intraType = mbType - 5;
    else if (slice === Slice.B && mbType >= 23) intraType = mbType - 23;
    if (intraType > 25 || (slice === Slice.P && mbType > 30) || mbType > 48) {
      throw new BadSyntax(`mb_type ${mbType} out of range`);
    }
    if (intraType >= 0) mbType = intraType;
    const intra = intraType >= 0;
    let f = this.flags[addr] as number;
    if (intra) f |= INTRA;

    if (intra && intraType === 25) {
      // I_PCM: pcm_alignment_zero_bit, pcm samples (§7.3.5), then the CABAC engine starts again (§9.3.1.2).
      this.flags[addr] = f | PCM;
      this.cbp[addr] = 0x2f;
      this.dcCbf[addr] = 7;
      this.nz.fill(this.cabac ? 1 : 16, addr * 48, addr * 48 + 48);
      while ((this.pos & 7) !== 0) this.bit();
      if (this.pos + this.pcmBits > this.limit) throw new OutOfBits('I_PCM samples past the end');
      this.pos += this.pcmBits;
      if (this.cabac) this.initEngine();
      this.prevQpDeltaNonZero = false;
      this.report(addr, mbType, 'IPCM', [], undefined, false);
      this.count++;
      return;
    }

    const i16 = intra && intraType >= 1;
    let transform8x8 = false;
    let noSubMbPartSizeLessThan8x8 = true;
    let partPred: number[] = [];
    let subTypes: number[] | undefined;
    const isP8x8 = slice === Slice.P && (mbType === 3 || mbType === 4);
    const isB8x8 = slice === Slice.B && mbType === 22;
    const direct16 = !intra && slice === Slice.B && mbType === 0;
    if (i16) f |= I16;
    if (direct16) f |= DIRECT16;
    this.flags[addr] = f;

    if (!intra && (isP8x8 || isB8x8)) {
      subTypes = this.subMbPred(isB8x8, slice === Slice.P && mbType === 4);
      for (let i = 0; i < subTypes.length; i++) {
        const t = subTypes[i] as number;
        if (isB8x8 && t === 0) {
          if (!this.direct8x8Inference) noSubMbPartSizeLessThan8x8 = false;
        } else if (subMbShape(isB8x8, t) !== S8x8) {
          noSubMbPartSizeLessThan8x8 = false;
        }
      }
    } else if (intra) {
      if (this.transform8x8Mode && intraType === 0) transform8x8 = this.transformFlag();
      if (intraType === 0) {
        const n = transform8x8 ? 4 : 16;
        for (let i = 0; i < n; i++) {
          // prev_intra4x4_pred_mode_flag / rem_intra4x4_pred_mode (or the 8x8 ones)
          if (this.cabac) {
            if (this.decision(68) === 0) {
              this.decision(69);
              this.decision(69);
              this.decision(69);
            }
          } else if (this.bit() === 0) {
            this.bits(3);
          }
        }
      }
      if (this.chromaArrayType === 1 || this.chromaArrayType === 2) {
        const mode = this.cabac ? this.chromaPredCabac() : this.ue();
        if (mode > 3) throw new BadSyntax('intra_chroma_pred_mode out of range');
        this.chromaPred[addr] = mode;
      }
    } else if (!direct16) {
      partPred = this.mbPredInter(mbType);
    }

    let cbpLuma: number;
    let cbpChroma: number;
    if (i16) {
      cbpLuma = intraType >= 13 ? 15 : 0;
      cbpChroma = ((intraType - 1) >> 2) % 3;
    } else {
      const cbp = this.cabac ? this.cbpCabac() : this.cbpCavlc(intra);
      cbpLuma = cbp & 15;
      cbpChroma = cbp >> 4;
      if (
        cbpLuma > 0 &&
        this.transform8x8Mode &&
        !(intra && intraType === 0) &&
        noSubMbPartSizeLessThan8x8 &&
        (!direct16 || this.direct8x8Inference)
      ) {
        transform8x8 = this.transformFlag();
      }
    }
    this.cbp[addr] = cbpLuma | (cbpChroma << 4);
    if (transform8x8) this.flags[addr] = this.flags[addr] | T8X8;

    if (cbpLuma > 0 || cbpChroma > 0 || i16) {
      const delta = this.cabac ? this.qpDeltaCabac() : this.se();
      // §7.4.5: -(26 + QpBdOffsetY / 2) .. 25 + QpBdOffsetY / 2, QpBdOffsetY <= 48 (14-bit video)
      if (delta < -50 || delta > 49) throw new BadSyntax('mb_qp_delta out of range');
      this.prevQpDeltaNonZero = delta !== 0;
      this.residual(i16, cbpLuma, cbpChroma, transform8x8);
    } else {
      this.prevQpDeltaNonZero = false;
    }
    this.report(
      addr,
      mbType,
      intra ? (i16 ? 'I16x16' : transform8x8 ? 'I8x8' : 'I4x4') : undefined,
      partPred,
      subTypes,
      transform8x8,
    );
    this.count++;
  }

  private report(
    addr: number,
    mbType: number,
    intra: MacroblockInfo['intra'],
    partPred: number[],
    subMbTypes: number[] | undefined,
    transform8x8: boolean,
  ): void {
    this.onMacroblock?.({
      mbAddr: addr,
      skip: false,
      intra,
      mbType,
      partPred,
      subMbTypes,
      field: this.isField(addr),
      transform8x8,
    });
  }

  private transformFlag(): boolean {
    if (!this.cabac) return this.bit() === 1;
    let inc = 0;
    const a = this.mbA();
    if (a >= 0 && ((this.flags[a] as number) & T8X8) !== 0) inc++;
    const b = this.mbB();
    if (b >= 0 && ((this.flags[b] as number) & T8X8) !== 0) inc++;
    return this.decision(399 + inc) === 1;
  }

  /** Inter mb_pred(), §7.3.5.1: returns the list use of each partition. */
  private mbPredInter(mbType: number): number[] {
    let parts: readonly Part[];
    let pred: number[];
    if (this.sliceType === Slice.P) {
      parts = mbType === 0 ? P16x16 : mbType === 1 ? P16x8 : P8x16;
      pred = parts.length === 1 ? [1] : [1, 1];
    } else if (mbType <= 3) {
      parts = P16x16;
      pred = [mbType];
    } else {
      parts = mbType % 2 === 0 ? P16x8 : P8x16;
      const pair = B_PAIR_PRED[(mbType - 4) >> 1] as readonly [number, number];
      pred = [pair[0], pair[1]];
    }
    for (let list = 0; list < 2; list++) {
      for (let i = 0; i < parts.length; i++) {
        if (((pred[i] as number) & (1 << list)) === 0) continue;
        const part = parts[i] as Part;
        const r = this.refPresent(list) ? this.refIdx(list, part[0], part[1]) : 0;
        this.fillRef(list, part[0], part[1], part[2], part[3], r);
      }
    }
    for (let list = 0; list < 2; list++) {
      for (let i = 0; i < parts.length; i++) {
        if (((pred[i] as number) & (1 << list)) === 0) continue;
        const part = parts[i] as Part;
        this.mvdPart(list, part[0], part[1], part[2], part[3]);
      }
    }
    return pred;
  }

  /** sub_mb_pred(), §7.3.5.2: returns the sub_mb_types. */
  private subMbPred(isB: boolean, ref0: boolean): number[] {
    const types: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t = this.cabac ? this.subMbTypeCabac(isB) : this.ue();
      if (t > (isB ? 12 : 3)) throw new BadSyntax('sub_mb_type out of range');
      types.push(t);
    }
    for (let list = 0; list < 2; list++) {
      for (let i = 0; i < 4; i++) {
        const t = types[i] as number;
        if ((subMbPredOf(isB, t) & (1 << list)) === 0) continue;
        const x = (i & 1) * 8;
        const y = (i >> 1) * 8;
        const r = this.refPresent(list) && !ref0 ? this.refIdx(list, x, y) : 0;
        this.fillRef(list, x, y, 8, 8, r);
      }
    }
    for (let list = 0; list < 2; list++) {
      for (let i = 0; i < 4; i++) {
        const t = types[i] as number;
        if ((subMbPredOf(isB, t) & (1 << list)) === 0) continue;
        const x = (i & 1) * 8;
        const y = (i >> 1) * 8;
        const shape = subMbShape(isB, t);
        for (let j = 0; j < shape.length; j++) {
          const sub = shape[j] as Part;
          this.mvdPart(list, x + sub[0], y + sub[1], sub[2], sub[3]);
        }
      }
    }
    return types;
  }

  /** Whether ref_idx_lX is present: (num_ref_idx_active > 1 || mb_field_decoding_flag != field_pic_flag). */
  private refPresent(list: number): boolean {
    return (this.numRefIdx[list] as number) > 1 || this.isField(this.curr) !== this.fieldPic;
  }

  private fillRef(list: number, x0: number, y0: number, w: number, h: number, r: number): void {
    const base = this.curr * 32 + list * 16;
    for (let y = y0; y < y0 + h; y += 4) {
      for (let x = x0; x < x0 + w; x += 4) this.ref[base + (y >> 2) * 4 + (x >> 2)] = r;
    }
  }

  private refIdx(list: number, x: number, y: number): number {
    const field = this.isField(this.curr);
    const max = (this.numRefIdx[list] as number) * (this.mbaff && field ? 2 : 1) - 1;
    let v: number;
    if (this.cabac) {
      // ctxIdxInc §9.3.3.1.1.6
      let inc = this.refIdxCond(this.neighbour(x - 1, y, 16, 16), list, field);
      inc += 2 * this.refIdxCond(this.neighbour(x, y - 1, 16, 16), list, field);
      v = 0;
      while (this.decision(54 + inc) === 1) {
        v++;
        inc = v === 1 ? 4 : 5;
        if (v > 63) throw new BadSyntax('ref_idx too large');
      }
    } else {
      v = max > 1 ? this.ue() : 1 - this.bit(); // te(v)
    }
    if (v > max) throw new BadSyntax(`ref_idx ${v} above ${max}`);
    return v;
  }

  private refIdxCond(mb: number, list: number, field: boolean): number {
    if (mb < 0) return 0;
    const r = this.ref[mb * 32 + list * 16 + (this.nyW >> 2) * 4 + (this.nxW >> 2)] as number;
    const threshold = this.mbaff && !field && this.isField(mb) ? 1 : 0;
    return r > threshold ? 1 : 0;
  }

  private mvdPart(list: number, x: number, y: number, w: number, h: number): void {
    const base = this.curr * 64 + list * 32;
    for (let comp = 0; comp < 2; comp++) {
      let abs: number;
      if (this.cabac) {
        // ctxIdxInc §9.3.3.1.1.7: absMvdComp of A plus B
        const sum =
          this.mvdAbsOf(this.neighbour(x - 1, y, 16, 16), list, comp) +
          this.mvdAbsOf(this.neighbour(x, y - 1, 16, 16), list, comp);
        abs = this.mvdCabac(comp === 0 ? 40 : 47, sum < 3 ? 0 : sum <= 32 ? 1 : 2);
      } else {
        abs = Math.abs(this.se());
      }
      const stored = abs < 0xffff ? abs : 0xffff;
      for (let yy = y; yy < y + h; yy += 4) {
        for (let xx = x; xx < x + w; xx += 4)
          this.mvd[base + ((yy >> 2) * 4 + (xx >> 2)) * 2 + comp] = stored;
      }
    }
  }

  /** absMvdComp of the neighbouring partition at (nxW, nyW) of `mb` (0 when not available), field-scaled. */
  private mvdAbsOf(mb: number, list: number, comp: number): number {
    if (mb < 0) return 0;
    const v = this.mvd[
      mb * 64 + list * 32 + ((this.nyW >> 2) * 4 + (this.nxW >> 2)) * 2 + comp
    ] as number;
    if (comp === 1 && this.mbaff) {
      const field = this.isField(this.curr);
      const nField = this.isField(mb);
      if (!field && nField) return v * 2;
      if (field && !nField) return v >> 1;
    }
    return v;
  }

  // ---- CABAC syntax elements, §9.3.2 / §9.3.3.1 ----

  private mbTypeCabac(): number {
    const slice = this.sliceType;
    if (slice === Slice.I) return this.intraMbTypeCabac(3, true);
    if (slice === Slice.P) {
      if (this.decision(14) === 0) {
        if (this.decision(15) === 0) return 3 * this.decision(16); // P_L0_16x16 or P_8x8
        return 2 - this.decision(17); // P_L0_L0_8x16 or P_L0_L0_16x8
      }
      return 5 + this.intraMbTypeCabac(17, false);
    }
    // B, Table 9-37
    let inc = 0;
    const a = this.mbA();
    if (a >= 0 && ((this.flags[a] as number) & DIRECT16) === 0) inc++;
    const b = this.mbB();
    if (b >= 0 && ((this.flags[b] as number) & DIRECT16) === 0) inc++;
    if (this.decision(27 + inc) === 0) return 0; // B_Direct_16x16
    if (this.decision(27 + 3) === 0) return 1 + this.decision(27 + 5);
    let bits = this.decision(27 + 4) << 3;
    bits |= this.decision(27 + 5) << 2;
    bits |= this.decision(27 + 5) << 1;
    bits |= this.decision(27 + 5);
    if (bits < 8) return bits + 3;
    if (bits === 13) return 23 + this.intraMbTypeCabac(32, false);
    if (bits === 14) return 11;
    if (bits === 15) return 22;
    bits = (bits << 1) | this.decision(27 + 5);
    return bits - 4;
  }

  /** mb_type of an intra macroblock (Table 9-36): prefix ctxIdxOffset 3 in I slices, suffix 17 / 32 in P / B. */
  private intraMbTypeCabac(base: number, iSlice: boolean): number {
    let st = base;
    if (iSlice) {
      let inc = 0;
      const a = this.mbA();
      if (a >= 0 && ((this.flags[a] as number) & (I16 | PCM)) !== 0) inc++;
      const b = this.mbB();
      if (b >= 0 && ((this.flags[b] as number) & (I16 | PCM)) !== 0) inc++;
      if (this.decision(3 + inc) === 0) return 0; // I_NxN
      st = 5;
    } else if (this.decision(base) === 0) {
      return 0;
    }
    if (this.terminate() === 1) return 25; // I_PCM
    const i = iSlice ? 1 : 0;
    let t = 1 + 12 * this.decision(st + 1);
    if (this.decision(st + 2) === 1) t += 4 + 4 * this.decision(st + 2 + i);
    t += 2 * this.decision(st + 3 + i);
    t += this.decision(st + 3 + 2 * i);
    return t;
  }

  private subMbTypeCabac(isB: boolean): number {
    if (!isB) {
      if (this.decision(21) === 1) return 0;
      if (this.decision(22) === 0) return 1;
      return this.decision(23) === 1 ? 2 : 3;
    }
    if (this.decision(36) === 0) return 0;
    if (this.decision(37) === 0) return 1 + this.decision(39);
    let t = 3;
    if (this.decision(38) === 1) {
      if (this.decision(39) === 1) return 11 + this.decision(39);
      t += 4;
    }
    t += 2 * this.decision(39);
    t += this.decision(39);
    return t;
  }

  private mvdCabac(base: number, inc: number): number {
    if (this.decision(base + inc) === 0) return 0;
    let v = 1;
    while (v < 9 && this.decision(base + (v >= 4 ? 6 : v + 2)) === 1) v++;
    if (v >= 9) {
      let k = 3;
      while (this.bypass() === 1) {
        v += 1 << k;
        if (++k > 24) throw new BadSyntax('mvd suffix too long');
      }
      while (k-- > 0) v += this.bypass() << k;
    }
    this.bypass(); // sign
    return v;
  }

  private chromaPredCabac(): number {
    const inc = this.chromaPredCond(this.mbA()) + this.chromaPredCond(this.mbB());
    if (this.decision(64 + inc) === 0) return 0;
    if (this.decision(67) === 0) return 1;
    return this.decision(67) === 0 ? 2 : 3;
  }

  /** condTermFlagN of intra_chroma_pred_mode, §9.3.3.1.1.8. */
  private chromaPredCond(mb: number): number {
    return mb >= 0 &&
      ((this.flags[mb] as number) & (INTRA | PCM)) === INTRA &&
      (this.chromaPred[mb] as number) !== 0
      ? 1
      : 0;
  }

  private cbpCabac(): number {
    let luma = 0;
    for (let b8 = 0; b8 < 4; b8++) {
      const x = (b8 & 1) * 8;
      const y = (b8 >> 1) * 8;
      const inc =
        this.cbpLumaCond(this.neighbour(x - 1, y, 16, 16), luma) +
        2 * this.cbpLumaCond(this.neighbour(x, y - 1, 16, 16), luma);
      luma |= this.decision(73 + inc) << b8;
    }
    let chroma = 0;
    if (this.chromaArrayType === 1 || this.chromaArrayType === 2) {
      const a = this.mbA();
      const b = this.mbB();
      if (
        this.decision(77 + this.cbpChromaCond(a, false) + 2 * this.cbpChromaCond(b, false)) === 1
      ) {
        chroma =
          1 + this.decision(77 + 4 + this.cbpChromaCond(a, true) + 2 * this.cbpChromaCond(b, true));
      }
    }
    return luma | (chroma << 4);
  }

  /** condTermFlagN of the luma prefix of coded_block_pattern, §9.3.3.1.1.4 (`luma`: this MB's bins so far). */
  private cbpLumaCond(mb: number, luma: number): number {
    if (mb < 0) return 0;
    const bN = ((this.nyW >> 3) << 1) | (this.nxW >> 3);
    if (mb === this.curr) return ((luma >> bN) & 1) === 0 ? 1 : 0;
    const f = this.flags[mb] as number;
    if ((f & PCM) !== 0) return 0;
    if ((f & SKIP) === 0 && (((this.cbp[mb] as number) >> bN) & 1) !== 0) return 0;
    return 1;
  }

  /** condTermFlagN of the chroma suffix bins (`two`: the second bin), §9.3.3.1.1.4. */
  private cbpChromaCond(mb: number, two: boolean): number {
    if (mb < 0) return 0;
    const f = this.flags[mb] as number;
    if ((f & PCM) !== 0) return 1;
    if ((f & SKIP) !== 0) return 0;
    const c = (this.cbp[mb] as number) >> 4;
    return (two ? c === 2 : c !== 0) ? 1 : 0;
  }

  private cbpCavlc(intra: boolean): number {
    const code = this.ue();
    const mono = this.chromaArrayType === 0 || this.chromaArrayType === 3;
    const table = mono ? (intra ? CBP_INTRA_MONO : CBP_INTER_MONO) : intra ? CBP_INTRA : CBP_INTER;
    const cbp = table[code];
    if (cbp === undefined) throw new BadSyntax('coded_block_pattern out of range');
    return (cbp & 15) | ((cbp >> 4) << 4);
  }

  private qpDeltaCabac(): number {
    const prev = this.curr - 1;
    let inc = 0;
    if (prev >= 0 && ((this.flags[prev] as number) & AVAIL) !== 0 && this.prevQpDeltaNonZero)
      inc = 1;
    if (this.decision(60 + inc) === 0) return 0;
    let k = 1;
    let ctx = 62;
    while (this.decision(ctx) === 1) {
      k++;
      ctx = 63;
      if (k > 128) throw new BadSyntax('mb_qp_delta too large');
    }
    return k % 2 === 1 ? (k + 1) / 2 : -k / 2;
  }

  // ---- residual(), §7.3.5.3 ----

  private residual(i16: boolean, cbpLuma: number, cbpChroma: number, t8x8: boolean): void {
    this.residualLuma(0, i16, cbpLuma, t8x8);
    const cat = this.chromaArrayType;
    if (cat === 1 || cat === 2) {
      const dcCoeffs = 4 * this.numC8x8;
      for (let c = 0; c < 2; c++) {
        if ((cbpChroma & 3) !== 0) {
          const n = this.cabac
            ? this.blockCabac(3, this.chromaDcCbfInc(c), 0, dcCoeffs - 1)
            : this.blockCavlc(cat === 1 ? -1 : -2, dcCoeffs);
          if (n > 0) this.dcCbf[this.curr] = (this.dcCbf[this.curr] as number) | (2 << c);
        }
      }
      for (let c = 0; c < 2; c++) {
        if ((cbpChroma & 2) === 0) continue;
        for (let blk = 0; blk < 4 * this.numC8x8; blk++) {
          const x = (blk & 1) * 4;
          const y = (blk >> 1) * 4;
          const n = this.cabac
            ? this.blockCabac(4, this.chromaAcCbfInc(c, x, y), 0, 14)
            : this.blockCavlc(this.chromaNc(c, x, y), 15);
          this.nz[this.curr * 48 + 16 * (1 + c) + blk] = this.cabac ? (n > 0 ? 1 : 0) : n;
        }
      }
    } else if (cat === 3) {
      this.residualLuma(1, i16, cbpLuma, t8x8);
      this.residualLuma(2, i16, cbpLuma, t8x8);
    }
  }

  /** residual_luma() for colour component p (0 Y, 1 Cb, 2 Cr of 4:4:4). */
  private residualLuma(p: number, i16: boolean, cbpLuma: number, t8x8: boolean): void {
    const addr = this.curr;
    const catDc = CAT_DC[p] as number;
    const catAc = CAT_AC[p] as number;
    const cat4x4 = CAT_4X4[p] as number;
    const cat8x8 = CAT_8X8[p] as number;
    if (i16) {
      const n = this.cabac
        ? this.blockCabac(catDc, this.dcCbfInc(p), 0, 15)
        : this.blockCavlc(this.lumaNc(p, 0, 0), 16);
      if (n > 0) this.dcCbf[addr] = (this.dcCbf[addr] as number) | (1 << p);
    }
    for (let b8 = 0; b8 < 4; b8++) {
      if (((cbpLuma >> b8) & 1) === 0) continue;
      const x8 = (b8 & 1) * 8;
      const y8 = (b8 >> 1) * 8;
      if (t8x8 && this.cabac) {
        let n: number;
        if (this.chromaArrayType === 3) {
          const inc = this.cbf8x8Inc(p, x8, y8);
          n = this.blockCabac(cat8x8, inc, 0, 63);
        } else {
          n = this.blockCabac(cat8x8, -1, 0, 63); // coded_block_flag inferred 1 (§7.4.5.3.3)
        }
        const v = n > 0 ? 1 : 0;
        const base = addr * 48 + p * 16 + (y8 >> 2) * 4 + (x8 >> 2);
        this.nz[base] = v;
        this.nz[base + 1] = v;
        this.nz[base + 4] = v;
        this.nz[base + 5] = v;
        continue;
      }
      for (let i = 0; i < 4; i++) {
        const raster = BLK_RASTER[b8 * 4 + i] as number;
        const x = (raster & 3) * 4;
        const y = (raster >> 2) * 4;
        let n: number;
        if (this.cabac) {
          n = this.blockCabac(i16 ? catAc : cat4x4, this.cbf4x4Inc(p, x, y), 0, i16 ? 14 : 15);
          n = n > 0 ? 1 : 0;
        } else {
          // CAVLC codes an 8x8 transform block as four interleaved 4x4 blocks, each with its own nC.
          n = this.blockCavlc(this.lumaNc(p, x, y), i16 ? 15 : 16);
        }
        this.nz[addr * 48 + p * 16 + raster] = n;
      }
    }
  }

  // ---- CAVLC residual_block_cavlc(), §7.3.5.3.2 / §9.2 ----

  private nzAt(mb: number, offset: number): number {
    return this.nz[mb * 48 + offset + (this.nyW >> 2) * 4 + (this.nxW >> 2)] as number;
  }

  /** nC of a luma-like 4x4 block at (x, y) of component p, §9.2.1. */
  private lumaNc(p: number, x: number, y: number): number {
    const a = this.neighbour(x - 1, y, 16, 16);
    const nA = a >= 0 ? this.nzAt(a, p * 16) : -1;
    const b = this.neighbour(x, y - 1, 16, 16);
    const nB = b >= 0 ? this.nzAt(b, p * 16) : -1;
    return combineNc(nA, nB);
  }

  private chromaNc(c: number, x: number, y: number): number {
    const w = this.mbWidthC;
    const h = this.mbHeightC;
    const nA = this.chromaNzAt(this.neighbour(x - 1, y, w, h), c, -1);
    const nB = this.chromaNzAt(this.neighbour(x, y - 1, w, h), c, -1);
    return combineNc(nA, nB);
  }

  /** nz of the chroma 4x4 block of component c at (nxW, nyW) in macroblock `mb`, or `none` when mb < 0. */
  private chromaNzAt(mb: number, c: number, none: number): number {
    if (mb < 0) return none;
    return this.nz[mb * 48 + 16 * (1 + c) + (this.nyW >> 2) * 2 + (this.nxW >> 2)] as number;
  }

  /** Parses one CAVLC block; returns TotalCoeff. nC -1 / -2: chroma DC of 4:2:0 / 4:2:2. */
  private blockCavlc(nC: number, maxNumCoeff: number): number {
    let totalCoeff: number;
    let trailingOnes: number;
    if (nC >= 8) {
      const code = this.bits(6);
      if (code === 3) return 0;
      totalCoeff = (code >> 2) + 1;
      trailingOnes = code & 3;
      if (trailingOnes > totalCoeff) throw new BadSyntax('invalid coeff_token');
    } else {
      const table =
        nC === -1
          ? COEFF_TOKEN_CHROMA_DC
          : nC === -2
            ? COEFF_TOKEN_CHROMA_DC_422
            : (COEFF_TOKEN[nC < 2 ? 0 : nC < 4 ? 1 : 2] as VlcTable);
      const symbol = this.vlc(table);
      totalCoeff = symbol >> 2;
      trailingOnes = symbol & 3;
    }
    if (totalCoeff === 0) return 0;
    if (totalCoeff > maxNumCoeff) throw new BadSyntax('TotalCoeff above maxNumCoeff');
    let suffixLength = totalCoeff > 10 && trailingOnes < 3 ? 1 : 0;
    for (let i = 0; i < totalCoeff; i++) {
      if (i < trailingOnes) {
        this.bit(); // trailing_ones_sign_flag
        continue;
      }
      let prefix = 0;
      while (this.bit() === 0) {
        if (++prefix > 32) throw new BadSyntax('level_prefix too long');
      }
      let levelCode = Math.min(15, prefix) << suffixLength;
      const suffixSize =
        prefix === 14 && suffixLength === 0 ? 4 : prefix >= 15 ? prefix - 3 : suffixLength;
      if (suffixSize > 0) levelCode += this.bits(suffixSize);
      if (prefix >= 15 && suffixLength === 0) levelCode += 15;
      if (prefix >= 16) levelCode += (1 << (prefix - 3)) - 4096;
      if (i === trailingOnes && trailingOnes < 3) levelCode += 2;
      const level = levelCode % 2 === 0 ? (levelCode + 2) / 2 : (-levelCode - 1) / 2;
      if (suffixLength === 0) suffixLength = 1;
      if (Math.abs(level) > 3 << (suffixLength - 1) && suffixLength < 6) suffixLength++;
    }
    let zerosLeft = 0;
    if (totalCoeff < maxNumCoeff) {
      const table =
        maxNumCoeff === 4
          ? TOTAL_ZEROS_CHROMA_DC[totalCoeff - 1]
          : maxNumCoeff === 8
            ? TOTAL_ZEROS_CHROMA_DC_422[totalCoeff - 1]
            : TOTAL_ZEROS[totalCoeff - 1];
      if (!table) throw new BadSyntax('no total_zeros table');
      zerosLeft = this.vlc(table);
      if (zerosLeft > maxNumCoeff - totalCoeff) throw new BadSyntax('total_zeros too large');
    }
    for (let i = 0; i < totalCoeff - 1 && zerosLeft > 0; i++) {
      const run = this.vlc(RUN_BEFORE[Math.min(zerosLeft, 7) - 1] as VlcTable);
      if (run > zerosLeft) throw new BadSyntax('run_before above zerosLeft');
      zerosLeft -= run;
    }
    return totalCoeff;
  }

  // ---- CABAC residual_block_cabac(), §7.3.5.3.3, ctxIdxInc §9.3.3.1.1.9 and §9.3.3.1.3 ----

  private currIntra(): number {
    return ((this.flags[this.curr] as number) & INTRA) !== 0 ? 1 : 0;
  }

  /** condTermFlagN common part: -1 when the rule needs the block itself. */
  private cbfCommon(mb: number): number {
    if (mb < 0) return this.currIntra();
    const f = this.flags[mb] as number;
    if ((f & PCM) !== 0) return 1;
    if ((f & SKIP) !== 0) return 0;
    return -1;
  }

  private dcCbfInc(p: number): number {
    return this.dcCbfCond(this.mbA(), p) + 2 * this.dcCbfCond(this.mbB(), p);
  }

  private dcCbfCond(mb: number, p: number): number {
    const c = this.cbfCommon(mb);
    if (c >= 0) return c;
    if (((this.flags[mb] as number) & I16) === 0) return 0;
    return ((this.dcCbf[mb] as number) >> p) & 1;
  }

  private chromaDcCbfInc(c: number): number {
    return this.chromaDcCbfCond(this.mbA(), c) + 2 * this.chromaDcCbfCond(this.mbB(), c);
  }

  private chromaDcCbfCond(mb: number, c: number): number {
    const k = this.cbfCommon(mb);
    if (k >= 0) return k;
    if ((this.cbp[mb] as number) >> 4 === 0) return 0;
    return ((this.dcCbf[mb] as number) >> (1 + c)) & 1;
  }

  private chromaAcCbfInc(c: number, x: number, y: number): number {
    // A block inside the macroblock (its AC blocks are all present: CodedBlockPatternChroma 2): its own flag.
    const own = this.curr * 48 + 16 * (1 + c) + (y >> 2) * 2 + (x >> 2);
    const a =
      x > 0
        ? (this.nz[own - 1] as number)
        : this.chromaAcCbfCond(this.neighbour(x - 1, y, this.mbWidthC, this.mbHeightC), c);
    const b =
      y > 0
        ? (this.nz[own - 2] as number)
        : this.chromaAcCbfCond(this.neighbour(x, y - 1, this.mbWidthC, this.mbHeightC), c);
    return a + 2 * b;
  }

  private chromaAcCbfCond(mb: number, c: number): number {
    const k = this.cbfCommon(mb);
    if (k >= 0) return k;
    if ((this.cbp[mb] as number) >> 4 !== 2) return 0;
    return this.chromaNzAt(mb, c, 0);
  }

  private cbf4x4Inc(p: number, x: number, y: number): number {
    // A block inside the macroblock: its own coded_block_flag (0 for the blocks of uncoded 8x8 quadrants).
    const own = this.curr * 48 + p * 16 + (y >> 2) * 4 + (x >> 2);
    const a =
      x > 0 ? (this.nz[own - 1] as number) : this.cbf4x4Cond(this.neighbour(x - 1, y, 16, 16), p);
    const b =
      y > 0 ? (this.nz[own - 4] as number) : this.cbf4x4Cond(this.neighbour(x, y - 1, 16, 16), p);
    return a + 2 * b;
  }

  private cbf4x4Cond(mb: number, p: number): number {
    const k = this.cbfCommon(mb);
    if (k >= 0) return k;
    const b8 = ((this.nyW >> 3) << 1) | (this.nxW >> 3);
    const luma = mb === this.curr ? 15 : (this.cbp[mb] as number) & 15; // own blocks: nz is 0 when uncoded
    if (((luma >> b8) & 1) === 0) return 0;
    return this.nzAt(mb, p * 16) > 0 ? 1 : 0;
  }

  private cbf8x8Inc(p: number, x: number, y: number): number {
    return (
      this.cbf8x8Cond(this.neighbour(x - 1, y, 16, 16), p) +
      2 * this.cbf8x8Cond(this.neighbour(x, y - 1, 16, 16), p)
    );
  }

  private cbf8x8Cond(mb: number, p: number): number {
    const k = this.cbfCommon(mb);
    if (k >= 0) return k;
    const b8 = ((this.nyW >> 3) << 1) | (this.nxW >> 3);
    const f = this.flags[mb] as number;
    const luma = mb === this.curr ? 15 : (this.cbp[mb] as number) & 15;
    if (((luma >> b8) & 1) === 0 || (f & T8X8) === 0) return 0;
    return this.nzAt(mb, p * 16) > 0 ? 1 : 0;
  }

  /**
   * residual_block_cabac() of ctxBlockCat `cat` with coefficients startIdx..endIdx; `cbfInc` < 0: the
   * coded_block_flag is inferred 1. Returns the number of non-zero coefficients.
   */
  private blockCabac(cat: number, cbfInc: number, startIdx: number, endIdx: number): number {
    if (cbfInc >= 0 && this.decision((CBF_BASE[cat] as number) + cbfInc) === 0) return 0;
    const count = this.significanceMap(cat, startIdx, endIdx);
    this.levels(cat, count);
    return count;
  }

  // The significance map and the levels are most of a slice's bins. In a fresh process their loops run
  // interpreted until V8 optimises them, so they keep the arithmetic decoder in locals and inline
  // DecodeDecision (§9.3.3.2.1) with RenormD (§9.3.3.2.2) and DecodeBypass (§9.3.3.2.3): the same steps as
  // `decision` / `renorm` / `bypass`.

  /**
   * significant_coeff_flag[i] for i in startIdx..endIdx - 1, each 1 followed by last_significant_coeff_flag[i];
   * returns the number of significant coefficients (numDecodAbsLevel).
   */
  private significanceMap(cat: number, startIdx: number, endIdx: number): number {
    const field = this.fieldPic || this.isField(this.curr);
    const sigBase = (field ? SIG_FIELD : SIG_FRAME)[cat] as number;
    const lastBase = (field ? LAST_FIELD : LAST_FRAME)[cat] as number;
    let sigInc: Uint8Array;
    let lastInc: Uint8Array;
    if (cat === 3) sigInc = lastInc = this.numC8x8 === 1 ? INC_CHROMA_DC_420 : INC_CHROMA_DC_422;
    else if (cat === 5 || cat === 9 || cat === 13) {
      sigInc = field ? SIG_8X8_FIELD : SIG_8X8_FRAME;
      lastInc = LAST_8X8;
    } else sigInc = lastInc = INC_4X4;

    const states = this.states;
    const data = this.data;
    const limit = this.limit;
    const rangeTabLps = RANGE_TAB_LPS;
    const nextMps = NEXT_STATE_MPS;
    const nextLps = NEXT_STATE_LPS;
    const renormShift = RENORM_SHIFT;
    let range = this.range;
    let offset = this.offset;
    let pos = this.pos;
    let bin: number;
    let count = 0;
    let i = startIdx;
    for (; i < endIdx; i++) {
      {
        const ctx = sigBase + (sigInc[i] as number);
        const s = states[ctx] as number;
        const lps = rangeTabLps[((s >> 1) << 2) | ((range >> 6) & 3)] as number;
        range -= lps;
        bin = s & 1;
        if (offset < range) {
          states[ctx] = nextMps[s] as number;
        } else {
          offset -= range;
          range = lps;
          bin ^= 1;
          states[ctx] = nextLps[s] as number;
        }
        if (range < 256) {
          const n = renormShift[range] as number;
          if (pos + n > limit) throw new OutOfBits(PAST_THE_END);
          const window = ((data[pos >> 3] as number) << 8) | (data[(pos >> 3) + 1] as number);
          offset = (offset << n) | ((window >> (16 - (pos & 7) - n)) & ((1 << n) - 1));
          range <<= n;
          pos += n;
        }
      }
      if (bin === 0) continue;
      count++;
      {
        const ctx = lastBase + (lastInc[i] as number);
        const s = states[ctx] as number;
        const lps = rangeTabLps[((s >> 1) << 2) | ((range >> 6) & 3)] as number;
        range -= lps;
        bin = s & 1;
        if (offset < range) {
          states[ctx] = nextMps[s] as number;
        } else {
          offset -= range;
          range = lps;
          bin ^= 1;
          states[ctx] = nextLps[s] as number;
        }
        if (range < 256) {
          const n = renormShift[range] as number;
          if (pos + n > limit) throw new OutOfBits(PAST_THE_END);
          const window = ((data[pos >> 3] as number) << 8) | (data[(pos >> 3) + 1] as number);
          offset = (offset << n) | ((window >> (16 - (pos & 7) - n)) & ((1 << n) - 1));
          range <<= n;
          pos += n;
        }
      }
      if (bin === 1) break;
    }
    this.range = range;
    this.offset = offset;
    this.pos = pos;
    // Without a last flag of 1, the coefficient at endIdx is significant.
    return i === endIdx ? count + 1 : count;
  }

  /** coeff_abs_level_minus1 (prefix TU with cMax 14, then a UEG0 suffix) and coeff_sign_flag of `count` coefficients. */
  private levels(cat: number, count: number): void {
    const absBase = ABS_BASE[cat] as number;
    const gt1Max = cat === 3 ? 3 : 4;
    let eq1 = 0;
    let gt1 = 0;
    for (let k = 0; k < count; k++) {
      // ctxIdxInc §9.3.3.1.3: the first bin from the levels decoded so far, the others 5 + Min(gt1, gt1Max).
      let value = this.levelPrefix(
        absBase + (gt1 !== 0 ? 0 : eq1 < 3 ? 1 + eq1 : 4),
        absBase + 5 + (gt1 < gt1Max ? gt1 : gt1Max),
      );
      if (value === 14) {
        // UEG0 suffix, bypass coded
        let e = 0;
        while (this.bypass() === 1) {
          value += 1 << e;
          if (++e > 30) throw new BadSyntax('coeff_abs_level_minus1 suffix too long');
        }
        while (e-- > 0) value += this.bypass() << e;
      }
      this.bypass(); // coeff_sign_flag
      if (value === 0) eq1++;
      else gt1++;
    }
  }

  /**
   * The prefix of coeff_abs_level_minus1, truncated unary with cMax 14 (§9.3.2.3): the first bin with context
   * `ctx`, the others with `ctxRest`. Most bins of a high-rate slice are these.
   */
  private levelPrefix(ctx: number, ctxRest: number): number {
    const states = this.states;
    const data = this.data;
    const limit = this.limit;
    const rangeTabLps = RANGE_TAB_LPS;
    const nextMps = NEXT_STATE_MPS;
    const nextLps = NEXT_STATE_LPS;
    const renormShift = RENORM_SHIFT;
    let range = this.range;
    let offset = this.offset;
    let pos = this.pos;
    let bin: number;
    let value = 0;
    for (;;) {
      const s = states[ctx] as number;
      const lps = rangeTabLps[((s >> 1) << 2) | ((range >> 6) & 3)] as number;
      range -= lps;
      bin = s & 1;
      if (offset < range) {
        states[ctx] = nextMps[s] as number;
      } else {
        offset -= range;
        range = lps;
        bin ^= 1;
        states[ctx] = nextLps[s] as number;
      }
      if (range < 256) {
        const n = renormShift[range] as number;
        if (pos + n > limit) throw new OutOfBits(PAST_THE_END);
        const window = ((data[pos >> 3] as number) << 8) | (data[(pos >> 3) + 1] as number);
        offset = (offset << n) | ((window >> (16 - (pos & 7) - n)) & ((1 << n) - 1));
        range <<= n;
        pos += n;
      }
      if (bin === 0) break;
      value++;
      if (value === 14) break;
      ctx = ctxRest;
    }
    this.range = range;
    this.offset = offset;
    this.pos = pos;
    return value;
  }
}

function combineNc(nA: number, nB: number): number {
  if (nA >= 0 && nB >= 0) return (nA + nB + 1) >> 1;
  if (nA >= 0) return nA;
  if (nB >= 0) return nB;
  return 0;
}

/**
 * Walks the slice data of one slice NAL unit (header byte included, emulation-prevention bytes present) to its
 * end, H.264 §7.3.4: 'complete' when the data ends exactly where the syntax ends, 'truncated' when the bits run
 * out (or the data is damaged) first, 'unsupported' for features the walker does not parse and for any
 * unexpected fault of its own (a walker that cannot judge a slice never calls it cut short). Never throws.
 */
export function walkSliceData(
  nal: Uint8Array,
  sets: SliceDataParameterSets,
  options: WalkOptions = {},
): SliceDataResult {
  let firstMb = 0;
  let walker: Walker | undefined;
  try {
    if (nal.length < 2)
      return { status: 'truncated', macroblocks: 0, firstMb, reason: 'empty NAL unit' };
    const nalType = (nal[0] as number) & 0x1f;
    const nalRefIdc = ((nal[0] as number) >> 5) & 3;
    if (nalType === 2 || nalType === 3 || nalType === 4) {
      return unsupported(firstMb, `data partitioning (nal_unit_type ${nalType})`);
    }
    if (nalType !== 1 && nalType !== 5) return unsupported(firstMb, `nal_unit_type ${nalType}`);
    const { rbsp, padded } = sliceRbsp(nal);
    const r = new BitReader(rbsp);
    firstMb = r.ue();
    const sliceType = r.ue() % 5;
    const ppsId = r.ue();
    const storedPps = sets.storedPps(ppsId);
    if (!storedPps) return unsupported(firstMb, `PPS ${ppsId} not received`);
    const pps = storedPps.pps;
    const storedSps = sets.storedSps(pps.spsId);
    if (!storedSps) return unsupported(firstMb, `SPS ${pps.spsId} not received`);
    const sps = storedSps.sps;
    if (pps.numSliceGroups > 1) return unsupported(firstMb, 'slice groups (FMO)');
    if (sliceType === 3 || sliceType === 4) return unsupported(firstMb, 'SP/SI slices');
    const headerReader = new BitReader(rbsp);
    const header = parseFullSliceHeader(headerReader, nalType, nalRefIdc, sps, pps);
    walker = new Walker(
      padded,
      rbsp.length,
      headerReader.bitOffset,
      header,
      sps,
      pps,
      pps.transform8x8Mode,
      sps.direct8x8Inference,
      options.onMacroblock,
    );
    walker.run(header);
    return walker.finish(firstMb);
  } catch (error) {
    const macroblocks = walker?.count ?? 0;
    if (error instanceof OutOfBits || error instanceof EndOfDataError) {
      return {
        status: 'truncated',
        macroblocks,
        firstMb,
        reason: `bits ran out: ${error.message}`,
      };
    }
    if (error instanceof BadSyntax || error instanceof RangeError) {
      const reason = `invalid slice data: ${error.message}`;
      return { status: 'truncated', macroblocks, firstMb, reason };
    }
    // Unsupported syntax, or a fault of the walker itself: it cannot judge the slice, so the frame is kept.
    const reason = error instanceof Unsupported ? error.message : `walker error: ${String(error)}`;
    return unsupported(firstMb, reason, macroblocks);
  }
}

/**
 * The RBSP of a slice NAL unit after its header byte (emulation prevention removed, §7.4.1), as `rbsp`
 * and as `padded`, the same bytes followed by 2 zero bytes: the CABAC engine reads two bytes at a time.
 */
function sliceRbsp(nal: Uint8Array): { rbsp: Uint8Array; padded: Uint8Array } {
  const rbsp = unescapeRbsp(nal.subarray(1));
  const padded = new Uint8Array(rbsp.length + 2);
  padded.set(rbsp);
  return { rbsp: padded.subarray(0, rbsp.length), padded };
}

function unsupported(firstMb: number, reason: string, macroblocks = 0): SliceDataResult {
  return { status: 'unsupported', macroblocks, firstMb, reason };
}
