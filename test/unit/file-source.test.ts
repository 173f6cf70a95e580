// The file source hands a big File.stream() chunk on in parts, one at a time: the sink's backpressure
// (the player's room) holds reading to what it asks for.
import { describe, expect, it } from 'vitest';
import { FileSource, MAX_PART } from '../../src/sources/file-source.js';
import { readFixture } from '../helpers/fixtures.js';

/** A Blob whose stream() gives all of its bytes in one chunk (as Chromium does for MBs). */
function oneChunkBlob(bytes: Uint8Array): Blob {
  const blob = new Blob([bytes.slice()]);
  const slice = (start = 0): Blob => {
    const part = bytes.subarray(start);
    return Object.assign(new Blob([part.slice()]), {
      stream: () =>
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(part.slice());
            controller.close();
          },
        }),
    });
  };
  return Object.assign(blob, { slice });
}

describe('FileSource', () => {
  it('hands a multi-MB chunk on in parts of at most MAX_PART bytes, each after the last was taken', async () => {
    const bytes = readFixture('p19_high_bitrate_qp10.h264');
    expect(bytes.length).toBeGreaterThan(4 * MAX_PART);
    const source = new FileSource(oneChunkBlob(bytes));
    const parts: Uint8Array[] = [];
    let release: (() => void) | undefined;
    const ended = new Promise<void>((resolve) => {
      source.start({
        connected: () => undefined,
        data: (chunk) => {
          parts.push(chunk.slice());
          return new Promise<void>((r) => (release = r));
        },
        end: () => resolve(),
        reconnecting: () => undefined,
        error: (e) => {
          throw e;
        },
      });
    });
    // Reading starts once the keyframe index has loaded (a dynamic import): wait for the first part.
    await expect.poll(() => parts.length, { timeout: 10_000 }).toBe(1);
    await new Promise((r) => setTimeout(r, 10));
    // The first part is waiting for the sink: nothing more was handed on.
    expect(parts).toHaveLength(1);
    while (release) {
      const r = release;
      release = undefined;
      r();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await ended;
    expect(parts.every((p) => p.length <= MAX_PART)).toBe(true);
    expect(Buffer.concat(parts).equals(Buffer.from(bytes))).toBe(true);
    expect(source.estimateFrames()).toBe(30);
  });
  it('counts the bytes read once: a seek back reads them again, bytesRead stays the file size', async () => {
    const bytes = readFixture('p01_pi_baseline_vga30_inline.h264');
    const source = new FileSource(new Blob([bytes.slice()]));
    // Asked before it starts (the player's stats may be): nothing read yet, no throw.
    expect(source.bytesRead).toBe(0);
    let handed = 0;
    let ends = 0;
    source.start({
      connected: () => undefined,
      data: (chunk) => {
        handed += chunk.length;
      },
      end: () => {
        ends++;
      },
      restarted: () => undefined,
      reconnecting: () => undefined,
      error: (e) => {
        throw e;
      },
    });
    await expect.poll(() => ends, { timeout: 10_000 }).toBe(1);
    expect(source.bytesRead).toBe(bytes.length);
    // The player seeks back to the start, its frames evicted: read again from the first keyframe.
    source.seek(0, true);
    await expect.poll(() => ends, { timeout: 10_000 }).toBe(2);
    expect(handed).toBeGreaterThan(1.9 * bytes.length);
    // The stats' "Read" row showed the handed bytes: "complete, 3.05 MB" of a 1.59 MB file.
    expect(source.bytesRead).toBe(bytes.length);
  });
});
