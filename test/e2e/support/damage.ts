// Damaged media, real to the browser: one MSE media append or one WebCodecs delta chunk gets its first
// NAL unit's 4-byte length set past the sample's end, which the browser's demuxer or decoder rejects.
// `damageMedia` runs in the page (Playwright's addInitScript, or an engine session's evaluate once the
// player runs) or in a worker (Playwright's worker.evaluate): it patches
// SourceBuffer.prototype.appendBuffer or VideoDecoder.prototype.decode, and counts what it damaged in
// `globalThis.__faults`. Self-contained: page functions are sent as source text.

export interface Fault {
  /** What is damaged: MSE's media appends (`moof` first) or WebCodecs' delta chunks. */
  readonly target: 'append' | 'decode';
  /** The first one damaged, counted from 1 since the patch. */
  readonly from: number;
  /** How many are damaged from there (a large number: every one). */
  readonly count: number;
}

export function damageMedia({ target, from, count }: Fault): boolean {
  // A page's window, or a worker's scope (the transmuxer worker's own decoder).
  const w = globalThis as unknown as { __faults: number };
  w.__faults = 0;
  let seen = 0;
  const hit = (): boolean => {
    seen++;
    if (seen < from || seen >= from + count) return false;
    w.__faults++;
    return true;
  };
  const damage = (bytes: Uint8Array, at: number): void => {
    bytes.set([0x7f, 0xff, 0xff, 0xff], at);
  };
  if (target === 'append') {
    const append = Object.getOwnPropertyDescriptor(SourceBuffer.prototype, 'appendBuffer')
      ?.value as (this: SourceBuffer, data: BufferSource) => void;
    SourceBuffer.prototype.appendBuffer = function (data: BufferSource) {
      const view = ArrayBuffer.isView(data)
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : new Uint8Array(data);
      const type = (at: number): string => String.fromCharCode(...view.subarray(at + 4, at + 8));
      if (view.length <= 8 || type(0) !== 'moof' || !hit()) return append.call(this, data);
      const copy = view.slice();
      // Top-level boxes: the mdat's payload starts with the first sample's first NAL length.
      for (let at = 0; at + 8 <= copy.length;) {
        const size = new DataView(copy.buffer).getUint32(at);
        if (type(at) === 'mdat') {
          damage(copy, at + 8);
          break;
        }
        if (size < 8) break;
        at += size;
      }
      return append.call(this, copy);
    };
  } else {
    const decode = Object.getOwnPropertyDescriptor(VideoDecoder.prototype, 'decode')?.value as (
      this: VideoDecoder,
      chunk: EncodedVideoChunk,
    ) => void;
    VideoDecoder.prototype.decode = function (chunk: EncodedVideoChunk) {
      if (chunk.type !== 'delta' || !hit()) return decode.call(this, chunk);
      const bytes = new Uint8Array(chunk.byteLength);
      chunk.copyTo(bytes);
      damage(bytes, 0);
      const { type, timestamp } = chunk;
      return decode.call(this, new EncodedVideoChunk({ type, timestamp, data: bytes }));
    };
  }
  return true;
}
