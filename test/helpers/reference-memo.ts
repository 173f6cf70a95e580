// ffmpeg's answers about a reference stream, kept: the oracle suites decode each raw fixture again and
// again (fragment modes, chunked pushes, faststart: four times a fixture), and for the same bytes, call
// and ffmpeg build the answer is the same. Kept as JSON under os.tmpdir(), shared by Vitest's workers
// (written to a temporary name, then renamed: a reader sees a whole answer or none), keyed by a hash
// of the input's bytes, the call and `ffmpeg -version`: a changed fixture or ffmpeg is a new key.
// H264MUX_FFMPEG_MEMO=0 turns it off.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeErrors, framemd5, probeStream, runOk } from './ffmpeg.js';
import type { FrameHash, Framemd5Options, ProbedStream } from './ffmpeg.js';

const DIR = join(tmpdir(), 'h264mux-ffmpeg-memo');

let version: Promise<string> | undefined;

function ffmpegVersion(): Promise<string> {
  version ??= runOk('ffmpeg', ['-hide_banner', '-version']).then((r) => r.stdout.toString('utf8'));
  return version;
}

async function memoized<T>(
  call: string,
  file: string,
  args: unknown,
  compute: () => Promise<T>,
): Promise<T> {
  if (process.env['H264MUX_FFMPEG_MEMO'] === '0') return compute();
  const key = createHash('sha256')
    .update(await ffmpegVersion())
    .update(JSON.stringify([call, args]))
    .update(await readFile(file))
    .digest('hex');
  const path = join(DIR, `${key}.json`);
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    // Not kept yet (or half-written by nobody: writes are renamed into place).
  }
  const value = await compute();
  await mkdir(DIR, { recursive: true });
  const partial = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(partial, JSON.stringify(value));
  await rename(partial, path);
  return value;
}

/** `framemd5` of a reference stream, kept. */
export function referenceFramemd5(
  file: string,
  options: Framemd5Options = {},
): Promise<FrameHash[]> {
  return memoized('framemd5', file, options, () => framemd5(file, options));
}

/** `probeStream` of a reference stream, kept. */
export function referenceStream(file: string): Promise<ProbedStream> {
  return memoized('probeStream', file, null, () => probeStream(file));
}

/** `decodeErrors` of a reference stream, kept. */
export function referenceDecodeErrors(
  file: string,
): Promise<{ code: number | null; stderr: string }> {
  return memoized('decodeErrors', file, null, () => decodeErrors(file));
}
