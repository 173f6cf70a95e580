// The fixture manifest (test/fixtures/manifest.json, converted from the corpus MANIFEST.tsv).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export interface OracleArgs {
  /** Frame rate the caller must pass (the stream has no VUI timing). */
  readonly fps?: number;
  /** Ours may lack at most this many trailing frames of the raw decode (truncated input). */
  readonly allowMissing?: number;
}

export interface Fixture {
  readonly name: string;
  readonly what: string;
  readonly width: number;
  readonly height: number;
  /** VUI frame rate, null when the stream carries no timing. */
  readonly fps: number | null;
  /** Decodable frames (what ffmpeg outputs for the raw stream). */
  readonly frames: number;
  readonly profile: string;
  readonly hasBFrames: boolean;
  readonly accessUnits: number;
  readonly idr: number;
  readonly recoverySei: number;
  /** RFC 6381 codec string of the first SPS. */
  readonly codec: string;
  /** Every resolution in stream order, e.g. ["640x360", "1280x720"]. */
  readonly sizes: readonly string[];
  readonly bytes: number;
  readonly oracleArgs: OracleArgs;
}

export const fixtures: readonly Fixture[] = JSON.parse(
  readFileSync(join(FIXTURES_DIR, 'manifest.json'), 'utf8'),
) as Fixture[];

export function fixturePath(name: string): string {
  return join(FIXTURES_DIR, name);
}

export function readFixture(name: string): Uint8Array {
  const b = readFileSync(fixturePath(name));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function fixture(prefix: string): Fixture {
  const f = fixtures.find((x) => x.name.startsWith(prefix));
  if (f === undefined) throw new Error(`no fixture starting with ${prefix}`);
  return f;
}

/** The frame rate the output must follow: the caller's `--fps`, else the stream's VUI rate. */
export function expectedFps(f: Fixture): number {
  const fps = f.oracleArgs.fps ?? f.fps;
  if (fps === null)
    throw new Error(`${f.name}: no fps in the manifest and no --fps oracle argument`);
  return exactFps(fps);
}

/** 23.976 → 24000/1001, 29.97 → 30000/1001, 59.94 → 60000/1001 (the manifest rounds NTSC rates). */
export function exactFps(fps: number): number {
  for (const n of [24, 30, 48, 60, 120]) {
    const ntsc = (n * 1000) / 1001;
    if (Math.abs(fps - ntsc) < 0.0015) return ntsc;
  }
  return fps;
}
