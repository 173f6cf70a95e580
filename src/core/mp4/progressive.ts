import { ByteWriter } from '../bytes/byte-writer.js';
import type { InitSegment, MediaSegment } from '../types.js';
import { box, dinf, ftyp, hdlr, mdhd, mvhd, stsd, tkhd, vmhd } from './boxes.js';
import { avc1, TRACK_ID } from './init.js';

/**
 * The sample table of a classic ("faststart") MP4, collected from the transmuxer's media segments: one chunk
 * per segment. Memory grows with the number of frames, never with the media bytes.
 */
export class SampleTable {
  readonly sizes: number[] = [];
  readonly durations: number[] = [];
  readonly ctsOffsets: number[] = [];
  /** 1-based numbers of sync samples. */
  readonly syncSamples: number[] = [];
  readonly chunkSampleCounts: number[] = [];
  readonly chunkSizes: number[] = [];
  payloadBytes = 0;
  duration = 0;

  add(segment: MediaSegment): void {
    const duration = segment.duration / segment.frames;
    let chunk = 0;
    for (const s of segment.samples) {
      this.sizes.push(s.size);
      this.durations.push(duration);
      this.ctsOffsets.push(s.pts - s.dts);
      if (s.keyframe) this.syncSamples.push(this.sizes.length);
      chunk += s.size;
    }
    this.chunkSampleCounts.push(segment.samples.length);
    this.chunkSizes.push(chunk);
    this.payloadBytes += chunk;
    this.duration += segment.duration;
  }

  get count(): number {
    return this.sizes.length;
  }
}

/** Run-length pairs (count, value) of consecutive equal values. */
function runs(values: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const v of values) {
    const last = out[out.length - 1];
    if (last && last[1] === v) last[0]++;
    else out.push([1, v]);
  }
  return out;
}

/**
 * A table of (sample_count, value) runs: stts §8.6.1.2 (sample_delta), ctts §8.6.1.3 (sample_offset,
 * signed in version 1).
 */
function runsBox(type: 'stts' | 'ctts', values: readonly number[], version = 0): Uint8Array {
  const entries = runs(values);
  const size = 16 + 8 * entries.length;
  const w = new ByteWriter(size).fullBox(size, type, version, 0).u32(entries.length);
  for (const [count, value] of entries) {
    w.u32(count);
    if (version === 1) w.i32(value);
    else w.u32(value);
  }
  return w.bytes;
}

function stts(table: SampleTable): Uint8Array {
  return runsBox('stts', table.durations);
}

/**
 * ctts, absent when no sample is reordered. The presentation timeline starts at 0 with the decode
 * timeline, so a B-frame stream has negative offsets: version 1 (signed) then, version 0 otherwise.
 */
function ctts(table: SampleTable): Uint8Array | undefined {
  if (table.ctsOffsets.every((c) => c === 0)) return undefined;
  return runsBox('ctts', table.ctsOffsets, table.ctsOffsets.some((c) => c < 0) ? 1 : 0);
}

/** stss, §8.6.2: absent when every sample is a sync sample. */
function stss(table: SampleTable): Uint8Array | undefined {
  if (table.syncSamples.length === table.count) return undefined;
  const size = 16 + 4 * table.syncSamples.length;
  const w = new ByteWriter(size).fullBox(size, 'stss', 0, 0).u32(table.syncSamples.length);
  for (const n of table.syncSamples) w.u32(n);
  return w.bytes;
}

/** stsz, §8.7.3.2 */
function stsz(table: SampleTable): Uint8Array {
  const size = 20 + 4 * table.count;
  const w = new ByteWriter(size).fullBox(size, 'stsz', 0, 0).u32(0).u32(table.count);
  for (const s of table.sizes) w.u32(s);
  return w.bytes;
}

/** stsc, §8.7.4: runs of chunks with the same number of samples. */
function stsc(table: SampleTable): Uint8Array {
  const entries: [number, number][] = []; // first_chunk (1-based), samples_per_chunk
  table.chunkSampleCounts.forEach((n, i) => {
    if (entries[entries.length - 1]?.[1] !== n) entries.push([i + 1, n]);
  });
  const size = 16 + 12 * entries.length;
  const w = new ByteWriter(size).fullBox(size, 'stsc', 0, 0).u32(entries.length);
  for (const [first, n] of entries) w.u32(first).u32(n).u32(1);
  return w.bytes;
}

/** stco, or co64 when an offset needs 64 bits, §8.7.5 */
function chunkOffsets(table: SampleTable, firstOffset: number, wide: boolean): Uint8Array {
  const n = table.chunkSizes.length;
  const size = 16 + (wide ? 8 : 4) * n;
  const w = new ByteWriter(size).fullBox(size, wide ? 'co64' : 'stco', 0, 0).u32(n);
  let offset = firstOffset;
  for (const chunk of table.chunkSizes) {
    if (wide) w.u64(offset);
    else w.u32(offset);
    offset += chunk;
  }
  return w.bytes;
}

const FTYP = (): Uint8Array => ftyp('isom', 0x200, ['isom', 'iso2', 'avc1', 'mp41']);

function moov(
  init: InitSegment,
  table: SampleTable,
  firstOffset: number,
  wide: boolean,
): Uint8Array {
  const info = init.info;
  const entry = avc1({
    width: info.width,
    height: info.height,
    sarWidth: info.sarWidth,
    sarHeight: info.sarHeight,
    avcC: box('avcC', init.description),
  });
  const optional = (b: Uint8Array | undefined): Uint8Array[] => (b ? [b] : []);
  const stbl = box(
    'stbl',
    stsd(entry),
    stts(table),
    ...optional(ctts(table)),
    ...optional(stss(table)),
    stsz(table),
    stsc(table),
    chunkOffsets(table, firstOffset, wide),
  );
  const minf = box('minf', vmhd(), dinf(), stbl);
  const mdia = box(
    'mdia',
    mdhd(info.timescale, table.duration),
    hdlr('vide', 'VideoHandler'),
    minf,
  );
  const trak = box(
    'trak',
    tkhd(TRACK_ID, info.displayWidth, info.displayHeight, table.duration),
    mdia,
  );
  return box('moov', mvhd(info.timescale, TRACK_ID + 1, table.duration), trak);
}

/**
 * Everything before the media payload of a classic MP4 with `moov` first (ISO/IEC 14496-12 §6.2.3 ordering
 * for progressive download): ftyp, moov with full sample tables, and the mdat header. The caller writes the
 * samples' payload (each media segment's mdat content, in order) right after it.
 */
export function progressiveHeader(init: InitSegment, table: SampleTable): Uint8Array<ArrayBuffer> {
  const head = FTYP();
  const largeMdat = table.payloadBytes + 8 > 0xffffffff;
  const mdatHeader = largeMdat ? 16 : 8;
  let wide = false;
  let moovBox = moov(init, table, 0, wide);
  if (head.length + moovBox.length + mdatHeader + table.payloadBytes > 0xffffffff) {
    wide = true;
    moovBox = moov(init, table, 0, wide);
  }
  const firstOffset = head.length + moovBox.length + mdatHeader;
  moovBox = moov(init, table, firstOffset, wide);
  const w = new ByteWriter(firstOffset);
  w.bytesOf(head).bytesOf(moovBox);
  if (largeMdat)
    w.u32(1)
      .fourcc('mdat')
      .u64(16 + table.payloadBytes);
  else w.box(8 + table.payloadBytes, 'mdat');
  return w.bytes;
}

/** The mdat payload of a media segment written by the transmuxer (its samples, length-prefixed). */
export function segmentPayload(segment: MediaSegment): Uint8Array<ArrayBuffer> {
  if (segment.parts) return segment.data.subarray(segment.parts[0]?.length ?? 0);
  const view = new DataView(segment.data.buffer, segment.data.byteOffset, segment.data.byteLength);
  return segment.data.subarray(view.getUint32(0) + 8);
}

/** The mdat payload as views: without a copy when the segment carries `parts`. */
export function segmentPayloadParts(segment: MediaSegment): readonly Uint8Array[] {
  // parts[0] is the moof and the mdat header (see mediaSegmentParts).
  return segment.parts ? segment.parts.slice(1) : [segmentPayload(segment)];
}
