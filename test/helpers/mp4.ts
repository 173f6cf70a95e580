// Reads fragmented MP4 through mux.js's independent inspector (lib/tools/mp4-inspector.js) and
// normalises what the oracle checks. Two known gaps of that inspector are filled here:
// it never reports default-base-is-moof (it tests a flag byte against 0x020000) and parses only avc1
// sample entries, so tfhd flags are read from the raw flag bytes it returns.
import { createRequire } from 'node:module';
import { topLevelBoxes } from './boxes.js';

export { topLevelBoxes };

export interface Box {
  readonly type: string;
  readonly size: number;
  readonly boxes?: Box[];
  readonly [key: string]: unknown;
}

interface Inspector {
  inspect(data: Uint8Array): Box[];
}

const require = createRequire(import.meta.url);
const inspector = require('mux.js/lib/tools/mp4-inspector.js') as Inspector;

export function inspect(data: Uint8Array): Box[] {
  return inspector.inspect(data);
}

/** First box on the path below `boxes` (e.g. ['moov', 'trak', 'mdia', 'mdhd']). */
export function findBox(
  boxes: readonly Box[] | undefined,
  path: readonly string[],
): Box | undefined {
  const [head, ...rest] = path;
  const box = boxes?.find((b) => b.type === head);
  if (box === undefined || rest.length === 0) return box;
  return findBox(box.boxes, rest);
}

function mustFind(boxes: readonly Box[] | undefined, path: readonly string[]): Box {
  const box = findBox(boxes, path);
  if (box === undefined) throw new Error(`missing box ${path.join('/')}`);
  return box;
}

function n(box: Box, key: string): number {
  const v = box[key];
  if (typeof v !== 'number') throw new Error(`${box.type}.${key} is not a number`);
  return v;
}

function flags24(box: Box): number {
  const f = box.flags;
  if (!(f instanceof Uint8Array) || f.length !== 3) throw new Error(`${box.type} has no flags`);
  return ((f[0] ?? 0) << 16) | ((f[1] ?? 0) << 8) | (f[2] ?? 0);
}

/** ISO/IEC 14496-12 §8.8.3.1 sample flags. */
export interface SampleFlags {
  readonly isLeading: number;
  readonly dependsOn: number;
  readonly isDependedOn: number;
  readonly hasRedundancy: number;
  readonly isNonSyncSample: number;
}

function flagsFromNumber(v: number): SampleFlags {
  return {
    isLeading: (v >>> 26) & 3,
    dependsOn: (v >>> 24) & 3,
    isDependedOn: (v >>> 22) & 3,
    hasRedundancy: (v >>> 20) & 3,
    isNonSyncSample: (v >>> 16) & 1,
  };
}

export interface ParsedInit {
  readonly topTypes: string[];
  readonly timescale: number;
  readonly sampleEntry: string;
  /** avc1.PPCCLL from the avcC (RFC 6381 §3.3). */
  readonly codec: string;
  readonly width: number;
  readonly height: number;
  readonly spsCount: number;
  readonly ppsCount: number;
  readonly lengthSizeMinusOne: number;
  readonly trackId: number;
  readonly trex: { duration: number; size: number; flags: SampleFlags };
}

const hex2 = (v: number): string => v.toString(16).toUpperCase().padStart(2, '0');

export function parseInit(data: Uint8Array): ParsedInit {
  const boxes = inspect(data);
  const stsd = mustFind(boxes, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd']);
  const entries = stsd.sampleDescriptions as Box[] | undefined;
  const entry = entries?.[0];
  if (entry === undefined) throw new Error('stsd has no sample entry');
  const config = entry.config as Box[] | undefined;
  const avcC = config?.find((b) => b.type === 'avcC');
  if (avcC === undefined)
    throw new Error(`sample entry ${entry.type} has no avcC (mux.js parses avc1 only)`);
  const trex = mustFind(boxes, ['moov', 'mvex', 'trex']);
  // trex default_sample_flags: mux.js splits them into fields.
  const trexFlags: SampleFlags = {
    isLeading: 0,
    dependsOn: n(trex, 'sampleDependsOn'),
    isDependedOn: n(trex, 'sampleIsDependedOn'),
    hasRedundancy: n(trex, 'sampleHasRedundancy'),
    isNonSyncSample: trex.sampleIsDifferenceSample === true ? 1 : 0,
  };
  return {
    topTypes: boxes.map((b) => b.type),
    timescale: n(mustFind(boxes, ['moov', 'trak', 'mdia', 'mdhd']), 'timescale'),
    sampleEntry: entry.type,
    codec: `avc1.${hex2(n(avcC, 'avcProfileIndication'))}${hex2(n(avcC, 'profileCompatibility'))}${hex2(n(avcC, 'avcLevelIndication'))}`,
    width: n(entry, 'width'),
    height: n(entry, 'height'),
    spsCount: (avcC.sps as unknown[]).length,
    ppsCount: (avcC.pps as unknown[]).length,
    lengthSizeMinusOne: n(avcC, 'lengthSizeMinusOne'),
    trackId: n(mustFind(boxes, ['moov', 'trak', 'tkhd']), 'trackId'),
    trex: {
      duration: n(trex, 'defaultSampleDuration'),
      size: n(trex, 'defaultSampleSize'),
      flags: trexFlags,
    },
  };
}

export interface ParsedSample {
  readonly duration: number;
  readonly size: number;
  readonly flags: SampleFlags;
  readonly compositionTimeOffset: number;
}

export interface ParsedFragment {
  readonly topTypes: string[];
  readonly sequence: number;
  readonly trackId: number;
  readonly defaultBaseIsMoof: boolean;
  readonly tfdtVersion: number;
  readonly baseMediaDecodeTime: number;
  readonly dataOffset: number | undefined;
  readonly moofSize: number;
  readonly mdatPayloadSize: number;
  /** Sizes of the length-prefixed NAL units in the mdat, as mux.js walks them. */
  readonly mdatNalCount: number;
  readonly samples: ParsedSample[];
}

/** Parses one `moof`+`mdat` pair, resolving trun values against tfhd and trex defaults (§8.8.7, §8.8.8). */
export function parseFragment(data: Uint8Array, init: ParsedInit): ParsedFragment {
  const boxes = inspect(data);
  const moof = mustFind(boxes, ['moof']);
  const mdat = mustFind(boxes, ['mdat']);
  const tfhd = mustFind(boxes, ['moof', 'traf', 'tfhd']);
  const tfdt = mustFind(boxes, ['moof', 'traf', 'tfdt']);
  const trun = mustFind(boxes, ['moof', 'traf', 'trun']);
  const tfhdFlags = flags24(tfhd);
  const defDuration =
    typeof tfhd.defaultSampleDuration === 'number'
      ? tfhd.defaultSampleDuration
      : init.trex.duration;
  const defSize =
    typeof tfhd.defaultSampleSize === 'number' ? tfhd.defaultSampleSize : init.trex.size;
  const defFlags =
    typeof tfhd.defaultSampleFlags === 'number'
      ? flagsFromNumber(tfhd.defaultSampleFlags)
      : init.trex.flags;
  const rawSamples = trun.samples as {
    duration?: number;
    size?: number;
    flags?: SampleFlags;
    compositionTimeOffset?: number;
  }[];
  const samples = rawSamples.map((s) => ({
    duration: s.duration ?? defDuration,
    size: s.size ?? defSize,
    flags: s.flags ?? defFlags,
    compositionTimeOffset: s.compositionTimeOffset ?? 0,
  }));
  const nals = mdat.nals as unknown[] | undefined;
  return {
    topTypes: boxes.map((b) => b.type),
    sequence: n(mustFind(boxes, ['moof', 'mfhd']), 'sequenceNumber'),
    trackId: n(tfhd, 'trackId'),
    defaultBaseIsMoof: (tfhdFlags & 0x020000) !== 0 && (tfhdFlags & 0x000001) === 0,
    tfdtVersion: n(tfdt, 'version'),
    baseMediaDecodeTime: n(tfdt, 'baseMediaDecodeTime'),
    dataOffset: typeof trun.dataOffset === 'number' ? trun.dataOffset : undefined,
    moofSize: moof.size,
    mdatPayloadSize: n(mdat, 'byteLength'),
    mdatNalCount: nals?.length ?? 0,
    samples,
  };
}

/** One init segment and the media segments that follow it, as separate byte arrays. */
export interface MuxedPart {
  readonly init: Uint8Array;
  readonly media: Uint8Array[];
}

/** Splits a file (ftyp+moov, then moof+mdat pairs, possibly a new ftyp+moov) into parts. */
export function splitFile(data: Uint8Array): MuxedPart[] {
  const parts: { init: Uint8Array; media: Uint8Array[] }[] = [];
  const boxes = topLevelBoxes(data);
  for (let i = 0; i < boxes.length; i++) {
    const b = boxes[i];
    if (b === undefined) break;
    if (b.type === 'ftyp') {
      const moov = boxes[i + 1];
      if (moov?.type !== 'moov') throw new Error('ftyp without moov');
      parts.push({ init: data.subarray(b.start, moov.end), media: [] });
      i++;
    } else if (b.type === 'moof') {
      const mdat = boxes[i + 1];
      const part = parts[parts.length - 1];
      if (mdat?.type !== 'mdat' || part === undefined) throw new Error('moof without mdat or init');
      part.media.push(data.subarray(b.start, mdat.end));
      i++;
    }
    // anything else (mfra, free, sidx) is not part of a fragment
  }
  return parts;
}
