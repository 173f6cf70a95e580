// Runs the core Transmuxer over a whole input and groups its outputs the way the oracle needs them.
import { Transmuxer } from '../../src/core/index.js';
import type {
  InitSegment,
  MediaSegment,
  TransmuxerOptions,
  TransmuxerOutput,
  WarningOutput,
} from '../../src/core/index.js';
import type { MuxedPart } from './mp4.js';

export interface TransmuxedPart extends MuxedPart {
  readonly initSegment: InitSegment;
  readonly mediaSegments: MediaSegment[];
}

export interface Transmuxed {
  readonly outputs: TransmuxerOutput[];
  readonly parts: TransmuxedPart[];
  readonly warnings: WarningOutput[];
  /** Media segments that arrived before any init segment (must be none). */
  readonly orphanMedia: number;
  readonly transmuxer: Transmuxer;
}

/** Pushes `input` in chunks of `chunkSize` bytes (whole input when omitted), then flushes. */
export function transmux(
  input: Uint8Array,
  options: TransmuxerOptions = {},
  chunkSize?: number,
): Transmuxed {
  const t = new Transmuxer(options);
  const outputs: TransmuxerOutput[] = [];
  const step = chunkSize ?? Math.max(1, input.byteLength);
  for (let i = 0; i < input.byteLength; i += step) {
    outputs.push(...t.push(input.subarray(i, Math.min(input.byteLength, i + step))));
  }
  outputs.push(...t.flush());
  return { ...group(outputs), outputs, transmuxer: t };
}

export function group(outputs: readonly TransmuxerOutput[]): {
  parts: TransmuxedPart[];
  warnings: WarningOutput[];
  orphanMedia: number;
} {
  const parts: {
    init: Uint8Array;
    media: Uint8Array[];
    initSegment: InitSegment;
    mediaSegments: MediaSegment[];
  }[] = [];
  const warnings: WarningOutput[] = [];
  let orphanMedia = 0;
  for (const o of outputs) {
    if (o.type === 'init')
      parts.push({ init: o.data, media: [], initSegment: o, mediaSegments: [] });
    else if (o.type === 'media') {
      const part = parts[parts.length - 1];
      if (part === undefined) orphanMedia++;
      else {
        part.media.push(o.data);
        part.mediaSegments.push(o);
      }
    } else if (o.type === 'warning') warnings.push(o);
  }
  return { parts, warnings, orphanMedia };
}

/** All init and media bytes in output order, as one buffer. */
export function concatSegments(outputs: readonly TransmuxerOutput[]): Uint8Array {
  let total = 0;
  for (const o of outputs) if (o.type === 'init' || o.type === 'media') total += o.data.byteLength;
  const out = new Uint8Array(total);
  let at = 0;
  for (const o of outputs) {
    if (o.type === 'init' || o.type === 'media') {
      out.set(o.data, at);
      at += o.data.byteLength;
    }
  }
  return out;
}

/** Transmuxer options a fixture needs: the caller's fps when the stream has no timing. */
export function optionsFor(oracleArgs: { readonly fps?: number }): TransmuxerOptions {
  return oracleArgs.fps === undefined ? {} : { fps: oracleArgs.fps };
}

/** Frames in all media segments of a run. */
export function frameCount(t: Transmuxed): number {
  return t.parts.flatMap((p) => p.mediaSegments).reduce((n, s) => n + s.frames, 0);
}
