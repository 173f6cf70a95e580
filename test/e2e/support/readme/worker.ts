// A README example in a module worker, against the installed package as Vite bundles it. Its `input` is
// the fetched raw stream; its `sourceBuffer` is a real one, of a MediaSource made in this worker and
// played by the page's <video> (MSE in workers), with its appends recorded for the ffmpeg oracle.
import type { RunRequest, WorkerMessage } from './page.js';

const post = (message: WorkerMessage, transfer: Transferable[] = []): void =>
  postMessage(message, { transfer });

async function run(request: RunRequest): Promise<void> {
  const mediaSource = new MediaSource();
  const opened = new Promise((resolve) =>
    mediaSource.addEventListener('sourceopen', resolve, { once: true }),
  );
  // MediaSource.handle exists in dedicated workers only (TypeScript's WebWorker lib, not its DOM lib).
  const { handle } = mediaSource as MediaSource & { readonly handle: MediaSourceHandle };
  post({ type: 'handle', handle }, [handle]);
  await opened;
  const sourceBuffer = mediaSource.addSourceBuffer(request.mimeType);
  const appended: Uint8Array[] = [];
  const append = sourceBuffer.appendBuffer.bind(sourceBuffer);
  sourceBuffer.appendBuffer = (data: BufferSource) => {
    const view = ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);
    appended.push(view.slice());
    append(data);
  };
  const response = await fetch(request.fixtureUrl);
  Object.assign(globalThis, { input: response.body, sourceBuffer });
  await import(`./examples/example-${request.example}.ts`);
  let size = 0;
  for (const a of appended) size += a.length;
  const bytes = new Uint8Array(size);
  size = 0;
  for (const a of appended) {
    bytes.set(a, size);
    size += a.length;
  }
  const ranges = sourceBuffer.buffered;
  const buffered: [number, number][] = [];
  for (let i = 0; i < ranges.length; i++) buffered.push([ranges.start(i), ranges.end(i)]);
  post({ type: 'done', bytes, buffered }, [bytes.buffer]);
}

onmessage = (e: MessageEvent<RunRequest>) => {
  run(e.data).catch((error: unknown) =>
    post({
      type: 'error',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    }),
  );
};
