// `h264mux convert` as the CLI runs it (in-process): file reads into reused buffers, zero-copy positioned
// writes, faststart. Its bytes must equal the library's for the same options, however the file is read.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConvert } from '../../src/cli/convert.js';
import { fixture, fixturePath, readFixture } from '../helpers/fixtures.js';
import { progressiveStream } from '../helpers/synth.js';
import { concatSegments, transmux } from '../helpers/transmux.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'h264mux-convert-'));
});
afterAll(async () => {
  delete process.env.H264MUX_READ_SIZE;
  await rm(dir, { recursive: true, force: true });
});

/** runConvert with `H264MUX_READ_SIZE` set, so chunks are recycled many times over a small fixture. */
async function convert(args: string[], readSize: number): Promise<number> {
  process.env.H264MUX_READ_SIZE = String(readSize);
  try {
    return await runConvert(args);
  } finally {
    delete process.env.H264MUX_READ_SIZE;
  }
}

describe('convert writes exactly what the library produces', () => {
  // p19: a 73 KB IDR larger than small reads; p10: an SPS change (kept in-band); p12: truncated;
  // p03: B-frames; p05: 4 slices per picture, 3-byte start codes.
  for (const name of ['p03', 'p05', 'p10', 'p12', 'p19']) {
    const f = fixture(name);
    const fps = f.oracleArgs.fps;
    const options = { parameterSetChanges: 'in-band' as const, ...(fps ? { fps } : {}) };
    const expected = concatSegments(transmux(readFixture(f.name), options).outputs);
    for (const readSize of [4096, 65_536, 1 << 20]) {
      it(`${f.name}, ${readSize}-byte reads`, async () => {
        const out = join(dir, `${name}-${readSize}.mp4`);
        const extra = fps ? ['--fps', String(fps)] : [];
        expect(await convert([fixturePath(f.name), '-o', out, '-q', ...extra], readSize)).toBe(0);
        const written = await readFile(out);
        expect(written.byteLength).toBe(expected.byteLength);
        expect(Buffer.compare(written, expected)).toBe(0);
      });
    }
  }

  it('--faststart gives the same file with small reads as with one read', async () => {
    const f = fixture('p03');
    const small = join(dir, 'fast-small.mp4');
    const large = join(dir, 'fast-large.mp4');
    expect(await convert([fixturePath(f.name), '-o', small, '-q', '--faststart'], 4096)).toBe(0);
    expect(await convert([fixturePath(f.name), '-o', large, '-q', '--faststart'], 1 << 24)).toBe(0);
    const a = await readFile(small);
    expect(a.byteLength).toBeGreaterThan(f.bytes * 0.9);
    expect(Buffer.compare(a, await readFile(large))).toBe(0);
  });

  it("--low-latency gives the library's lowLatency output (a Main stream that declares no bound)", async () => {
    // I and P frames with one reordered run (decode order P28 B24 B26), an IDR every 20: lowLatency restarts.
    const frames = Array.from({ length: 30 }, (_, i) => {
      const k = i % 20;
      if (k === 12) return { type: 'P' as const, poc: 28 };
      if (k === 13 || k === 14) return { type: 'B' as const, poc: 2 * (k - 1) };
      return { type: k === 0 ? ('I' as const) : ('P' as const), idr: k === 0, poc: 2 * k };
    });
    const input = join(dir, 'main-nobound.h264');
    const data = progressiveStream({ widthMbs: 4, heightMbs: 3, fps: 30, frames });
    await writeFile(input, data);
    const options = { parameterSetChanges: 'in-band' as const, fragment: 'frame' as const };
    const expected = concatSegments(transmux(data, { ...options, lowLatency: true }).outputs);
    const held = concatSegments(transmux(data, options).outputs);
    expect(Buffer.compare(expected, held)).not.toBe(0);
    const out = join(dir, 'main-nobound.mp4');
    const args = [input, '-o', out, '-q', '--fragment', 'frame', '--low-latency'];
    expect(await convert(args, 65_536)).toBe(0);
    expect(Buffer.compare(await readFile(out), expected)).toBe(0);
  });

  it('an output that cannot be opened is an error, not a hang', async () => {
    const f = fixture('p03');
    await expect(
      convert([fixturePath(f.name), '-o', join(dir, 'missing-dir', 'x.mp4'), '-q'], 65_536),
    ).rejects.toThrow(/ENOENT/);
  });
});
