/**
 * Main-thread side of the save worker: one SaveJob per conversion, in its own worker (playback keeps
 * its transmuxer). `result` settles with the file, or rejects with a TransmuxError (code CANCELLED,
 * TOO_LARGE, NOT_H264, ...).
 */
import { TransmuxError } from './client.js';
import type { Mp4Layout } from './mp4-file.js';
import type {
  SaveCommand,
  SaveProgress,
  SaveResponse,
  SaveResult,
  SaveTarget,
} from './save-protocol.js';

export interface SaveRequest {
  readonly file: File;
  readonly layout: Mp4Layout;
  readonly fps: number | undefined;
  readonly target: SaveTarget;
}

export class SaveJob {
  readonly result: Promise<SaveResult>;
  private readonly worker: Worker;
  private settled = false;

  constructor(request: SaveRequest, onProgress: (progress: SaveProgress) => void) {
    this.worker = new Worker(new URL('./save.worker.ts', import.meta.url), {
      type: 'module',
      name: 'h264mux-save',
    });
    this.result = new Promise<SaveResult>((resolve, reject) => {
      this.worker.onmessage = (event: MessageEvent<SaveResponse>) => {
        const response = event.data;
        if (response.type === 'progress') {
          onProgress(response.progress);
          return;
        }
        this.settled = true;
        this.worker.terminate();
        if (response.type === 'done') resolve(response.result);
        else reject(new TransmuxError(response.error));
      };
      this.worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        this.settled = true;
        this.worker.terminate();
        reject(
          new TransmuxError({
            code: 'INTERNAL',
            message: `The save worker failed: ${event.message || 'could not load the worker script'}`,
            detail: {},
          }),
        );
      };
    });
    const command: SaveCommand = {
      type: 'save',
      file: request.file,
      layout: request.layout,
      target: request.target,
      ...(request.fps !== undefined ? { fps: request.fps } : {}),
    };
    this.worker.postMessage(command);
  }

  /** Asks the worker to stop; `result` then rejects with code CANCELLED. */
  cancel(): void {
    if (!this.settled) this.worker.postMessage({ type: 'cancel' } satisfies SaveCommand);
  }
}
