import { concatBytes } from './bytes/concat.js';
import { containerName, SNIFF_BYTES, sniffContainer } from './detect.js';
import { H264MuxError, type H264MuxWarningCode } from './errors.js';
import { DecoderParameterSets, SpsUse } from './decoder-parameter-sets.js';
import { type Picture, AccessUnitAssembler, isIntraPicture } from './h264/access-unit.js';
import { AnnexBSplitter } from './h264/annexb.js';
import { HEAD_BYTES, NalType, type NalUnit } from './h264/nal.js';
import { earlierFramesHeld, pruneUnavailableUnrefs } from './h264/recovery-marking.js';
import { anchorPicture, grayIdr, type AddedPicture } from './h264/added-pictures.js';
import { ParameterSets, sameBytes } from './h264/parameter-sets.js';
import { chromiumStartsAt } from './random-access.js';
import { anchorSample, startPictureSample } from './added-sample.js';
import { ReorderMeter } from './h264/reorder.js';
import { endsFrame, judgeLastPicture } from './h264/truncation.js';
import { codecString, levelName, profileName, reorderDepth, type Sps } from './h264/sps.js';
import {
  MAX_FPS,
  MIN_FPS,
  rateFromNumber,
  rateFromVui,
  timingFor,
  type Timing,
} from './h264/timing.js';
import {
  mediaSegment,
  mediaSegmentParts,
  SampleFlags,
  type FragmentSample,
} from './mp4/fragment.js';
import { avcC, displaySize, initSegment } from './mp4/init.js';
import type {
  FragmentMode,
  InitSegment,
  LastPictureVerdict,
  MediaSegment,
  PushOptions,
  SampleInfo,
  StreamInfo,
  TransmuxerOptions,
  TransmuxerOutput,
} from './types.js';

/** Frame rate used when neither the stream nor the caller gives one. */
export const DEFAULT_FPS = 30;
/** Input without a single H.264 parameter set or slice after this many bytes is not H.264. */
const NOT_H264_AFTER_BYTES = 4 * 1024 * 1024;
/** Default `maxFragmentFrames`: this many seconds of frames. */
const DEFAULT_FRAGMENT_SECONDS = 2;
/** Default `maxFragmentBytes`. */
const DEFAULT_MAX_FRAGMENT_BYTES = 8 * 1024 * 1024;

/** The most a 'gop' fragment holds before it closes without a keyframe. */
export interface FragmentLimits {
  readonly frames: number;
  /** Bytes of the pictures' slice and SEI units (what `fragmentBytes` counts). */
  readonly bytes: number;
}

/** `maxFragmentFrames` and `maxFragmentBytes` of `options`, the defaults for a stream of `fps` frames a second. */
export function fragmentLimits(options: TransmuxerOptions, fps: number): FragmentLimits {
  return {
    frames: options.maxFragmentFrames ?? Math.max(1, Math.round(DEFAULT_FRAGMENT_SECONDS * fps)),
    bytes: options.maxFragmentBytes ?? DEFAULT_MAX_FRAGMENT_BYTES,
  };
}

/** What a frame's units count against `maxFragmentBytes`: the picture's data, parameter sets left out. */
function fragmentBytes(nals: readonly NalUnit[]): number {
  let bytes = 0;
  for (const nal of nals)
    if (nal.type !== NalType.Sps && nal.type !== NalType.Pps) bytes += nal.size;
  return bytes;
}

interface Frame {
  readonly picture: Picture;
  readonly dts: number;
  pts: number | undefined;
  readonly keyframe: boolean;
  /** A decoder may begin afresh here (an IDR, or the keyframe output started at): a new SPS may take effect. */
  readonly fresh: boolean;
  /** The units of the sample, parameter sets included (those the decoder holds are left out when written). */
  readonly nals: readonly NalUnit[];
  readonly index: number;
  /** Stream position of the picture's first NAL unit. */
  readonly offset: number;
  /** Parameter sets of the init segment this frame's fragment needs. */
  readonly config: ActiveConfig;
  /** The parameter sets of the keyframe the frame follows (what a fresh start in a single file re-sends). */
  readonly keySets: ActiveConfig;
  /** The SPS the picture decodes with, as the output declares it. */
  readonly use: SpsUse;
  /** Frames of reordering the output held for it (the bumping depth when it was decoded). */
  readonly depth: number;
  /** The start picture written before it (TransmuxerOptions.startPicture). */
  readonly startPicture: AddedPicture | undefined;
  /** The anchor written before it (TransmuxerOptions.anchorInterval). */
  readonly anchor: AddedPicture | undefined;
}

interface ActiveConfig {
  readonly sps: Sps;
  readonly spsBytes: Uint8Array;
  readonly ppsBytes: readonly Uint8Array[];
}

/**
 * Streaming H.264 Annex-B → fragmented MP4 transmuxer. Push chunks of any size; get init and media
 * segments back. Pure: no DOM, no Node, usable in a worker, a page and Node alike.
 */
export class Transmuxer {
  private readonly fragmentMode: FragmentMode;
  private readonly sets = new ParameterSets();
  private readonly splitter = new AnnexBSplitter();
  private readonly assembler: AccessUnitAssembler;
  private out: TransmuxerOutput[] = [];
  private sniff: Uint8Array | undefined = new Uint8Array(0);
  private bytesIn = 0;
  private sawH264 = false;
  private failed: H264MuxError | undefined;
  private verdict: LastPictureVerdict | undefined;
  private readonly warned = new Set<H264MuxWarningCode>();

  // Random access and timing.
  private started = false;
  private startedAtRecovery = false;
  private startPoc = 0;
  /**
   * Started at a recovery point with a decoder that holds nothing: reference marking that names pictures before
   * it is taken out of the slices that follow (see recovery-marking.ts), within half the frame_num range.
   */
  private recoveryStart:
    { frameNum: number; earlierHeld: number; lastFrameNum: number; advance: number } | undefined;
  private timing: Timing | undefined;
  /** Bumping depth (§C.4.5.3): frames held before the one with the lowest picture order count goes out. */
  private reorder = 0;
  /** lowLatency: the active SPS's reordering bound is undeclared and held back (depth 0) until frames prove it. */
  private heldBack = false;
  /** lowLatency: frames came out of order once; from then on the spec's bound is held. */
  private reorderProven = false;
  /** The next frame is the first after a (re)start of output. */
  private freshStart = false;
  /** Output was reset after frames went out: the next init segment says so (InitSegment.discontinuity). */
  private discontinuous = false;
  private readonly meter = new ReorderMeter();
  private use: SpsUse | undefined;
  private keySets: ActiveConfig | undefined;
  private decodeIndex = 0;
  /** Decode index of the last picture output that every engine takes as a random access point (isRandomAccess). */
  private lastRandomAccessIndex = -Infinity;
  private outputIndex = 0;
  private framesOut = 0;
  private readonly bumping: Frame[] = [];
  private lastOutputPoc = -Infinity;

  // Segments.
  private config: ActiveConfig | undefined;
  /** The configuration of the last init segment written (undefined: the next fragment needs one). */
  private emittedConfig: ActiveConfig | undefined;
  /** Reorder bound the last init segment declares. */
  private declaredDepth = 0;
  private readonly held = new DecoderParameterSets();
  private sequence = 0;
  private fragment: Frame[] = [];
  /** `fragmentBytes` of the open fragment's frames. */
  private fragmentSize = 0;
  private limits: FragmentLimits | undefined;
  private readonly closedFragments: Frame[][] = [];
  private streamInfo: StreamInfo | undefined;
  private gopCount = 0;
  private gopLength = 0;
  private hasBFrames = false;

  constructor(private readonly options: TransmuxerOptions = {}) {
    const { fps, fragment, defaultFps } = options;
    if (fps !== undefined && !(fps >= MIN_FPS && fps <= MAX_FPS)) {
      throw new H264MuxError(
        'INVALID_OPTION',
        `fps must be between ${MIN_FPS} and ${MAX_FPS}, got ${fps}`,
      );
    }
    if (defaultFps !== undefined && !(defaultFps >= MIN_FPS && defaultFps <= MAX_FPS)) {
      throw new H264MuxError(
        'INVALID_OPTION',
        `defaultFps must be between ${MIN_FPS} and ${MAX_FPS}, got ${defaultFps}`,
      );
    }
    const changes = options.parameterSetChanges;
    if (changes !== undefined && changes !== 'init-segment' && changes !== 'in-band') {
      throw new H264MuxError(
        'INVALID_OPTION',
        `parameterSetChanges must be 'init-segment' or 'in-band', got ${String(changes)}`,
      );
    }
    if (fragment !== undefined && fragment !== 'gop' && fragment !== 'frame') {
      throw new H264MuxError(
        'INVALID_OPTION',
        `fragment must be 'gop' or 'frame', got ${String(fragment)}`,
      );
    }
    for (const name of ['maxFragmentFrames', 'maxFragmentBytes'] as const) {
      const value = options[name];
      if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
        throw new H264MuxError(
          'INVALID_OPTION',
          `${name} must be a whole number of at least 1, got ${String(value)}`,
        );
      }
    }
    this.fragmentMode = fragment ?? 'gop';
    this.assembler = new AccessUnitAssembler(
      this.sets,
      (picture) => this.onPicture(picture),
      (code, message) => this.warn(code, message),
      () => this.restartAtKeyframe(),
    );
  }

  /**
   * Frames taken in so far, in decode order (from the first keyframe on; a reset does not start again). Output
   * may wait for a whole fragment: a caller timing a live input's frames as they come counts these.
   */
  get framesIn(): number {
    return this.decodeIndex;
  }

  /** Stream facts, once the first keyframe has been seen. */
  get info(): StreamInfo | undefined {
    return this.streamInfo;
  }

  /**
   * After `flush()`: what the end of the stream did to its last picture (undefined before, and after `reset()`).
   * 'unknown' is the one case where a caller with a decoder at hand (WebCodecs) may want to decode the last frame
   * to see whether it is damaged; 'whole' and 'truncated' are settled.
   */
  get lastPictureVerdict(): LastPictureVerdict | undefined {
    return this.verdict;
  }

  /**
   * Position in the bytes pushed so far before which no input is referenced any more: every output that
   * needs earlier bytes has been returned. With `segmentParts`, a caller that has also finished writing
   * those outputs may reuse the memory of chunks that end at or before it.
   */
  get retainedFrom(): number {
    let from = this.splitter.heldFrom;
    const held = this.assembler.heldFrom;
    if (held !== undefined) from = Math.min(from, held);
    const oldest = (this.closedFragments[0] ?? this.fragment)[0];
    if (oldest) from = Math.min(from, oldest.offset);
    return from;
  }

  /**
   * Feeds bytes. Returns the segments, warnings and info completed by them. Chunks are referenced, not
   * copied, until their frame is written: do not modify a chunk after pushing it.
   */
  push(chunk: Uint8Array, options: PushOptions = {}): TransmuxerOutput[] {
    if (this.failed) throw this.failed;
    if (this.sniff) this.sniffInput(chunk);
    this.bytesIn += chunk.length;
    for (const nal of this.splitter.push(chunk)) this.onNal(nal);
    if (options.endOfAccessUnit) {
      for (const nal of this.splitter.flush()) this.onNal(nal);
      this.assembler.endOfAccessUnit();
    } else {
      this.assembler.limitUnitInProgress(this.splitter);
      const head = this.splitter.peekHead();
      if (head) this.assembler.peek(head);
    }
    if (!this.sawH264 && this.bytesIn > NOT_H264_AFTER_BYTES) {
      this.fail(
        new H264MuxError(
          'NOT_H264',
          `No H.264 data in the first ${Math.round(this.bytesIn / 1024)} KiB: this does not look like a raw H.264 (Annex B) stream.`,
        ),
      );
    }
    this.drain();
    return this.take();
  }

  /**
   * The input paused (a live stream between two frames): when the NAL unit in progress is the last slice
   * of a whole frame (it parses whole up to the picture's last macroblock), the frame ends here, as with
   * `endOfAccessUnit`, instead of when the next frame's start code arrives a frame interval later. Walks
   * that slice's data once (a few ms a frame): call it when no more bytes are at hand. Returns what
   * `push` would.
   */
  endIfFrameWhole(): TransmuxerOutput[] {
    if (this.failed) throw this.failed;
    const unit = this.splitter.peekUnit();
    if (!unit || !endsFrame(unit, this.sets)) return [];
    return this.push(new Uint8Array(0), { endOfAccessUnit: true });
  }

  /**
   * End of input. Returns the tail of the stream: the last frames (held until now for reordering or the
   * next start code) and every pending segment. Use what it returns, as with `push()`: dropping it loses
   * the end of every stream (`H264ToMp4Stream` does this for you).
   */
  flush(): TransmuxerOutput[] {
    if (this.failed) throw this.failed;
    if (this.sniff && this.sniff.length > 0) {
      const guess = sniffContainer(this.sniff);
      if (guess) this.failNotH264(guess);
    }
    for (const nal of this.splitter.flush()) this.onNal(nal);
    // Incomplete trailing data (a stream cut mid-NAL) must not become a sample. A picture closed before the end
    // (by a later start code, or the transport) is whole.
    this.verdict = 'whole';
    const dropped = this.assembler.flush((picture) => {
      const judged = judgeLastPicture(picture, this.sets);
      this.verdict = judged.verdict;
      if (judged.verdict === 'truncated') {
        this.warn(
          'TRUNCATED_FRAME_DROPPED',
          `dropped the last frame: the stream ends inside it (${judged.reason})`,
        );
      }
      return judged.verdict !== 'truncated';
    });
    this.bumpAll();
    this.closeFragment();
    this.drain();
    if (this.framesOut === 0) {
      if (this.bytesIn === 0)
        this.fail(
          new H264MuxError('NO_DECODABLE_FRAMES', 'No decodable frames: the input is empty.', {
            empty: true,
          }),
        );
      if (!this.sawH264) {
        this.fail(
          new H264MuxError(
            'NOT_H264',
            'No H.264 NAL units found: this is not a raw H.264 (Annex B) stream.',
          ),
        );
      }
      const why = dropped
        ? 'its only frame is cut short by the end of the stream'
        : this.warned.has('INVALID_PARAMETER_SET')
          ? 'its SPS/PPS break the H.264 spec and were skipped (see the INVALID_PARAMETER_SET warning)'
          : this.sets.hasAny
            ? 'the stream has no IDR picture or recovery point to start decoding from'
            : 'no SPS/PPS (sequence and picture parameter sets) were found; cameras need an option such as --inline to repeat them';
      this.fail(new H264MuxError('NO_DECODABLE_FRAMES', `No decodable frames: ${why}.`));
    }
    return this.take();
  }

  /**
   * A discontinuity (e.g. a reconnect). Every complete frame goes out first: those held for reordering or in an
   * open fragment, and the frame in progress when it is whole (as `endIfFrameWhole` judges it); the rest of the
   * partial input is dropped. Output then resumes at the next keyframe with a new init segment (its `discontinuity`
   * set), and the timeline continues after the last emitted frame. Returns those last frames' segments: use them, as `push()`'s.
   */
  reset(): TransmuxerOutput[] {
    const tail: TransmuxerOutput[] = [];
    if (!this.failed) {
      tail.push(...this.endIfFrameWhole());
      // As after a lost picture: every frame so far goes out.
      this.restartAtKeyframe();
      this.drain();
      tail.push(...this.take());
    }
    this.splitter.reset();
    this.assembler.reset();
    this.bumping.length = 0;
    this.fragment = [];
    this.fragmentSize = 0;
    this.verdict = undefined;
    this.closedFragments.length = 0;
    this.started = false;
    this.startedAtRecovery = false;
    const next = Math.max(this.decodeIndex, this.outputIndex);
    this.decodeIndex = next;
    this.outputIndex = next;
    this.lastOutputPoc = -Infinity;
    this.config = undefined;
    this.discontinuous ||= this.emittedConfig !== undefined;
    this.emittedConfig = undefined;
    this.gopCount = 0;
    this.warned.delete('WAITING_FOR_KEYFRAME');
    return tail;
  }

  private take(): TransmuxerOutput[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  private fail(error: H264MuxError): never {
    this.failed = error;
    throw error;
  }

  private failNotH264(guess: ReturnType<typeof sniffContainer> & string): never {
    const hint =
      guess === 'hevc'
        ? 'h264mux handles H.264 only; set the camera/encoder to H.264 (e.g. --codec h264).'
        : guess === 'html' || guess === 'json'
          ? 'check the URL: it returned a web page or API response instead of a raw .h264 stream.'
          : guess === 'mjpeg'
            ? "h264mux plays H.264; many cameras also offer an H.264 stream (see the camera's settings), or convert this one: `ffmpeg -i URL -c:v libx264 -tune zerolatency -f h264 -`."
            : 'it needs a raw H.264 Annex-B stream (.h264/.264), e.g. `ffmpeg -i in -c:v copy -bsf:v h264_mp4toannexb -f h264 out.h264`.';
    this.fail(
      new H264MuxError(
        'NOT_H264',
        `This is ${containerName(guess)}, not a raw H.264 stream: ${hint}`,
        { container: guess },
      ),
    );
  }

  private sniffInput(chunk: Uint8Array): void {
    const prev = this.sniff as Uint8Array;
    const need = SNIFF_BYTES - prev.length;
    const joined = new Uint8Array(prev.length + Math.min(need, chunk.length));
    joined.set(prev);
    joined.set(chunk.subarray(0, need), prev.length);
    if (joined.length < SNIFF_BYTES) {
      this.sniff = joined;
      return;
    }
    this.sniff = undefined;
    const guess = sniffContainer(joined);
    if (guess) this.failNotH264(guess);
  }

  private warn(code: H264MuxWarningCode, message: string): void {
    // Each condition is reported once per stream (per reset for keyframe waits): callers show them to users.
    if (this.warned.has(code)) return;
    this.warned.add(code);
    this.out.push({ type: 'warning', code, message });
  }

  private onNal(nal: NalUnit): void {
    if (
      nal.type === NalType.Sps ||
      nal.type === NalType.SliceIdr ||
      nal.type === NalType.SliceNonIdr
    ) {
      if (!this.sawH264 && this.splitter.garbageBytes > 0) {
        this.warn(
          'GARBAGE_SKIPPED',
          `skipped ${this.splitter.garbageBytes} bytes before the first start code`,
        );
      }
      this.sawH264 = true;
    }
    this.assembler.push(nal);
  }

  /** A complete picture in decoding order. */
  private onPicture(picture: Picture): void {
    const keyframe = picture.idr || picture.recoveryPoint !== undefined;
    if (!this.started) {
      if (!keyframe) {
        this.warn(
          'WAITING_FOR_KEYFRAME',
          'skipping frames until the first keyframe (IDR or recovery point)',
        );
        return;
      }
      this.start(picture);
    } else if (this.startedAtRecovery) {
      if (picture.idr || picture.mmco5) {
        this.startedAtRecovery = false;
        this.recoveryStart = undefined;
      } else if (picture.poc < this.startPoc) {
        // Leading pictures of the picture we started at reference frames before it, which we never had.
        this.warn(
          'LEADING_PICTURES_DROPPED',
          'dropped leading frames that reference pictures before the start point',
        );
        return;
      }
    }
    if (this.heldBack && !picture.idr && !picture.mmco5 && picture.poc < this.lastOutputPoc) {
      this.startReordering(picture.sps);
      return;
    }
    const timing = this.timing as Timing;
    if (picture.pictureType === 'B' && !this.hasBFrames) {
      this.hasBFrames = true;
      this.updateInfo();
    }

    // An init segment goes out before this picture: a player's decoder starts at it (MSE: the need
    // random access point flag is set at an init segment).
    let afterInit = false;
    if (keyframe) {
      const config = this.configFor(picture.sps);
      this.keySets = config;
      const inBand = this.options.parameterSetChanges === 'in-band' && this.config !== undefined;
      if (!inBand && (!this.config || !sameConfig(this.config, config))) {
        this.closeFragment();
        this.config = config;
        afterInit = true;
      } else if (this.fragmentMode === 'gop') {
        this.closeFragment();
      }
      if (this.gopCount > 0) {
        this.gopLength = this.gopCount;
        this.updateInfo();
      }
      this.gopCount = 0;
    }
    this.gopCount++;

    // C.4.4/C.4.5.3 bumping: an IDR or MMCO 5 outputs every earlier picture first.
    if (picture.idr || picture.mmco5) {
      this.bumpAll();
      this.meter.restart();
    }
    // An IDR activates its SPS (§7.4.1.2.1) with the DPB empty: its reordering bound applies from here.
    if (picture.idr) this.applyDepth(picture.sps);
    const use = this.useFor(picture.sps);
    use.measured = Math.max(use.measured, this.meter.add(picture.poc));
    const randomAccess = chromiumStartsAt(picture.idr, picture.recoveryPoint?.recoveryFrameCnt);
    const startPicture =
      this.options.startPicture && afterInit && !picture.idr
        ? grayIdr(picture.sps, this.sets.ppsIds())
        : undefined;
    const frame: Frame = {
      picture,
      dts: this.decodeIndex * timing.frameDuration,
      pts: undefined,
      keyframe,
      fresh: picture.idr || this.freshStart,
      nals: this.withoutUnavailableUnrefs(picture).filter((nal) => keepInSample(nal)),
      index: this.decodeIndex,
      offset: picture.nals[0]?.offset ?? 0,
      config: this.config as ActiveConfig,
      keySets: this.keySets as ActiveConfig,
      use,
      depth: this.reorder,
      startPicture,
      anchor: keyframe && !startPicture && !randomAccess ? this.anchorFor(picture) : undefined,
    };
    if (randomAccess || startPicture) this.lastRandomAccessIndex = frame.index;
    this.freshStart = false;
    this.decodeIndex++;
    this.bumping.push(frame);
    while (this.bumping.length > this.reorder) this.bumpOne();
    this.fragment.push(frame);
    this.fragmentSize += fragmentBytes(frame.nals);
    const limits = this.limits as FragmentLimits;
    // 'gop': a GOP longer than the limits goes out in parts (the next begins with a non-sync sample, §8.8), so
    // that an endless GOP does not keep every frame referenced.
    if (
      this.fragmentMode === 'frame' ||
      this.fragment.length >= limits.frames ||
      this.fragmentSize >= limits.bytes
    )
      this.closeFragment();
  }

  /** An anchor before this recovery point, when the last picture every engine starts at is far enough back. */
  private anchorFor(picture: Picture): AddedPicture | undefined {
    const seconds = this.options.anchorInterval ?? 0;
    const timing = this.timing as Timing;
    const frames = Math.ceil((seconds * timing.timescale) / timing.frameDuration);
    if (!(seconds > 0) || this.decodeIndex - this.lastRandomAccessIndex < frames) return undefined;
    const anchor = anchorPicture(picture.sps, this.sets.ppsIds(), picture.header);
    if (anchor) this.lastRandomAccessIndex = this.decodeIndex;
    return anchor;
  }

  private start(picture: Picture): void {
    this.started = true;
    this.startedAtRecovery = !picture.idr;
    // Only the first start has a decoder that holds nothing; a later one continues the same decode.
    this.recoveryStart =
      !picture.idr && this.decodeIndex === 0
        ? {
            frameNum: picture.header.frameNum,
            earlierHeld: earlierFramesHeld(picture.header.frameNum, picture.sps),
            lastFrameNum: picture.header.frameNum,
            advance: 0,
          }
        : undefined;
    this.startPoc = picture.poc;
    this.timing ??= this.chooseTiming(picture.sps);
    this.limits ??= fragmentLimits(this.options, this.timing.fps);
    this.applyDepth(picture.sps);
    this.meter.restart();
    this.freshStart = true;
  }

  /** The picture's NAL units, its reference marking pruned after a start at a recovery point. */
  private withoutUnavailableUnrefs(picture: Picture): readonly NalUnit[] {
    const start = this.recoveryStart;
    if (!start || picture.nalRefIdc === 0) return picture.nals;
    const maxFrameNum = 2 ** picture.sps.log2MaxFrameNum;
    const frameNum = picture.header.frameNum;
    start.advance += (frameNum - start.lastFrameNum + maxFrameNum) % maxFrameNum;
    start.lastFrameNum = frameNum;
    // Past half the range, FrameNumWrap no longer tells earlier pictures from later ones.
    if (start.advance >= maxFrameNum / 2) {
      this.recoveryStart = undefined;
      return picture.nals;
    }
    return picture.nals.map((nal) => {
      if (nal.type !== NalType.SliceNonIdr) return nal;
      let pruned: Uint8Array | undefined;
      try {
        pruned = pruneUnavailableUnrefs(
          nal.parts.length === 1 ? (nal.parts[0] as Uint8Array) : concatBytes(nal.parts),
          this.sets,
          start,
        );
      } catch {
        return nal; // a header this cannot parse goes as it came
      }
      if (!pruned) return nal;
      return {
        type: nal.type,
        refIdc: nal.refIdc,
        size: pruned.length,
        parts: [pruned],
        head: pruned.subarray(0, HEAD_BYTES),
        offset: nal.offset,
      };
    });
  }

  /**
   * The bumping depth for pictures of `sps`: its max_num_reorder_frames, or what §E.2.1 infers without one
   * (`reorderDepth`). lowLatency holds an undeclared bound back (depth 0, each frame out at once) until frames
   * prove the stream reorders. Presentation times follow output order alone, so a change of depth never re-times
   * a frame already out.
   */
  private applyDepth(sps: Sps): void {
    const bound = reorderDepth(sps);
    this.heldBack =
      this.options.lowLatency === true &&
      !this.reorderProven &&
      bound > 0 &&
      sps.vui?.maxNumReorderFrames === undefined;
    this.reorder = this.heldBack ? 0 : bound;
  }

  /**
   * lowLatency: a frame came after one with a higher picture order count had gone out, so the stream
   * does reorder. Its slot has passed: output stops until the next keyframe and then holds the spec's
   * bound (and declares it in a new init segment).
   */
  private startReordering(sps: Sps): void {
    this.reorderProven = true;
    this.heldBack = false;
    this.warn(
      'REORDER_DETECTED',
      `frames arrive out of order and the stream does not say how far: from the next keyframe on, up to ${reorderDepth(sps)} frames are held for reordering`,
    );
    this.restartAtKeyframe();
  }

  /**
   * Every frame so far goes out (in its own fragment, so the memory behind it can be released), and output
   * resumes at the next keyframe: after a lost picture, or a change of reordering depth.
   */
  private restartAtKeyframe(): void {
    this.bumpAll();
    this.closeFragment();
    this.started = false;
    this.startedAtRecovery = false;
    this.warned.delete('WAITING_FOR_KEYFRAME');
  }

  /** The output's record of `sps` (a new one when the active SPS changes). */
  private useFor(sps: Sps): SpsUse {
    if (this.use?.sps !== sps) {
      this.use = new SpsUse(sps, this.sets.storedSps(sps.id)?.bytes ?? new Uint8Array(0));
    }
    return this.use;
  }

  /**
   * The reorder bound to declare for a frame: what the stream was measured to need (files), or the depth the
   * output actually held for it (lowLatency, whose decoder must not wait for more).
   */
  private needed(frame: Frame): number {
    return this.options.lowLatency ? frame.depth : frame.use.measured;
  }

  private chooseTiming(sps: Sps): Timing {
    if (this.options.fps !== undefined)
      return timingFor(rateFromNumber(this.options.fps), 'option');
    const vui = rateFromVui(sps);
    if (vui) {
      const fps = vui.num / vui.den;
      if (fps >= MIN_FPS && fps <= MAX_FPS) return timingFor(vui, 'vui');
      this.warn(
        'TIMING_OUT_OF_RANGE',
        `the stream's timing info gives ${fps.toFixed(3)} fps, which is not plausible; ignoring it`,
      );
    }
    const fallback = this.options.defaultFps ?? DEFAULT_FPS;
    this.warn(
      'NO_TIMING_INFO',
      `no timing info in the stream: assuming ${fallback} fps — set the frame rate (fps option, --fps, ?fps=) if that is wrong`,
    );
    return timingFor(rateFromNumber(fallback), 'default');
  }

  private configFor(sps: Sps): ActiveConfig {
    const stored = this.sets.storedSps(sps.id);
    return {
      sps,
      spsBytes: stored?.bytes ?? new Uint8Array(0),
      ppsBytes: this.sets.ppsFor(sps.id).map((p) => p.bytes),
    };
  }

  private bumpOne(): void {
    let best = 0;
    for (let i = 1; i < this.bumping.length; i++) {
      if ((this.bumping[i] as Frame).picture.poc < (this.bumping[best] as Frame).picture.poc)
        best = i;
    }
    const [frame] = this.bumping.splice(best, 1) as [Frame];
    if (frame.picture.poc < this.lastOutputPoc) {
      this.warn(
        'REORDER_VIOLATION',
        'frames arrive further out of order than the stream declares; some may show out of order',
      );
    }
    this.lastOutputPoc = frame.picture.poc;
    // Output order alone sets the presentation time: the timeline starts at 0 whatever the reorder depth,
    // and a frame's composition offset (pts - dts) may be negative.
    frame.pts = this.outputIndex * (this.timing as Timing).frameDuration;
    this.outputIndex++;
  }

  private bumpAll(): void {
    while (this.bumping.length > 0) this.bumpOne();
    this.lastOutputPoc = -Infinity;
  }

  private closeFragment(): void {
    if (this.fragment.length === 0) return;
    this.closedFragments.push(this.fragment);
    this.fragment = [];
    this.fragmentSize = 0;
  }

  /** Writes every closed fragment whose frames all have presentation times, in order. */
  private drain(): void {
    while (this.closedFragments.length > 0) {
      const frames = this.closedFragments[0] as Frame[];
      if (frames.some((f) => f.pts === undefined)) return;
      this.closedFragments.shift();
      this.writeFragment(frames);
    }
  }

  private writeFragment(frames: Frame[]): void {
    const timing = this.timing as Timing;
    const first = frames[0] as Frame;
    const inBand = this.options.parameterSetChanges === 'in-band';
    // A fresh start that needs a larger reorder bound than declared gets a new init segment saying so (MSE), or
    // (a single file has one init segment) its SPS in-band in the sample.
    if (
      first.config !== this.emittedConfig ||
      (!inBand && first.fresh && first.use.wouldRaise(this.needed(first)))
    ) {
      this.emitInit(first);
    }
    const samples: FragmentSample[] = [];
    const infos: SampleInfo[] = [];
    let startPts = Infinity;
    let endPts = -Infinity;
    for (const f of frames) {
      // The first frames of an SPS declare what they were measured to need.
      if (f.fresh || f.use.declared === undefined) f.use.raise(this.needed(f));
      const resend = inBand && f.fresh ? f.keySets.ppsBytes : undefined;
      const { units, nalTypes, nalSizes, size } = this.held.sample(f.nals, f.use, resend);
      let pts = f.pts as number;
      let dts = f.dts;
      let duration = timing.frameDuration;
      const start = f.startPicture;
      const added = start ?? f.anchor;
      if (added) {
        // The start picture or anchor takes the frame's first tick (decoded first, shown for a tick),
        // and the frame the rest of its slot: the next frame is on the grid again.
        const at = { index: f.index, dts, pts };
        const { sample, info } = start
          ? startPictureSample(start, at)
          : anchorSample(added, at, { frameNum: f.picture.header.frameNum, poc: f.picture.poc });
        samples.push(sample);
        infos.push(info);
        pts++;
        dts++;
        duration--;
      }
      const ref = f.picture.nalRefIdc !== 0;
      const intra = isIntraPicture(f.picture.pictureType);
      const flags =
        (intra ? SampleFlags.DependsOnNone : SampleFlags.DependsOnOthers) |
        (f.keyframe && !start ? 0 : SampleFlags.NonSync) |
        (ref ? 0 : SampleFlags.NotDependedOn);
      samples.push({
        duration,
        cts: pts - dts,
        flags,
        units,
        size,
      });
      startPts = Math.min(startPts, pts);
      endPts = Math.max(endPts, pts + timing.frameDuration);
      infos.push({
        index: f.index,
        size,
        dts,
        pts,
        keyframe: f.keyframe && !start,
        recoveryPoint: f.picture.recoveryPoint !== undefined,
        ...(f.picture.recoveryPoint
          ? { recoveryFrameCnt: f.picture.recoveryPoint.recoveryFrameCnt }
          : {}),
        pictureType: f.picture.pictureType,
        nalRefIdc: f.picture.nalRefIdc,
        frameNum: f.picture.header.frameNum,
        poc: f.picture.poc,
        nalTypes,
        nalSizes,
      });
    }
    this.sequence++;
    const sequence = this.sequence;
    const common = {
      type: 'media' as const,
      sequence,
      frames: frames.length,
      keyframe: first.keyframe,
      baseDecodeTime: first.dts,
      duration: frames.length * timing.frameDuration,
      startPts,
      endPts,
      timescale: timing.timescale,
      samples: infos,
    };
    let segment: MediaSegment;
    if (this.options.segmentParts) {
      const parts = mediaSegmentParts(sequence, first.dts, samples);
      let data: Uint8Array<ArrayBuffer> | undefined;
      segment = {
        ...common,
        parts,
        get data(): Uint8Array<ArrayBuffer> {
          return (data ??= concatBytes(parts));
        },
      };
    } else {
      segment = { ...common, data: mediaSegment(sequence, first.dts, samples) };
    }
    this.framesOut += frames.length;
    this.out.push(segment);
  }

  /** An init segment for the fragment that starts with `first`, its SPS as the output declares it. */
  private emitInit(first: Frame): void {
    const timing = this.timing as Timing;
    const config = first.config;
    const use = first.use;
    const own = use.sps === config.sps;
    if (own) use.raise(this.needed(first));
    const spsBytes = own ? use.written : config.spsBytes;
    this.emittedConfig = config;
    this.declaredDepth = own ? (use.declared ?? 0) : reorderDepth(config.sps);
    this.held.reset(spsBytes, config.ppsBytes);
    this.streamInfo = this.buildInfo(config.sps);
    const codec = codecString(config.sps);
    const params = {
      sps: config.sps,
      spsUnits: [spsBytes],
      ppsUnits: config.ppsBytes,
      timescale: timing.timescale,
    };
    const init: InitSegment = {
      type: 'init',
      data: initSegment(params),
      description: avcC(params.sps, params.spsUnits, params.ppsUnits).subarray(8),
      codec,
      mimeType: `video/mp4; codecs="${codec}"`,
      info: this.streamInfo,
      discontinuity: this.discontinuous,
    };
    this.discontinuous = false;
    this.out.push(init);
  }

  private updateInfo(): void {
    if (!this.emittedConfig || !this.streamInfo) return;
    this.streamInfo = this.buildInfo(this.emittedConfig.sps);
    this.out.push({ type: 'info', info: this.streamInfo });
  }

  private buildInfo(sps: Sps): StreamInfo {
    const timing = this.timing as Timing;
    const display = displaySize(sps);
    return {
      codec: codecString(sps),
      profileIdc: sps.profileIdc,
      profile: profileName(sps),
      levelIdc: sps.levelIdc,
      level: levelName(sps),
      codedWidth: sps.codedWidth,
      codedHeight: sps.codedHeight,
      width: sps.width,
      height: sps.height,
      sarWidth: sps.vui?.sarWidth ?? 1,
      sarHeight: sps.vui?.sarHeight ?? 1,
      displayWidth: display.width,
      displayHeight: display.height,
      chromaFormatIdc: sps.chromaFormatIdc,
      bitDepthLuma: sps.bitDepthLuma,
      bitDepthChroma: sps.bitDepthChroma,
      interlaced: !sps.frameMbsOnly,
      fps: timing.fps,
      fpsSource: timing.source,
      timescale: timing.timescale,
      frameDuration: timing.frameDuration,
      reorderDepth: this.declaredDepth,
      streamReorderDepth: reorderDepth(sps),
      streamDeclaresReorder: sps.vui?.bitstreamRestriction === true,
      hasBFrames: this.hasBFrames,
      gopLength: this.gopLength,
    };
  }
}

/** SPS/PPS go into avcC; AUD, filler, end-of-sequence and SVC/MVC units are not part of an avc1 sample. */
function keepInSample(nal: NalUnit): boolean {
  switch (nal.type) {
    case NalType.SliceNonIdr:
    case NalType.SliceDataA:
    case NalType.SliceDataB:
    case NalType.SliceDataC:
    case NalType.SliceIdr:
    case NalType.Sei:
    case NalType.Sps:
    case NalType.Pps:
      return true;
    default:
      return false;
  }
}

function sameConfig(a: ActiveConfig, b: ActiveConfig): boolean {
  return (
    sameBytes(a.spsBytes, b.spsBytes) &&
    a.ppsBytes.length === b.ppsBytes.length &&
    a.ppsBytes.every((p, i) => sameBytes(p, b.ppsBytes[i] as Uint8Array))
  );
}

/**
 * The transmuxer as an async iterator: reads chunks from `source` (a Node stream, a ReadableStream in
 * browsers that make it iterable, or any async iterable) and yields every output, ending with flush().
 */
export async function* transmux(
  source: AsyncIterable<Uint8Array>,
  options: TransmuxerOptions = {},
): AsyncGenerator<TransmuxerOutput, void, undefined> {
  const transmuxer = new Transmuxer(options);
  for await (const chunk of source) yield* transmuxer.push(chunk);
  yield* transmuxer.flush();
}
