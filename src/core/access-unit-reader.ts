import { concatBytes } from './bytes/concat.js';
import { ChunkWindow } from './bytes/chunk-window.js';
import { AccessUnitAssembler, type LastPicture, type Picture } from './h264/access-unit.js';
import { AnnexBSplitter } from './h264/annexb.js';
import { NalType } from './h264/nal.js';
import { ParameterSets, type StoredPps, type StoredSps } from './h264/parameter-sets.js';
import { endsFrame, judgeLastPicture } from './h264/truncation.js';
import type { PictureType } from './types.js';

/**
 * One coded picture as it came in (an access unit, or the two access units of a complementary field
 * pair), for relays, keyframe indexes and inspectors that pass H.264 on without muxing it.
 */
export interface RawAccessUnit {
  /**
   * The bytes exactly as pushed, from the start code of the first NAL unit (with up to three zero bytes:
   * zero_byte and the 00 00 of the prefix, §B.1.1) to the last byte of the last NAL unit: views into the
   * pushed chunks, nothing copied. Zero bytes after the last NAL unit and units the reader skipped
   * between two access units belong to neither.
   */
  readonly parts: readonly Uint8Array[];
  /** Stream position of the first byte of `parts` (bytes pushed before it since the reader was made). */
  readonly offset: number;
  /** Bytes in `parts`. */
  readonly size: number;
  /** `parts` in one array: a view when they are one part, else a copy made when first read. */
  readonly data: Uint8Array;
  /** IDR or recovery point: a viewer can start here (after `parameterSets`). */
  readonly keyframe: boolean;
  readonly idr: boolean;
  /**
   * Follows the latest recovery point in decoding order but precedes it in output order (a lower picture
   * order count, before the next IDR or MMCO 5): a decoder that starts at that recovery point cannot show
   * it (§D.2.8), so a transmuxer started there drops it.
   */
  readonly leading: boolean;
  readonly pictureType: PictureType;
  /**
   * Bytes at the start of `parts` taken by a leading access unit delimiter (§7.4.2.4) with its start
   * code, 0 without one. A joiner's parameter sets go right after it (the order of §7.4.1.2.3).
   */
  readonly delimiterSize: number;
  /** The access unit carries an SPS and a PPS itself. */
  readonly carriesParameterSets: boolean;
  /**
   * The SPS and PPS active for this access unit, Annex-B framed with 4-byte start codes: what a joining
   * viewer needs first (made when first read).
   */
  readonly parameterSets: Uint8Array;
  /** Frame rate from the stream's VUI timing info, when it has one. */
  readonly vuiFps: number | undefined;
}

const START_CODE = [0, 0, 0, 1] as const;

function annexB(units: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const unit of units) size += START_CODE.length + unit.length;
  const out = new Uint8Array(size);
  let o = 0;
  for (const unit of units) {
    out.set(START_CODE, o);
    out.set(unit, o + START_CODE.length);
    o += START_CODE.length + unit.length;
  }
  return out;
}

class ReadAccessUnit implements RawAccessUnit {
  private joined: Uint8Array | undefined;
  private sets: Uint8Array | undefined;

  constructor(
    readonly parts: readonly Uint8Array[],
    readonly offset: number,
    readonly size: number,
    readonly keyframe: boolean,
    readonly idr: boolean,
    readonly leading: boolean,
    readonly pictureType: PictureType,
    readonly delimiterSize: number,
    readonly carriesParameterSets: boolean,
    readonly vuiFps: number | undefined,
    private readonly activeSets: readonly (StoredSps | StoredPps)[],
  ) {}

  get data(): Uint8Array {
    this.joined ??= this.parts.length === 1 ? this.parts[0]! : concatBytes(this.parts);
    return this.joined;
  }

  get parameterSets(): Uint8Array {
    this.sets ??= annexB(this.activeSets.map((s) => s.bytes));
    return this.sets;
  }
}

/**
 * Splits a raw H.264 byte stream into whole access units (§7.4.1.2.3) without muxing, with the core's
 * access-unit model (the Transmuxer's): for relays, GOP caches, keyframe indexes and inspectors. Units
 * that cannot be decoded yet (before any SPS/PPS) are skipped. Chunks are referenced, not copied, until
 * the access units they belong to are returned: do not modify a chunk after pushing it.
 */
export class AccessUnitReader {
  private readonly sets = new ParameterSets();
  private readonly splitter = new AnnexBSplitter();
  private readonly assembler: AccessUnitAssembler;
  private out: RawAccessUnit[] = [];
  /** Pushed chunks still referenced (the access unit in progress), with their stream positions. */
  private readonly window = new ChunkWindow();
  /** Picture order count of the latest recovery point while its leading pictures may follow. */
  private recoveryPoc: number | undefined;
  /** Frames dropped at `flush` because the stream ends inside them. */
  truncatedFrames = 0;

  constructor() {
    this.assembler = new AccessUnitAssembler(
      this.sets,
      (picture) => this.onPicture(picture),
      () => undefined,
    );
  }

  /** Bytes pushed so far (the stream position after the last chunk). */
  get position(): number {
    return this.window.position;
  }

  /**
   * The most bytes a picture of this stream can hold with the units in front of it (every macroblock
   * uncompressed, src/core/h264/limits.ts; a fixed ceiling before the first SPS): an access unit in
   * progress past it is not H.264, and the reader drops it.
   */
  get pictureByteLimit(): number {
    return this.sets.limits.pictureBytes;
  }

  /**
   * Stream position before which the access unit of every byte is known: each access unit that ends
   * before it has been returned, and what follows the last one belongs to the access unit in progress
   * (or to none). A relay may pass bytes up to here on at once and still end a viewer's stream exactly at
   * an access unit's end. Bytes after it (a start code whose NAL header is not all there, a slice header
   * cut short, a field waiting for its pair) wait for more input.
   */
  get settledTo(): number {
    return Math.min(this.window.position, this.assembler.boundariesKnownTo);
  }

  /** `endOfAccessUnit`: the transport proves the chunk ends exactly at the end of an access unit. */
  push(chunk: Uint8Array, endOfAccessUnit = false): RawAccessUnit[] {
    this.window.push(chunk);
    for (const nal of this.splitter.push(chunk)) this.assembler.push(nal);
    if (endOfAccessUnit) {
      for (const nal of this.splitter.flush()) this.assembler.push(nal);
      this.assembler.endOfAccessUnit();
    } else {
      this.assembler.limitUnitInProgress(this.splitter);
      this.assembler.peek(this.splitter.peekHead() ?? EMPTY);
      // Zeros (or junk after them) past what a picture can hold since its last unit ended: that
      // picture ends here, so that its chunks and the ones since are let go (a file padded with zeros).
      if (this.splitter.bytesSinceEndedAtZeros > this.pictureByteLimit)
        this.assembler.endOfAccessUnit();
    }
    return this.take();
  }

  /** Bytes of input still referenced (for the access units in progress). */
  get heldBytes(): number {
    return this.window.heldBytes;
  }

  /**
   * The input paused (a live source between two frames): when the NAL unit in progress is the last
   * slice of a whole frame (`endsFrame`: it parses whole up to the picture's last macroblock), its access
   * unit ends here, as a transport that proves access-unit ends would say, instead of when the next
   * frame's start code arrives. Walks that slice's data once: call it when no more bytes are at hand.
   */
  endIfFrameWhole(): RawAccessUnit[] {
    const unit = this.splitter.peekUnit();
    if (!unit || !endsFrame(unit, this.sets)) return [];
    return this.push(EMPTY, true);
  }

  /** End of the stream: the last access unit, unless the stream ends inside it (then it is dropped). */
  flush(): RawAccessUnit[] {
    for (const nal of this.splitter.flush()) this.assembler.push(nal);
    const whole = (picture: LastPicture): boolean =>
      judgeLastPicture(picture, this.sets).verdict !== 'truncated';
    if (this.assembler.flush(whole)) this.truncatedFrames++;
    return this.take();
  }

  /** Drops the input in progress (a discontinuity); stream positions go on counting. */
  reset(): void {
    this.splitter.reset();
    this.assembler.reset();
    this.window.clear();
    this.recoveryPoc = undefined;
  }

  private take(): RawAccessUnit[] {
    const out = this.out;
    this.out = [];
    this.release();
    return out;
  }

  /** Lets go of chunks that no access unit to come can reach. */
  private release(): void {
    // 4 bytes before the first unit held: its start code.
    this.window.releaseBefore(
      Math.min(this.assembler.heldFrom ?? Infinity, this.splitter.heldFrom) - 4,
    );
  }

  /** Where the start code of the NAL unit whose header byte is at `offset` begins (at most 3 zeros). */
  private startCodeAt(offset: number): number {
    let start = offset - 1; // the 01 of the prefix
    while (offset - 1 - start < 3 && this.window.byteAt(start - 1) === 0) start--;
    return start;
  }

  private onPicture(picture: Picture): void {
    const nals = picture.nals;
    const first = nals[0];
    const last = nals.at(-1);
    if (!first || !last) return;
    const from = this.startCodeAt(first.offset);
    const to = last.offset + last.size;
    const second = nals[1];
    const delimiterSize =
      first.type === NalType.Aud && second ? this.startCodeAt(second.offset) - from : 0;
    let sps = false;
    let pps = false;
    for (const nal of nals) {
      if (nal.type === NalType.Sps) sps = true;
      else if (nal.type === NalType.Pps) pps = true;
    }
    const keyframe = picture.idr || picture.recoveryPoint !== undefined;
    let leading = false;
    if (picture.idr || picture.mmco5) this.recoveryPoc = undefined;
    else if (keyframe) this.recoveryPoc = picture.poc;
    else leading = this.recoveryPoc !== undefined && picture.poc < this.recoveryPoc;
    const storedSps = this.sets.storedSps(picture.sps.id);
    const active: (StoredSps | StoredPps)[] = storedSps ? [storedSps] : [];
    active.push(...this.sets.ppsFor(picture.sps.id));
    const vui = picture.sps.vui;
    this.out.push(
      new ReadAccessUnit(
        this.window.span(from, to),
        from,
        to - from,
        keyframe,
        picture.idr,
        leading,
        picture.pictureType,
        delimiterSize,
        sps && pps,
        vui?.timingInfoPresent && vui.numUnitsInTick > 0
          ? vui.timeScale / (2 * vui.numUnitsInTick)
          : undefined,
        active,
      ),
    );
  }
}

const EMPTY = new Uint8Array(0);

export { NalType };
