import { BitReader, unescapeRbsp } from '../bytes/bit-reader.js';

export interface VuiParameters {
  readonly sarWidth: number;
  readonly sarHeight: number;
  readonly videoFullRange: boolean;
  readonly colourPrimaries: number;
  readonly transferCharacteristics: number;
  readonly matrixCoefficients: number;
  readonly timingInfoPresent: boolean;
  readonly numUnitsInTick: number;
  readonly timeScale: number;
  readonly fixedFrameRate: boolean;
  readonly picStructPresent: boolean;
  readonly bitstreamRestriction: boolean;
  readonly maxNumReorderFrames: number | undefined;
  readonly maxDecFrameBuffering: number | undefined;
  /** Where its parts start, in bits from the start of the RBSP after the NAL header byte (for the SPS writer). */
  readonly layout: VuiLayout;
}

/** Bit offsets of the parts of vui_parameters() (§E.1.1) in the SPS RBSP after the NAL header byte. */
export interface VuiLayout {
  /** timing_info_present_flag. */
  readonly timing: number;
  /** nal_hrd_parameters_present_flag. */
  readonly hrd: number;
  /** bitstream_restriction_flag (or where it would be, when the VUI ends before it). */
  readonly restriction: number;
  /** The first bit after vui_parameters(). */
  readonly end: number;
}

/** Sequence parameter set, H.264 §7.3.2.1.1. */
export interface Sps {
  readonly profileIdc: number;
  /** constraint_set0..5 flags and reserved bits as one byte (for avcC and the codec string). */
  readonly constraintFlags: number;
  readonly levelIdc: number;
  readonly id: number;
  readonly chromaFormatIdc: number;
  readonly separateColourPlane: boolean;
  readonly bitDepthLuma: number;
  readonly bitDepthChroma: number;
  readonly log2MaxFrameNum: number;
  readonly picOrderCntType: number;
  readonly log2MaxPocLsb: number;
  readonly deltaPicOrderAlwaysZero: boolean;
  readonly offsetForNonRefPic: number;
  readonly offsetForTopToBottomField: number;
  readonly offsetForRefFrame: readonly number[];
  readonly maxNumRefFrames: number;
  readonly picWidthInMbs: number;
  readonly picHeightInMapUnits: number;
  readonly frameMbsOnly: boolean;
  readonly mbAdaptiveFrameField: boolean;
  /** direct_8x8_inference_flag (B_Skip/B_Direct motion vectors per 8x8 block, §8.4.1.2). */
  readonly direct8x8Inference: boolean;
  readonly codedWidth: number;
  readonly codedHeight: number;
  readonly cropLeft: number;
  readonly cropRight: number;
  readonly cropTop: number;
  readonly cropBottom: number;
  /** Size after frame cropping (§7.4.2.1.1). */
  readonly width: number;
  readonly height: number;
  readonly vui: VuiParameters | undefined;
  /** Bit offset of vui_parameters_present_flag in the RBSP after the NAL header byte (for the SPS writer). */
  readonly vuiAt: number;
}

/** Profiles whose SPS carries chroma_format_idc and bit depths (§7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Table E-1: sample aspect ratios for aspect_ratio_idc 1..16. */
const SAR_TABLE: readonly (readonly [number, number])[] = [
  [0, 0],
  [1, 1],
  [12, 11],
  [10, 11],
  [16, 11],
  [40, 33],
  [24, 11],
  [20, 11],
  [32, 11],
  [80, 33],
  [18, 11],
  [15, 11],
  [64, 33],
  [160, 99],
  [4, 3],
  [3, 2],
  [2, 1],
];

/** Parses an SPS NAL unit (header byte included). Throws EndOfDataError on a short unit. */
export function parseSps(nal: Uint8Array): Sps {
  const r = new BitReader(unescapeRbsp(nal).subarray(1));
  const profileIdc = r.bits(8);
  const constraintFlags = r.bits(8);
  const levelIdc = r.bits(8);
  const id = r.ue();
  if (id > 31) throw new RangeError(`seq_parameter_set_id ${id} out of range`);
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.ue();
    if (chromaFormatIdc > 3)
      throw new RangeError(`chroma_format_idc ${chromaFormatIdc} is outside 0..3`);
    if (chromaFormatIdc === 3) separateColourPlane = r.flag();
    bitDepthLuma = r.ue() + 8;
    bitDepthChroma = r.ue() + 8;
    r.skip(1); // qpprime_y_zero_transform_bypass_flag
    if (r.flag()) {
      // seq_scaling_matrix_present_flag: scaling_list() for 8 or 12 lists (§7.3.2.1.1.1)
      const lists = chromaFormatIdc === 3 ? 12 : 8;
      for (let i = 0; i < lists; i++) {
        if (r.flag()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }
  const log2MaxFrameNum = r.ue() + 4;
  const picOrderCntType = r.ue();
  let log2MaxPocLsb = 0;
  let deltaPicOrderAlwaysZero = false;
  let offsetForNonRefPic = 0;
  let offsetForTopToBottomField = 0;
  const offsetForRefFrame: number[] = [];
  if (picOrderCntType === 0) {
    log2MaxPocLsb = r.ue() + 4;
  } else if (picOrderCntType === 1) {
    deltaPicOrderAlwaysZero = r.flag();
    offsetForNonRefPic = r.se();
    offsetForTopToBottomField = r.se();
    const cycle = r.ue();
    if (cycle > 255)
      throw new RangeError(`num_ref_frames_in_pic_order_cnt_cycle ${cycle} is outside 0..255`);
    for (let i = 0; i < cycle; i++) offsetForRefFrame.push(r.se());
  } else if (picOrderCntType !== 2) {
    throw new RangeError(`pic_order_cnt_type ${picOrderCntType} out of range`);
  }
  // u(v) fields of slice headers are at most 32 bits; validateSps holds them to the spec's 16.
  if (log2MaxFrameNum > 32 || log2MaxPocLsb > 32) throw new RangeError('log2 field out of range');
  const maxNumRefFrames = r.ue();
  r.skip(1); // gaps_in_frame_num_value_allowed_flag
  const picWidthInMbs = r.ue() + 1;
  const picHeightInMapUnits = r.ue() + 1;
  const frameMbsOnly = r.flag();
  const mbAdaptiveFrameField = frameMbsOnly ? false : r.flag();
  const direct8x8Inference = r.flag();
  let cropLeft = 0;
  let cropRight = 0;
  let cropTop = 0;
  let cropBottom = 0;
  if (r.flag()) {
    cropLeft = r.ue();
    cropRight = r.ue();
    cropTop = r.ue();
    cropBottom = r.ue();
  }
  const vuiAt = r.bitOffset;
  const vui = r.flag() ? parseVui(r) : undefined;

  const codedWidth = picWidthInMbs * 16;
  const codedHeight = (frameMbsOnly ? 1 : 2) * picHeightInMapUnits * 16;
  // §7.4.2.1.1: crop units depend on ChromaArrayType and frame_mbs_only_flag.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (frameMbsOnly ? 1 : 2);
  const width = codedWidth - cropUnitX * (cropLeft + cropRight);
  const height = codedHeight - cropUnitY * (cropTop + cropBottom);
  if (width <= 0 || height <= 0 || picWidthInMbs > 1024 || picHeightInMapUnits > 1024) {
    throw new RangeError('picture size out of range');
  }
  return {
    profileIdc,
    constraintFlags,
    levelIdc,
    id,
    chromaFormatIdc,
    separateColourPlane,
    bitDepthLuma,
    bitDepthChroma,
    log2MaxFrameNum,
    picOrderCntType,
    log2MaxPocLsb,
    deltaPicOrderAlwaysZero,
    offsetForNonRefPic,
    offsetForTopToBottomField,
    offsetForRefFrame,
    maxNumRefFrames,
    picWidthInMbs,
    picHeightInMapUnits,
    frameMbsOnly,
    mbAdaptiveFrameField,
    direct8x8Inference,
    codedWidth,
    codedHeight,
    cropLeft,
    cropRight,
    cropTop,
    cropBottom,
    width,
    height,
    vui,
    vuiAt,
  };
}

/** scaling_list(), §7.3.2.1.1.1: only the syntax is consumed (delta_scale is -128..127, §7.4.2.1.1.1). */
export function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) {
      const delta = r.se();
      if (delta < -128 || delta > 127)
        throw new RangeError(`delta_scale ${delta} is outside -128..127`);
      next = (last + delta + 256) % 256;
    }
    last = next === 0 ? last : next;
  }
}

/** vui_parameters(), §E.1.1. */
function parseVui(r: BitReader): VuiParameters {
  let sarWidth = 1;
  let sarHeight = 1;
  if (r.flag()) {
    const idc = r.bits(8);
    if (idc === 255) {
      sarWidth = r.bits(16);
      sarHeight = r.bits(16);
    } else {
      const sar = SAR_TABLE[idc];
      if (sar && sar[0] > 0) [sarWidth, sarHeight] = sar;
    }
    if (sarWidth === 0 || sarHeight === 0) sarWidth = sarHeight = 1; // unspecified
  }
  if (r.flag()) r.skip(1); // overscan_info_present_flag → overscan_appropriate_flag
  let videoFullRange = false;
  let colourPrimaries = 2;
  let transferCharacteristics = 2;
  let matrixCoefficients = 2;
  if (r.flag()) {
    r.skip(3); // video_format
    videoFullRange = r.flag();
    if (r.flag()) {
      colourPrimaries = r.bits(8);
      transferCharacteristics = r.bits(8);
      matrixCoefficients = r.bits(8);
    }
  }
  if (r.flag()) {
    r.ue(); // chroma_sample_loc_type_top_field
    r.ue(); // chroma_sample_loc_type_bottom_field
  }
  const timingAt = r.bitOffset;
  const timingInfoPresent = r.flag();
  let numUnitsInTick = 0;
  let timeScale = 0;
  let fixedFrameRate = false;
  if (timingInfoPresent) {
    numUnitsInTick = r.bits(32);
    timeScale = r.bits(32);
    fixedFrameRate = r.flag();
  }
  const hrdAt = r.bitOffset;
  const nalHrd = r.flag();
  if (nalHrd) skipHrd(r);
  const vclHrd = r.flag();
  if (vclHrd) skipHrd(r);
  if (nalHrd || vclHrd) r.skip(1); // low_delay_hrd_flag
  const picStructPresent = r.flag();
  let bitstreamRestriction = false;
  let maxNumReorderFrames: number | undefined;
  let maxDecFrameBuffering: number | undefined;
  const restrictionAt = r.bitOffset;
  // Some encoders end the VUI early; bitstream_restriction is then absent.
  if (r.bitsLeft > 0 && r.flag()) {
    bitstreamRestriction = true;
    r.skip(1); // motion_vectors_over_pic_boundaries_flag
    r.ue(); // max_bytes_per_pic_denom
    r.ue(); // max_bits_per_mb_denom
    r.ue(); // log2_max_mv_length_horizontal
    r.ue(); // log2_max_mv_length_vertical
    maxNumReorderFrames = r.ue();
    maxDecFrameBuffering = r.ue();
  }
  return {
    sarWidth,
    sarHeight,
    videoFullRange,
    colourPrimaries,
    transferCharacteristics,
    matrixCoefficients,
    timingInfoPresent,
    numUnitsInTick,
    timeScale,
    fixedFrameRate,
    picStructPresent,
    bitstreamRestriction,
    maxNumReorderFrames,
    maxDecFrameBuffering,
    layout: { timing: timingAt, hrd: hrdAt, restriction: restrictionAt, end: r.bitOffset },
  };
}

/** hrd_parameters(), §E.1.2: only the syntax is consumed. */
function skipHrd(r: BitReader): void {
  const cpbCnt = r.ue() + 1;
  if (cpbCnt > 32) throw new RangeError('cpb_cnt_minus1 out of range');
  r.skip(8); // bit_rate_scale, cpb_size_scale
  for (let i = 0; i < cpbCnt; i++) {
    r.ue(); // bit_rate_value_minus1
    r.ue(); // cpb_size_value_minus1
    r.skip(1); // cbr_flag
  }
  r.skip(20); // initial_cpb_removal_delay_length_minus1 .. time_offset_length
}

/** Table A-1: MaxDpbMbs by level_idc (level 1b is level_idc 11 with constraint_set3, same value as 1.1's row is not: handled below). */
export const MAX_DPB_MBS: ReadonlyMap<number, number> = new Map([
  [9, 396],
  [10, 396],
  [11, 900],
  [12, 2376],
  [13, 2376],
  [20, 2376],
  [21, 4752],
  [22, 8100],
  [30, 8100],
  [31, 18000],
  [32, 20480],
  [40, 32768],
  [41, 32768],
  [42, 34816],
  [50, 110400],
  [51, 184320],
  [52, 184320],
  [60, 696320],
  [61, 696320],
  [62, 696320],
]);

/**
 * PicSizeInMbs (§7.4.3): PicWidthInMbs * FrameHeightInMbs (§7.4.2.1.1), halved for a field picture.
 * In an MBAFF frame this counts macroblocks, not pairs.
 */
export function picSizeInMbs(sps: Sps, fieldPic = false): number {
  const frameHeightInMbs = (sps.frameMbsOnly ? 1 : 2) * sps.picHeightInMapUnits;
  return (sps.picWidthInMbs * frameHeightInMbs) / (fieldPic ? 2 : 1);
}

/** MaxDpbFrames, §A.3.1 item h: Min(MaxDpbMbs / (PicWidthInMbs * FrameHeightInMbs), 16). */
export function maxDpbFrames(sps: Sps): number {
  const level1b =
    sps.levelIdc === 11 && (sps.constraintFlags & 0x10) !== 0 && sps.profileIdc !== 100;
  const mbs = level1b ? 396 : (MAX_DPB_MBS.get(sps.levelIdc) ?? 696320);
  return Math.max(1, Math.min(16, Math.floor(mbs / picSizeInMbs(sps))));
}

/** Intra-only profiles (§A.2.8-A.2.11, constraint_set3_flag): no picture waits for output (§E.2.1). */
function intraOnly(sps: Sps): boolean {
  return (
    [44, 86, 100, 110, 122, 244].includes(sps.profileIdc) && (sps.constraintFlags & 0x10) !== 0
  );
}

/** max_dec_frame_buffering as declared, or as §E.2.1 infers it when absent: 0 intra-only, else MaxDpbFrames. */
export function maxDecFrameBuffering(sps: Sps): number {
  return sps.vui?.maxDecFrameBuffering ?? (intraOnly(sps) ? 0 : maxDpbFrames(sps));
}

/**
 * Frames of reordering between decode and output order. §E.2.1: when max_num_reorder_frames is absent it is
 * inferred as MaxDpbFrames, or 0 for intra-only profiles (44, 86, 100, 110, 122, 244 with constraint_set3).
 * Baseline (no B slices) and pic_order_cnt_type 2 (output order equals decode order, §8.2.1.3) give 0.
 */
export function reorderDepth(sps: Sps): number {
  if (sps.vui?.maxNumReorderFrames !== undefined) return Math.min(16, sps.vui.maxNumReorderFrames);
  if (sps.picOrderCntType === 2) return 0;
  if (sps.profileIdc === 66) return 0;
  if (intraOnly(sps)) return 0;
  return maxDpbFrames(sps);
}

/** seq_parameter_set_id of an SPS unit (header byte included) without parsing the rest. */
export function peekSpsId(nal: Uint8Array): number {
  const r = new BitReader(unescapeRbsp(nal, 16).subarray(1));
  r.skip(24); // profile_idc, constraint flags, level_idc
  return r.ue();
}

const PROFILE_NAMES: ReadonlyMap<number, string> = new Map([
  [44, 'CAVLC 4:4:4 Intra'],
  [66, 'Baseline'],
  [77, 'Main'],
  [83, 'Scalable Baseline'],
  [86, 'Scalable High'],
  [88, 'Extended'],
  [100, 'High'],
  [110, 'High 10'],
  [118, 'Multiview High'],
  [122, 'High 4:2:2'],
  [128, 'Stereo High'],
  [244, 'High 4:4:4 Predictive'],
]);

/** Profile name as in Annex A, with the constrained/intra variants the constraint flags select. */
export function profileName(sps: Sps): string {
  const base = PROFILE_NAMES.get(sps.profileIdc) ?? `profile ${sps.profileIdc}`;
  if (sps.profileIdc === 66 && sps.constraintFlags & 0x40) return 'Constrained Baseline';
  if (sps.profileIdc === 100 && (sps.constraintFlags & 0x0c) === 0x0c) return 'Constrained High';
  if (sps.profileIdc === 100 && sps.constraintFlags & 0x08) return 'Progressive High';
  if ([110, 122, 244].includes(sps.profileIdc) && sps.constraintFlags & 0x10)
    return `${base} Intra`;
  return base;
}

/** Level as written in Annex A ("1b", "3.1", ...). */
export function levelName(sps: Sps): string {
  if (sps.levelIdc === 11 && sps.constraintFlags & 0x10 && [66, 77, 88].includes(sps.profileIdc))
    return '1b';
  if (sps.levelIdc === 9) return '1b';
  return (sps.levelIdc / 10).toFixed(1).replace(/\.0$/, '');
}

/** RFC 6381 codec string for ISO/IEC 14496-15 'avc1': avc1.PPCCLL (hex profile, constraint byte, level). */
export function codecString(sps: Sps): string {
  const hex = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0');
  return `avc1.${hex(sps.profileIdc)}${hex(sps.constraintFlags)}${hex(sps.levelIdc)}`;
}
