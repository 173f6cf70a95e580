/**
 * Keyframe index of a raw H.264 file, built while it is read: the byte offset and decode-order frame
 * number of every keyframe, so that a seek can restart reading at the keyframe before the target
 * (`File.slice`) instead of reading the whole file up to it.
 *
 * Access units, keyframes (IDR or recovery point) and leading pictures come from the core's
 * `AccessUnitReader`, the access-unit model the Transmuxer itself uses, so the frame numbers are the
 * Transmuxer's decode index:
 * - frames are numbered from the first keyframe on (0); what comes before it is skipped;
 * - when the first keyframe is a recovery point, its leading pictures are not counted (the Transmuxer
 *   drops them: it never had what they reference);
 * - a truncated last frame is not counted (the Transmuxer drops it).
 * Each entry says how many leading pictures follow its keyframe, which a restart there loses, and, when
 * the keyframe's access unit carries no SPS/PPS, the parameter sets in force, to send first.
 *
 * The index is bounded: past MAX_ENTRIES entries every other one is dropped and the spacing doubles.
 */
import { AccessUnitReader, type RawAccessUnit } from '../core/index.js';

export interface KeyframeEntry {
  /** Decode-order frame number (0 = the file's first keyframe). */
  readonly frame: number;
  /** Byte offset of the access unit's first start code. */
  readonly offset: number;
  /** Annex-B SPS+PPS in force, when the access unit does not carry them itself. */
  readonly parameterSets: Uint8Array | undefined;
  /**
   * Leading pictures of this recovery point (0 for an IDR): a Transmuxer started here drops them, so a
   * restart here gives that many frames fewer than the file has from here on.
   */
  readonly leadingPictures: number;
}

interface Entry extends KeyframeEntry {
  leadingPictures: number;
}

const MAX_ENTRIES = 16384;

export class KeyframeIndex {
  /** Offset of the next byte to index (bytes are indexed once, in order). */
  position = 0;
  /** Frames counted from the first keyframe on, as the Transmuxer numbers them. */
  frames = 0;
  /** The whole file has been indexed. */
  ended = false;

  private readonly reader = new AccessUnitReader();
  private entries: Entry[] = [];
  private minSpacing = 1;
  private started = false;
  /** Between the first keyframe and the next one: leading pictures are not counted. */
  private firstGop = false;
  /** The entry of the latest keyframe (undefined when it was not indexed: spacing). */
  private current: Entry | undefined;

  /** Keyframes indexed so far, in file order. */
  get keyframes(): readonly KeyframeEntry[] {
    return this.entries;
  }

  /** True when the index knows every keyframe up to and including `frame`. */
  covers(frame: number): boolean {
    return this.ended || this.frames > frame;
  }

  /**
   * The last indexed keyframe presented at or before frame `frame` (presentation order), if any: an
   * IDR is presented at its decode frame, a recovery point after its leading pictures.
   */
  keyframeBefore(frame: number): KeyframeEntry | undefined {
    return this.entries[this.firstAfter(frame) - 1];
  }

  /** The first indexed keyframe presented after frame `frame`, if any (see keyframeBefore). */
  keyframeAfter(frame: number): KeyframeEntry | undefined {
    return this.entries[this.firstAfter(frame)];
  }

  /** The index of the first entry presented after frame `frame` (the entries' length when none). */
  private firstAfter(frame: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const entry = this.entries[mid] as Entry;
      if (entry.frame + entry.leadingPictures > frame) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Frames in the file, extrapolated from the bytes indexed so far (exact once `ended`). */
  estimateFrames(fileSize: number): number {
    if (this.ended || this.position === 0) return this.frames;
    return Math.max(this.frames, Math.round((this.frames * fileSize) / this.position));
  }

  /** Indexes the bytes at `offset` (a read position); bytes already indexed are skipped. */
  pushAt(offset: number, chunk: Uint8Array): void {
    const end = offset + chunk.length;
    if (this.ended || end <= this.position || offset > this.position) return;
    this.push(chunk.subarray(this.position - offset));
  }

  /**
   * The next bytes of the file, in order. The reader keeps views of the frame in progress, so it gets
   * its own copy: a file source hands the chunk itself on, and its buffer may be transferred away.
   */
  push(chunk: Uint8Array): void {
    if (this.ended) return;
    this.position += chunk.length;
    for (const au of this.reader.push(chunk.slice())) this.count(au);
  }

  /** End of file: the last access unit ends here. */
  end(): void {
    if (this.ended) return;
    for (const au of this.reader.flush()) this.count(au);
    this.ended = true;
  }

  private count(au: RawAccessUnit): void {
    if (!this.started) {
      if (!au.keyframe) return;
      this.started = true;
      this.firstGop = true;
    } else if (au.keyframe) this.firstGop = false;
    if (au.keyframe) this.current = this.addEntry(au);
    else if (au.leading) {
      if (this.current) this.current.leadingPictures++;
      if (this.firstGop) return;
    }
    this.frames++;
  }

  private addEntry(au: RawAccessUnit): Entry | undefined {
    const last = this.entries[this.entries.length - 1];
    if (last && this.frames - last.frame < this.minSpacing) return undefined;
    const entry: Entry = {
      frame: this.frames,
      offset: au.offset,
      parameterSets: au.carriesParameterSets ? undefined : au.parameterSets,
      leadingPictures: 0,
    };
    this.entries.push(entry);
    if (this.entries.length > MAX_ENTRIES) {
      this.entries = this.entries.filter((_, i) => i % 2 === 0);
      this.minSpacing *= 2;
    }
    return entry;
  }
}
