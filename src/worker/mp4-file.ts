/**
 * One standalone .mp4 file from a transmuxer's outputs, in either layout:
 * - 'fragmented': the first init segment, then every `moof`+`mdat` (ISO/IEC 14496-12 §8.8), streamable;
 * - 'faststart': `ftyp` + one `moov` with full sample tables + one `mdat` (§8.1.1, §8.5), for editors.
 * Both need a Transmuxer created with `parameterSetChanges: 'in-band'` (one init segment per file; a
 * changed SPS/PPS travels in the samples).
 */
import { progressiveHeader, SampleTable, segmentPayload } from '../core/index.js';
import type {
  InitSegment,
  MediaSegment,
  TransmuxerOutput,
  TransmuxerOptions,
} from '../core/index.js';

export type Mp4Layout = 'fragmented' | 'faststart';

export const MP4_LAYOUTS: readonly Mp4Layout[] = ['fragmented', 'faststart'];

/** Transmuxer options for a single-file output (GOP fragments: fewest boxes, a final GOP to check). */
export function fileTransmuxerOptions(fps: number | undefined): TransmuxerOptions {
  return {
    fragment: 'gop',
    parameterSetChanges: 'in-band',
    ...(fps !== undefined ? { fps } : {}),
  };
}

/**
 * Collects a recording in memory, bounded by `maxBytes`: a segment that would pass the bound is not
 * kept, and `capped` says so (the file then ends at the last whole GOP that fitted).
 */
export class Mp4Recording {
  private init: InitSegment | undefined;
  private readonly parts: Uint8Array[] = [];
  private readonly table = new SampleTable();
  private stored = 0;
  frames = 0;
  duration = 0;
  timescale = 1;
  capped = false;
  firstKeyframe: boolean | undefined;

  constructor(
    private readonly layout: Mp4Layout,
    private readonly maxBytes: number,
  ) {}

  /** The init segment the recording's media refers to (for the final tail check). */
  get initSegment(): InitSegment | undefined {
    return this.init;
  }

  get bytes(): number {
    return this.stored;
  }

  add(outputs: readonly TransmuxerOutput[]): void {
    for (const out of outputs) {
      if (out.type === 'init') {
        // In-band parameter-set changes: the first init describes the whole file.
        if (this.init === undefined) {
          this.init = out;
          if (this.layout === 'fragmented') this.keep(out.data);
        }
      } else if (out.type === 'media') {
        this.addMedia(out);
      }
    }
  }

  private addMedia(segment: MediaSegment): void {
    if (this.capped || this.init === undefined) return;
    const payload = this.layout === 'fragmented' ? segment.data : segmentPayload(segment);
    if (this.stored + payload.byteLength > this.maxBytes) {
      this.capped = true;
      return;
    }
    this.firstKeyframe ??= segment.keyframe;
    if (this.layout === 'faststart') this.table.add(segment);
    this.keep(payload);
    this.frames += segment.frames;
    this.duration += segment.duration;
    this.timescale = segment.timescale;
  }

  private keep(data: Uint8Array): void {
    this.parts.push(data);
    this.stored += data.byteLength;
  }

  /** The file as a Blob, or undefined when not a single frame was recorded. */
  finish(): Blob | undefined {
    if (this.init === undefined || this.frames === 0) return undefined;
    const parts =
      this.layout === 'faststart'
        ? [progressiveHeader(this.init, this.table), ...this.parts]
        : this.parts;
    return new Blob(parts as BlobPart[], { type: 'video/mp4' });
  }
}
