// The fixture manifests: the corpus (test/fixtures/manifest.json, converted from the corpus MANIFEST.tsv) and
// the streams from other encoders (test/fixtures/conformance/manifest.json, from the conformance MANIFEST.tsv).
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

function manifest(path: string): readonly Fixture[] {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, path), 'utf8')) as Fixture[];
}

/** The corpus (test/fixtures/manifest.json): streams made for this project with x264 and common tool chains. */
export const fixtures: readonly Fixture[] = manifest('manifest.json');

/**
 * Streams from other people's encoders (test/fixtures/conformance/manifest.json): ITU-T H.264.1 conformance
 * bitstreams and openh264 test streams. Their names include the folder (`conformance/…`).
 */
export const conformanceFixtures: readonly Fixture[] = manifest('conformance/manifest.json');

/** Corpus and conformance streams: what the oracle runs on. */
export const allFixtures: readonly Fixture[] = [...fixtures, ...conformanceFixtures];

export function fixturePath(name: string): string {
  return join(FIXTURES_DIR, name);
}

export function readFixture(name: string): Uint8Array {
  const b = readFileSync(fixturePath(name));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function fixture(prefix: string): Fixture {
  const f = allFixtures.find((x) => x.name.startsWith(prefix));
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
