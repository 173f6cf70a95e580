// Runs one README example (compiled to JS) in Node, in the consumer project where `h264mux` is the
// installed package: `node node-run.mjs <example.js> <raw.h264> <out.mp4>`. The example's `input` is the
// raw file as a web ReadableStream; its `sourceBuffer` records what is appended and, as MSE does, refuses
// an append while the previous one is still in progress. The appended bytes go to <out.mp4>.
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';

const [example, raw, out] = process.argv.slice(2);
const appended = [];

class RecordingSourceBuffer extends EventTarget {
  updating = false;

  appendBuffer(data) {
    if (this.updating)
      throw new DOMException(
        'appendBuffer while the last append is in progress',
        'InvalidStateError',
      );
    this.updating = true;
    appended.push(Buffer.from(ArrayBuffer.isView(data) ? data : new Uint8Array(data)));
    setTimeout(() => {
      this.updating = false;
      this.dispatchEvent(new Event('update'));
      this.dispatchEvent(new Event('updateend'));
    });
  }
}

globalThis.input = Readable.toWeb(createReadStream(raw));
globalThis.sourceBuffer = new RecordingSourceBuffer();
await import(pathToFileURL(example).href);
await writeFile(out, Buffer.concat(appended));
