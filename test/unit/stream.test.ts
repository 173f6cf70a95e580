// H264ToMp4Stream: the transmuxer as a web TransformStream gives exactly what push() + flush() give,
// the tail included, and errors the stream with the transmuxer's H264MuxError.
import { describe, expect, it } from 'vitest';
import { H264MuxError, H264ToMp4Stream, type TransmuxerOutput } from '../../src/core/index.js';
import { fixture, readFixture } from '../helpers/fixtures.js';
import { concatSegments, transmux } from '../helpers/transmux.js';

/** The input as a ReadableStream of `chunkSize`-byte chunks. */
function chunked(input: Uint8Array, chunkSize: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= input.length) controller.close();
      else controller.enqueue(input.subarray(at, (at += chunkSize)));
    },
  });
}

async function collect(stream: ReadableStream<TransmuxerOutput>): Promise<TransmuxerOutput[]> {
  const outputs: TransmuxerOutput[] = [];
  const reader = stream.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read())
    outputs.push(next.value);
  return outputs;
}

describe('H264ToMp4Stream', () => {
  // p04: B-frames (frames held for reordering until the end); p12: cut inside its last frame.
  for (const [name, fragment] of [
    ['p04', 'gop'],
    ['p04', 'frame'],
    ['p12', 'gop'],
  ] as const) {
    it(`${name}, fragment '${fragment}': the same outputs as push + flush, every frame kept`, async () => {
      const f = fixture(name);
      const input = readFixture(f.name);
      const expected = transmux(input, { fragment }, 65_536);
      const outputs = await collect(
        chunked(input, 65_536).pipeThrough(new H264ToMp4Stream({ fragment })),
      );
      expect(outputs.map((o) => o.type)).toEqual(expected.outputs.map((o) => o.type));
      const frames = outputs.reduce((n, o) => n + (o.type === 'media' ? o.frames : 0), 0);
      expect(frames).toBe(f.frames - (f.oracleArgs.allowMissing ?? 0));
      expect(Buffer.compare(concatSegments(outputs), concatSegments(expected.outputs))).toBe(0);
    });
  }

  it('info is there once the first keyframe went through', async () => {
    const stream = new H264ToMp4Stream();
    expect(stream.info).toBeUndefined();
    await collect(chunked(readFixture(fixture('p01').name), 1 << 20).pipeThrough(stream));
    expect(stream.info?.codec).toBe(fixture('p01').codec);
  });

  it('input that is not H.264 errors the stream with the H264MuxError (NOT_H264)', async () => {
    const mp4 = new Uint8Array(4096);
    mp4.set([0, 0, 0, 0x18, ...new TextEncoder().encode('ftypisom')]);
    const error = await collect(chunked(mp4, 1024).pipeThrough(new H264ToMp4Stream())).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(H264MuxError);
    expect((error as H264MuxError).code).toBe('NOT_H264');
  });
});
