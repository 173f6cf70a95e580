// Streams ffmpeg makes at test time for the engine specs (4K, other profiles): made once per worker
// process and name, in a temporary directory removed when the process exits.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let dir: string | undefined;

/**
 * `seconds` of ffmpeg's moving test picture (`testsrc2`, `size` at `fps`), encoded by libx264 with
 * `encode` (its options), as raw H.264 in `name`.
 */
export function generatedStream(
  name: string,
  picture: { readonly size: string; readonly fps: number; readonly seconds: number },
  encode: readonly string[],
): string {
  if (!dir) {
    const made = mkdtempSync(join(tmpdir(), 'h264mux-generated-'));
    dir = made;
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
  }
  const file = join(dir, name);
  if (existsSync(file)) return file;
  execFileSync('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi'],
    ...['-i', `testsrc2=size=${picture.size}:rate=${picture.fps}`, '-t', String(picture.seconds)],
    ...['-c:v', 'libx264', ...encode, '-f', 'h264', file],
  ]);
  return file;
}
