/**
 * Messages between the page and the save worker (./save.worker.ts), which converts a whole dropped file
 * to one .mp4. One job per worker instance; the page starts it with `save` and may send `cancel`.
 * The worker answers with any number of `progress` messages, then exactly one `done` or `error`.
 */
import type { Mp4Layout } from './mp4-file.js';
import type { WorkerErrorData } from './protocol.js';

/** Where the file goes. */
export type SaveTarget =
  /** Streamed to disk through the File System Access API (a handle from showSaveFilePicker). */
  | { readonly kind: 'handle'; readonly handle: FileSystemFileHandle }
  /** Kept in memory and handed back as a Blob for a download (bounded by `maxBytes`). */
  | { readonly kind: 'blob'; readonly maxBytes: number };

export type SaveCommand =
  | {
      readonly type: 'save';
      readonly file: File;
      readonly layout: Mp4Layout;
      readonly fps?: number;
      readonly target: SaveTarget;
    }
  /** Stop as soon as possible; a partly written file is discarded. Answered with error CANCELLED. */
  | { readonly type: 'cancel' };

export interface SaveProgress {
  /** 1 of 1 (fragmented), or 1 (sizing) / 2 (writing) of 2 (faststart: the input is read twice). */
  readonly pass: number;
  readonly passes: number;
  readonly bytesRead: number;
  readonly totalBytes: number;
  readonly frames: number;
  readonly bytesWritten: number;
}

export interface SaveResult {
  /** The file for a download ('blob' target), absent when it went to disk. */
  readonly blob?: Blob;
  readonly bytes: number;
  readonly frames: number;
  readonly durationSeconds: number;
  readonly warnings: readonly string[];
}

export type SaveResponse =
  | { readonly type: 'progress'; readonly progress: SaveProgress }
  | { readonly type: 'done'; readonly result: SaveResult }
  | { readonly type: 'error'; readonly error: WorkerErrorData };
