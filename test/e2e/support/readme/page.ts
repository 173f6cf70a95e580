// The page of the README examples' worker run (built with Vite in the consumer project): runs example
// `n` in a new module worker, attaches the worker's MediaSource to a <video>, and hands the appended
// bytes (base64) and the buffered range back to the test.
export interface ExampleResult {
  readonly base64: string;
  readonly buffered: readonly [number, number][];
}

export interface RunRequest {
  readonly example: number;
  readonly fixtureUrl: string;
  readonly mimeType: string;
}

export type WorkerMessage =
  | { readonly type: 'handle'; readonly handle: MediaSourceHandle }
  | {
      readonly type: 'done';
      readonly bytes: Uint8Array<ArrayBuffer>;
      readonly buffered: [number, number][];
    }
  | { readonly type: 'error'; readonly message: string };

function base64(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () =>
      typeof reader.result === 'string'
        ? resolve(reader.result.replace(/^data:[^,]*,/, ''))
        : reject(new Error('FileReader gave no data URL'));
    reader.onerror = () => reject(new Error('FileReader failed'));
    reader.readAsDataURL(new Blob([bytes]));
  });
}

function runExample(request: RunRequest): Promise<ExampleResult> {
  const video = document.createElement('video');
  video.muted = true;
  document.body.append(video);
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  return new Promise<ExampleResult>((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
      const message = e.data;
      if (message.type === 'handle') video.srcObject = message.handle as unknown as MediaSource;
      else if (message.type === 'error') reject(new Error(message.message));
      else
        void base64(message.bytes).then((b) => resolve({ base64: b, buffered: message.buffered }));
    };
    worker.onerror = (e) => reject(new Error(`worker: ${e.message}`));
    worker.postMessage(request);
  }).finally(() => worker.terminate());
}

export interface PageResult {
  readonly ended: boolean;
  readonly decoded: number;
  readonly errors: readonly string[];
}

/**
 * Runs example `n` in this page, with `video` (a new <video>) and `file` (the fixture as a Blob) as
 * its globals: an example that plays with the package's player (h264mux/player).
 */
async function runPageExample(request: RunRequest): Promise<PageResult> {
  const video = document.createElement('video');
  video.muted = true;
  document.body.append(video);
  let ended = false;
  let decoded = 0;
  // Counted at 'ended': the example's close() empties the element afterwards.
  video.addEventListener('ended', () => {
    ended = true;
    decoded = video.getVideoPlaybackQuality().totalVideoFrames;
  });
  const file = await (await fetch(request.fixtureUrl)).blob();
  Object.assign(globalThis, { video, file });
  const errors: string[] = [];
  const logError = console.error.bind(console);
  console.error = (...args: unknown[]) => {
    errors.push(args.map(String).join(' '));
    logError(...args);
  };
  try {
    await import(`./examples/example-${request.example}.ts`);
  } finally {
    console.error = logError;
  }
  return { ended, decoded, errors };
}

Object.assign(window, { runExample, runPageExample });
