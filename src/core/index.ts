/** h264mux core: raw H.264 Annex-B → fragmented MP4. Pure TypeScript: no DOM, no Node. */
export { Transmuxer, DEFAULT_FPS, transmux } from './transmuxer.js';
export { H264ToMp4Stream } from './stream.js';
/** The frame rates the transmuxer accepts (`fps` option; VUI timing outside them counts as missing). */
export { MIN_FPS, MAX_FPS } from './h264/timing.js';
export { AccessUnitReader, type RawAccessUnit } from './access-unit-reader.js';
export {
  CodedError,
  H264MuxError,
  isH264MuxError,
  type H264MuxErrorCode,
  type H264MuxWarningCode,
  type ErrorData,
  type ErrorDetail,
} from './errors.js';
export type * from './types.js';
export { isRandomAccess } from './random-access.js';
export { sniffContainer, containerName, type ContainerGuess } from './detect.js';
export { AnnexBSplitter } from './h264/annexb.js';
export { findRecoveryPoint, type RecoveryPoint } from './h264/sei.js';
export { NalType, type NalUnit } from './h264/nal.js';
export {
  parseSps,
  codecString,
  profileName,
  levelName,
  reorderDepth,
  maxDpbFrames,
  type Sps,
  type VuiParameters,
} from './h264/sps.js';
export { parsePps, type Pps } from './h264/pps.js';
export { parseSliceHeader, SliceType, type SliceHeader } from './h264/slice.js';
export {
  SampleTable,
  progressiveHeader,
  segmentPayload,
  segmentPayloadParts,
} from './mp4/progressive.js';

// Building blocks of this project's worker, CLI and relay, not part of the package's API: @internal
// keeps them out of the published .d.ts (stripInternal), and `exports` offers no deeper import.
/** @internal */
export { BitReader, unescapeRbsp } from './bytes/bit-reader.js';
/** @internal */
export { concatBytes } from './bytes/concat.js';
/** @internal */
export { FRAME_END_PAUSE_MS, FrameEndBudget } from './frame-end-budget.js';
/** @internal */
export { samplePayloads, keepFirstSamples, mediaSegmentParts } from './mp4/fragment.js';
/** @internal */
export { parameterSetsOf } from './mp4/init.js';
/** @internal */
export { anchorPicture, grayIdr, type AddedPicture } from './h264/added-pictures.js';
/** @internal */
export { peekPpsIds } from './h264/pps.js';
