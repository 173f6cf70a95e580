// `h264mux serve --stdin` as a process, the way a camera pipeline feeds it (issue 13 item 4): a burst of
// junk before the stream (a shell's banner, a partial write) is warned about and skipped, and the
// stream after it is relayed.
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureLibBuilt } from '../../scripts/lib-build.mjs';
import { CLI } from '../helpers/cli.js';
import { completeAus, ffmpegDecode, fixture, getJson, grabHttp, waitFor } from './helpers.js';

beforeAll(() => {
  ensureLibBuilt();
}, 180_000);

/** Deterministic junk (xorshift32): no structure, a start code now and then by chance. */
function junk(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** `h264mux serve --stdin` on a free port, its output collected; resolves once it listens. */
async function stdinRelay() {
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--stdin', '--host', '127.0.0.1', '--port', '0'],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const output = { out: '', err: '' };
  child.stdout.on('data', (b: Buffer) => (output.out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output.err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await waitFor('listening', () => /open http:\/\/127\.0\.0\.1:\d+\//.test(output.out));
  const base = /open (http:\/\/127\.0\.0\.1:\d+)\//.exec(output.out)![1]!;
  return { child, output, exited, base };
}

describe('h264mux serve --stdin (a process)', () => {
  it('5 MB of junk, then a stream: warns, keeps reading, relays from a keyframe, exits 0 at the end', async () => {
    const { child, output, exited, base } = await stdinRelay();
    try {
      const bad = junk(5 * 1024 * 1024, 13);
      for (let o = 0; o < bad.length; o += 65536) child.stdin.write(bad.subarray(o, o + 65536));
      child.stdin.write(fixture('p01_pi_baseline_vga30_inline.h264'));
      await waitFor(
        'streaming',
        async () =>
          (await getJson<{ source: { state: string } }>(`${base}/status`)).source.state ===
          'streaming',
      );
      // The viewer joins the last GOP (from the cache) and gets the rest when stdin ends.
      const viewer = grabHttp(`${base}/stream.h264`, () => false);
      await waitFor(
        'the viewer',
        async () =>
          (await getJson<{ viewers: { total: number } }>(`${base}/status`)).viewers.total === 1,
      );
      child.stdin.end();
      const grab = await viewer;
      expect(await exited).toBe(0);
      expect(output.err).toMatch(/stdin is not a raw H\.264 Annex-B stream.*Still reading/);
      expect(output.err).toMatch(/H\.264 found after \d+ bytes of something else/);
      const aus = completeAus(grab.bytes);
      expect(aus[0]?.keyframe).toBe(true);
      const decoded = await ffmpegDecode(grab.bytes);
      expect(decoded.errors).toBe('');
      // Whole GOPs to the end: the last one, or more when the viewer joined while the relay was still
      // reading stdin (p01: a keyframe every 30 frames; measured 60 once, on a loaded machine).
      expect([30, 60, 90, 120, 150]).toContain(decoded.frames);
    } finally {
      child.kill();
    }
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to the relay alone while its stdin stays open (the camera writes on): exits 0 at once`, async () => {
      const { child, output, exited, base } = await stdinRelay();
      child.stdin.on('error', () => undefined);
      try {
        child.stdin.write(fixture('p01_pi_baseline_vga30_inline.h264'));
        await waitFor(
          'streaming',
          async () =>
            (await getJson<{ source: { state: string } }>(`${base}/status`)).source.state ===
            'streaming',
        );
        child.kill(signal);
        // It used to print "stopped" and live on until SIGKILL (systemctl stop hung for 90 s).
        const code = await Promise.race([
          exited,
          new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 5000)),
        ]);
        expect(code).toBe(0);
        expect(output.err).toMatch(/h264mux serve: stopped\n$/);
      } finally {
        child.kill('SIGKILL');
      }
    });
  }
});
