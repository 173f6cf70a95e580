// The ffmpeg oracle for an .mp4 the page saved, run in Node: the same per-frame hashes as the raw
// fixture, strictly increasing PTS, and no ffmpeg complaint the raw stream does not already cause.
import { readFile } from 'node:fs/promises';
import { decodeErrors, framemd5, probeFrames } from '../../helpers/ffmpeg.js';
import type { FrameHash, ProbedFrames } from '../../helpers/ffmpeg.js';
import { topLevelBoxes } from '../../helpers/mp4.js';

/** ffmpeg's error lines without the per-run context pointer ("[h264 @ 0x55…]"). */
function errorLines(text: string): string[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/ @ 0x[0-9a-f]+\]/, ']'));
}

export interface SavedFileFacts {
  readonly boxes: string[];
  readonly hashes: FrameHash[];
  readonly probed: ProbedFrames;
  /** ffmpeg -v error lines for the saved file that decoding the raw stream does not print. */
  readonly newErrors: string[];
}

export async function examineSaved(saved: string, raw: string): Promise<SavedFileFacts> {
  const bytes = new Uint8Array(await readFile(saved));
  const fromRaw = new Set(errorLines((await decodeErrors(raw)).stderr));
  return {
    boxes: topLevelBoxes(bytes).map((b) => b.type),
    hashes: await framemd5(saved),
    probed: await probeFrames(saved),
    newErrors: errorLines((await decodeErrors(saved)).stderr).filter((l) => !fromRaw.has(l)),
  };
}

export function rawHashes(raw: string, fps?: number): Promise<FrameHash[]> {
  return framemd5(raw, fps !== undefined ? { rate: fps } : {});
}

/** Index where `part` occurs in `whole` read cyclically (a looped stream), or -1. */
export function cyclicIndexOf(whole: readonly string[], part: readonly string[]): number {
  if (part.length === 0) return 0;
  for (let start = 0; start < whole.length; start++) {
    if (part.every((h, i) => whole[(start + i) % whole.length] === h)) return start;
  }
  return -1;
}

export function strictlyIncreasing(values: readonly (number | null)[]): boolean {
  let previous = -Infinity;
  for (const v of values) {
    if (v === null || !(v > previous)) return false;
    previous = v;
  }
  return true;
}
