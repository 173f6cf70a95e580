import { Transmuxer } from './transmuxer.js';
import type { StreamInfo, TransmuxerOptions, TransmuxerOutput } from './types.js';

/**
 * The transmuxer as a web stream (WHATWG Streams: browsers, workers, Node 18+): raw H.264 chunks in,
 * `TransmuxerOutput`s out, and when the input ends, the last frames and pending segments that
 * `Transmuxer.flush()` returns. Piping through it cannot lose the end of a stream.
 *
 * ```ts
 * const outputs = response.body.pipeThrough(new H264ToMp4Stream({ fragment: 'frame' }));
 * for await (const out of outputs) if (out.type === 'media') sourceBuffer.appendBuffer(out.data);
 * ```
 *
 * A fatal `H264MuxError` (e.g. `NOT_H264`) errors the stream: the reader's `read()` (or `for await`)
 * throws it. Chunks are referenced until their frame is written, as with `push()`: do not change a
 * chunk after it has been written to the stream.
 */
export class H264ToMp4Stream extends TransformStream<Uint8Array, TransmuxerOutput> {
  private readonly transmuxer: Transmuxer;

  constructor(options: TransmuxerOptions = {}) {
    const transmuxer = new Transmuxer(options);
    super({
      transform(chunk, controller) {
        for (const out of transmuxer.push(chunk)) controller.enqueue(out);
      },
      flush(controller) {
        for (const out of transmuxer.flush()) controller.enqueue(out);
      },
    });
    this.transmuxer = transmuxer;
  }

  /** Stream facts once the first keyframe has been seen (as `Transmuxer.info`). */
  get info(): StreamInfo | undefined {
    return this.transmuxer.info;
  }
}
