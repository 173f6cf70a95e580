import type { H264MuxWarningCode } from './errors.js';

/** How media segments are cut. */
export type FragmentMode =
  /** One `moof`+`mdat` per GOP (keyframe to keyframe): files, fewest boxes. */
  | 'gop'
  /** One `moof`+`mdat` per frame: live, lowest latency. */
  | 'frame';

export interface TransmuxerOptions {
  /** Frame rate to use instead of the stream's VUI timing (e.g. 30, 29.97, 24000/1001 as 23.976). */
  readonly fps?: number;
  /** Default 'gop'. */
  readonly fragment?: FragmentMode;
  /**
   * 'gop' mode: a fragment closes when it holds this many frames, keyframe or not. Default: 2 seconds of frames at
   * the output frame rate (60 at 30 fps). Every frame of an open fragment stays referenced, and a GOP may never end
   * (a camera with one IDR, periodic intra refresh): the fragment after a full one then begins with a non-sync
   * sample, which fMP4 allows (ISO/IEC 14496-12 §8.8; its sample flags say so). Two seconds keep the input held
   * and each MSE append small, and let a player show a long GOP's first frames without waiting for its end;
   * seeking still lands on keyframes, and a file gains about 100 bytes of boxes per extra fragment.
   */
  readonly maxFragmentFrames?: number;
  /**
   * 'gop' mode: a fragment closes once its pictures hold this many bytes (slice and SEI units), keyframe or not.
   * Default 8 MiB: bounds what is held where 2 seconds are a lot of data (high bitrates), far below the 100 MB or
   * more an MSE SourceBuffer takes.
   */
  readonly maxFragmentBytes?: number;
  /** Frame rate assumed when the stream has no VUI timing and no `fps` is given. Default 30. */
  readonly defaultFps?: number;
  /**
   * What a new SPS/PPS (e.g. a resolution change) does. 'init-segment' (default, for MSE): a new init
   * segment before the first fragment that needs it. 'in-band': one init segment for the whole output and
   * changed parameter sets stay in the samples, as a single .mp4 file needs.
   */
  readonly parameterSetChanges?: 'init-segment' | 'in-band';
  /**
   * true: media segments also carry `parts`, the segment as a list of views (moof and mdat header, each NAL
   * unit's length and its bytes inside the pushed chunks), and `data` is only assembled when first read.
   * Saves one copy of every byte for writers that take a list of buffers (e.g. `fs.writev`). Default false.
   */
  readonly segmentParts?: boolean;
  /**
   * How frame reordering is handled when the stream does not bound it (no VUI bitstream_restriction, as many
   * cameras and hardware encoders write it; the spec then lets a decoder hold MaxDpbFrames frames, up to 16,
   * §E.2.1). Either way the output's SPS (avcC and in-band copies) gets a bitstream_restriction declaring the
   * bound the output stands for (`StreamInfo.reorderDepth`), so that decoders, hardware ones included, do not
   * wait for more; an SPS that declares its own bound is left as it is.
   *
   * - false (default, files): frames are held for the spec's bound before output (safe: it costs output delay,
   *   never timing), and the bound declared is the reordering measured in the stream: in 'gop' mode over the
   *   first fragment (the first GOP, or its first `maxFragmentFrames`), in 'frame' mode over what has been decoded
   *   when the init segment is written. Should a later IDR start a GOP that reorders further, a new init segment
   *   (same codec) declares the larger bound before it ('in-band': the SPS goes in that sample); a bound is never
   *   lowered.
   * - true (live): frames come out as soon as they are complete, and 0 is declared. Should frames then arrive
   *   out of order, output restarts at the next keyframe holding the spec's bound, which a new init segment
   *   declares (warning REORDER_DETECTED).
   */
  readonly lowLatency?: boolean;
  /**
   * Playback: where output starts after an init segment at a recovery point that is not an IDR picture
   * (periodic intra refresh joined after its one IDR picture; a file or a seek that starts there), a
   * start picture goes first: a mid-gray IDR picture of the stream's size under a PPS of its own
   * (./h264/added-pictures.ts), a sample of one tick at the recovery point's time, which then takes the rest
   * of its slot (one tick later) as a non-sync sample. Chromium's and Firefox's MSE start only at an IDR
   * picture: they showed nothing of such a stream until one came, which a camera never sends. Its
   * SampleInfo says `startPicture`; `MediaSegment.frames` does not count it. Default false: files for
   * other tools hold the stream's pictures only.
   */
  readonly startPicture?: boolean;
  /**
   * Playback: at least this many seconds apart (decode time), a recovery point that Chromium's MSE does
   * not take as a random access point (not an IDR picture, its recovery_frame_cnt not 0: periodic intra
   * refresh) gets an anchor before it: a P picture of skipped macroblocks that is not a reference picture,
   * with a recovery point SEI of count 0, a sample of one tick at the recovery point's time (which takes
   * the rest of its slot), so that Chromium has a random access point there and the buffer behind the
   * playhead can be trimmed (./h264/added-pictures.ts `anchorPicture`). A decoder already running decodes the
   * stream as it would without it, and shows the last reference picture again for its tick. Its
   * SampleInfo says `anchor`; `MediaSegment.frames` does not count it. Default 0: none.
   */
  readonly anchorInterval?: number;
}

/** Where the frame rate came from. */
export type FpsSource = 'option' | 'vui' | 'default';

export interface StreamInfo {
  /** RFC 6381 codec string, e.g. `avc1.64001F`. */
  readonly codec: string;
  readonly profileIdc: number;
  /** Human name: Baseline, Constrained Baseline, Main, High, High 10, ... */
  readonly profile: string;
  readonly levelIdc: number;
  /** Level as text, e.g. "3.1". */
  readonly level: string;
  /** Coded size (macroblock aligned). */
  readonly codedWidth: number;
  readonly codedHeight: number;
  /** Size after cropping. */
  readonly width: number;
  readonly height: number;
  /** Sample aspect ratio (1:1 when unknown). */
  readonly sarWidth: number;
  readonly sarHeight: number;
  /** Display size (cropped size stretched by the sample aspect ratio). */
  readonly displayWidth: number;
  readonly displayHeight: number;
  readonly chromaFormatIdc: number;
  readonly bitDepthLuma: number;
  readonly bitDepthChroma: number;
  readonly interlaced: boolean;
  /** Nominal frame rate as used for timestamps. */
  readonly fps: number;
  readonly fpsSource: FpsSource;
  /** Media timescale (ticks per second) and frame duration in ticks: every frame time is exact. */
  readonly timescale: number;
  readonly frameDuration: number;
  /**
   * Frames of reordering the decoder is told to allow for: max_num_reorder_frames of the init segment's SPS, the
   * stream's own or the one written into it (0: decode order is presentation order). Timestamps do not depend on
   * it: presentation starts at 0 and follows output order.
   */
  readonly reorderDepth: number;
  /**
   * Frames of reordering the stream's own SPS allows: its max_num_reorder_frames, or where it declares none
   * (`streamDeclaresReorder` false) what §E.2.1 infers (MaxDpbFrames; 0 for Baseline, POC type 2, intra profiles).
   */
  readonly streamReorderDepth: number;
  /** The stream's SPS has a bitstream_restriction (written unchanged: `reorderDepth` repeats its bound). */
  readonly streamDeclaresReorder: boolean;
  /** True once a B slice has been seen (or reordering is declared). */
  readonly hasBFrames: boolean;
  /** Length of the last complete GOP in frames (0 until known). */
  readonly gopLength: number;
}

export interface InitSegment {
  readonly type: 'init';
  /** `ftyp` + `moov`, in a buffer of its own (an `ArrayBuffer`: MSE's `appendBuffer` takes it as is). */
  readonly data: Uint8Array<ArrayBuffer>;
  readonly codec: string;
  /** `video/mp4; codecs="avc1.PPCCLL"`. */
  readonly mimeType: string;
  /** The AVCDecoderConfigurationRecord (avcC payload): `description` for a WebCodecs VideoDecoder. */
  readonly description: Uint8Array<ArrayBuffer>;
  readonly info: StreamInfo;
  /**
   * The first init segment after `Transmuxer.reset()` (a reconnect): the frames that follow continue the
   * timeline, but not the arrivals. Frames lost while the source was away leave every later frame later on
   * the clock than on the timeline: a live player measuring arrivals against media time starts again here.
   */
  readonly discontinuity: boolean;
}

export interface MediaSegment {
  readonly type: 'media';
  /** `moof` + `mdat`, in a buffer of its own (an `ArrayBuffer`: MSE's `appendBuffer` takes it as is). */
  readonly data: Uint8Array<ArrayBuffer>;
  /** The same bytes as views, without a copy (only with the `segmentParts` option). */
  readonly parts?: readonly Uint8Array[];
  /** moof sequence number. */
  readonly sequence: number;
  /** Number of frames (samples, less a start picture or anchor: TransmuxerOptions.startPicture, anchorInterval). */
  readonly frames: number;
  /** True when the first sample is a sync sample (IDR or recovery point). */
  readonly keyframe: boolean;
  /** Decode time of the first sample and summed duration, in ticks of `timescale`. */
  readonly baseDecodeTime: number;
  readonly duration: number;
  /** Earliest presentation time in the segment, in ticks. */
  readonly startPts: number;
  /** Latest presentation time + frame duration, in ticks. */
  readonly endPts: number;
  readonly timescale: number;
  /** Per-sample details for inspectors and statistics, in decode order. */
  readonly samples: readonly SampleInfo[];
}

export type PictureType = 'IDR' | 'I' | 'P' | 'B' | 'SI' | 'SP';

export interface SampleInfo {
  /** Frame index in decode order over the whole output (0-based). */
  readonly index: number;
  readonly size: number;
  readonly dts: number;
  readonly pts: number;
  readonly keyframe: boolean;
  readonly recoveryPoint: boolean;
  /** Its recovery point SEI's recovery_frame_cnt (§D.2.8), where it has one. */
  readonly recoveryFrameCnt?: number;
  readonly pictureType: PictureType;
  readonly nalRefIdc: number;
  readonly frameNum: number;
  readonly poc: number;
  /** NAL units written to mdat, in order. */
  readonly nalTypes: readonly number[];
  readonly nalSizes: readonly number[];
  /** The start picture before a recovery point (TransmuxerOptions.startPicture): decode it, show nothing of it. */
  readonly startPicture?: boolean;
  /** The anchor before a recovery point (TransmuxerOptions.anchorInterval): nothing depends on it, show nothing of it. */
  readonly anchor?: boolean;
}

export interface WarningOutput {
  readonly type: 'warning';
  readonly code: H264MuxWarningCode;
  readonly message: string;
}

export interface InfoOutput {
  readonly type: 'info';
  readonly info: StreamInfo;
}

/**
 * What the end of the stream did to its last picture (`Transmuxer.lastPictureVerdict`, after `flush()`):
 * - 'whole': it ends where its syntax ends, or a later start code (or the transport) ended it; kept.
 * - 'truncated': the stream ends inside it; dropped, with warning TRUNCATED_FRAME_DROPPED.
 * - 'unknown': the slice walker cannot judge it (data partitioning, slice groups, SP/SI slices, a fault of its
 *   own); kept. Only a decoder can tell whether it decodes.
 */
export type LastPictureVerdict = 'whole' | 'truncated' | 'unknown';

/** Everything `push`/`flush` hand back, in stream order. */
export type TransmuxerOutput = InitSegment | MediaSegment | WarningOutput | InfoOutput;

export interface PushOptions {
  /**
   * The caller knows this chunk ends exactly at an access-unit boundary (e.g. one WebSocket message per
   * frame from a relay that proved it). The pending frame is then emitted without waiting for the next
   * start code. Never set it on a guess.
   */
  readonly endOfAccessUnit?: boolean;
}
