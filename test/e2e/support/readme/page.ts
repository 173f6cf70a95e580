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

(window as unknown as { runExample: typeof runExample }).runExample = runExample;
