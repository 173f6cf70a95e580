/**
 * Human-readable details of one frame and of the SPS/PPS it uses, for the inspector's frame view.
 * Parameter sets come from the init segment's AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1).
 */
import {
  levelName,
  NalType,
  parsePps,
  parseSps,
  profileName,
  reorderDepth,
  maxDpbFrames,
  parameterSetsOf,
} from '../core/index.js';
import type { InitSegment, Pps, SampleInfo, Sps, StreamInfo } from '../core/index.js';

/** nal_unit_type names, H.264 Table 7-1. */
export function nalTypeName(type: number): string {
  const name = NalType[type];
  return name === undefined ? `reserved (${type})` : name;
}

export interface ParameterSetDetails {
  readonly sps: Sps | undefined;
  readonly pps: Pps | undefined;
  readonly rows: readonly [string, string][];
}

function yesNo(b: boolean): string {
  return b ? 'yes' : 'no';
}

/**
 * The reorder bound twice: as the stream's own SPS declares it, and as the SPS in the avcC (`written`, what the
 * decoder gets) declares it, which the core completes with a bitstream_restriction where the stream has none.
 */
function reorderRows(written: Sps, info: StreamInfo): [string, string][] {
  const stream = info.streamDeclaresReorder
    ? `${info.streamReorderDepth} (max_num_reorder_frames)`
    : `${info.streamReorderDepth} (none declared: the spec's bound, §E.2.1)`;
  const decoder = !written.vui?.bitstreamRestriction
    ? `${reorderDepth(written)} (none declared: the spec's bound, §E.2.1)`
    : info.streamDeclaresReorder
      ? `${reorderDepth(written)} (the stream's own)`
      : `${reorderDepth(written)} (max_num_reorder_frames written into the SPS)`;
  return [
    ['Reorder depth, declared by the stream', stream],
    ['Reorder depth, written for the decoder', decoder],
  ];
}

export function describeParameterSets(init: InitSegment): ParameterSetDetails {
  const sets = parameterSetsOf(init.description);
  let sps: Sps | undefined;
  let pps: Pps | undefined;
  try {
    if (sets.sps[0]) sps = parseSps(sets.sps[0]);
    if (sets.pps[0]) pps = parsePps(sets.pps[0]);
  } catch {
    // A damaged parameter set: the rows say what could be read.
  }
  const rows: [string, string][] = [['Codec', init.codec]];
  if (sps) {
    const v = sps.vui;
    rows.push(
      [
        'Profile / level',
        `${profileName(sps)} (${sps.profileIdc}) / ${levelName(sps)} (${sps.levelIdc})`,
      ],
      ['Coded size', `${sps.codedWidth}×${sps.codedHeight}`],
      [
        'Cropping',
        `left ${sps.cropLeft}, right ${sps.cropRight}, top ${sps.cropTop}, bottom ${sps.cropBottom} → ${sps.width}×${sps.height}`,
      ],
      ['Chroma / depth', `chroma_format_idc ${sps.chromaFormatIdc}, ${sps.bitDepthLuma}-bit`],
      [
        'Frames / fields',
        sps.frameMbsOnly ? 'frames only' : `fields${sps.mbAdaptiveFrameField ? ' (MBAFF)' : ''}`,
      ],
      ['POC type', `${sps.picOrderCntType}, log2_max_frame_num ${sps.log2MaxFrameNum}`],
      ['Ref frames', `${sps.maxNumRefFrames} (DPB ${maxDpbFrames(sps)})`],
      ...reorderRows(sps, init.info),
    );
    if (v?.timingInfoPresent) {
      const fps = v.timeScale / (2 * v.numUnitsInTick);
      rows.push([
        'VUI timing',
        `time_scale ${v.timeScale} / num_units_in_tick ${v.numUnitsInTick} → ${fps.toFixed(3)} fps${v.fixedFrameRate ? ' (fixed)' : ''}`,
      ]);
    } else {
      rows.push(['VUI timing', 'absent']);
    }
    if (v) {
      rows.push(['SAR', `${v.sarWidth}:${v.sarHeight}`]);
      if (v.bitstreamRestriction)
        rows.push([
          'Bitstream restriction',
          `max_num_reorder_frames ${v.maxNumReorderFrames ?? '?'}, max_dec_frame_buffering ${v.maxDecFrameBuffering ?? '?'}`,
        ]);
    }
  }
  if (pps) {
    rows.push(
      ['Entropy coding', pps.entropyCodingModeFlag ? 'CABAC' : 'CAVLC'],
      [
        'PPS',
        `id ${pps.id} (SPS ${pps.spsId}), ${pps.numSliceGroups} slice group(s), weighted P ${yesNo(pps.weightedPredFlag)}, bipred ${pps.weightedBipredIdc}`,
      ],
    );
  }
  return { sps, pps, rows };
}

/** The frame's own rows: picture type, numbering and times. */
export function describeFrame(s: SampleInfo, timescale: number): [string, string][] {
  const seconds = (t: number): string => `${t} (${(t / timescale).toFixed(3)} s)`;
  return [
    ['Frame', `#${s.index} (decode order)`],
    [
      'Type',
      `${s.pictureType}${s.recoveryPoint ? ', recovery point' : ''}${s.keyframe ? ', keyframe' : ''}`,
    ],
    ['Size', `${s.size} bytes`],
    ['nal_ref_idc', String(s.nalRefIdc)],
    ['frame_num', String(s.frameNum)],
    ['POC', String(s.poc)],
    ['PTS', seconds(s.pts)],
    ['DTS', seconds(s.dts)],
  ];
}
