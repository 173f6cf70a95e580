/// <reference lib="webworker" />
/**
 * Save worker: converts a whole dropped file to one .mp4 (see ./save-protocol.ts), reading it with
 * File.stream() and writing either straight to disk (File System Access API writable, so a multi-GB file
 * never sits in memory) or into a Blob for a download.
 *
 * Faststart reads the file twice: pass 1 collects the sample table (memory grows with the frame count,
 * not the media), pass 2 writes `moov` and then the media; the transmuxer is deterministic, so pass 2
 * produces exactly the bytes pass 1 counted.
 */
import {
  CodedError,
  H264MuxError,
  SampleTable,
  segmentPayload,
  progressiveHeader,
  Transmuxer,
} from '../core/index.js';
import type { InitSegment, TransmuxerOutput } from '../core/index.js';
import { fileTransmuxerOptions } from './mp4-file.js';
import type { WorkerErrorData } from './protocol.js';
import type {
  SaveCommand,
  SaveProgress,
  SaveResponse,
  SaveResult,
  SaveTarget,
} from './save-protocol.js';
import { checkedTail } from './tail-check.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const PROGRESS_INTERVAL_MS = 100;

class SaveError extends CodedError<'CANCELLED' | 'TOO_LARGE' | 'FILE_CHANGED' | 'WRITE_FAILED'> {}

let cancelled = false;

function checkCancelled(): void {
  if (cancelled) throw new SaveError('CANCELLED', 'Saving was cancelled.');
}

interface Sink {
  write(data: Uint8Array): Promise<void>;
  /** Finishes the file; a Blob for the 'blob' target. */
  close(): Promise<Blob | undefined>;
  abort(): Promise<void>;
  readonly written: number;
}

async function openSink(target: SaveTarget): Promise<Sink> {
  if (target.kind === 'handle') {
    const writable = await target.handle.createWritable();
    let written = 0;
    return {
      async write(data) {
        await writable.write(data as Uint8Array<ArrayBuffer>);
        written += data.byteLength;
      },
      async close() {
        await writable.close();
        return undefined;
      },
      async abort() {
        await writable.abort().catch(() => undefined);
        // The picker created the file; a cancelled save leaves nothing behind (Chromium 110+).
        const removable = target.handle as { remove?: () => Promise<void> };
        await removable.remove?.().catch(() => undefined);
      },
      get written() {
        return written;
      },
    };
  }
  const parts: Uint8Array[] = [];
  let written = 0;
  return {
    write(data) {
      if (written + data.byteLength > target.maxBytes) {
        throw new SaveError(
          'TOO_LARGE',
          `The MP4 would pass ${(target.maxBytes / 2 ** 30).toFixed(1)} GiB, the most a download from memory can hold in this browser. Use a browser with the File System Access API (Chrome, Edge) or the CLI: h264mux convert in.h264 -o out.mp4.`,
        );
      }
      parts.push(data);
      written += data.byteLength;
      return Promise.resolve();
    },
    close() {
      return Promise.resolve(new Blob(parts as BlobPart[], { type: 'video/mp4' }));
    },
    abort() {
      parts.length = 0;
      return Promise.resolve();
    },
    get written() {
      return written;
    },
  };
}

type Progress = Omit<SaveProgress, 'bytesWritten' | 'totalBytes'>;

/** Feeds the whole file through a fresh transmuxer; `take` sees every output, the tail checked. */
async function transmuxFile(
  file: File,
  fps: number | undefined,
  progress: (p: Progress) => void,
  pass: number,
  passes: number,
  take: (outputs: readonly TransmuxerOutput[]) => Promise<void>,
): Promise<void> {
  const transmuxer = new Transmuxer(fileTransmuxerOptions(fps));
  let init: InitSegment | undefined;
  let frames = 0;
  const handle = async (outputs: readonly TransmuxerOutput[]): Promise<void> => {
    for (const out of outputs) {
      if (out.type === 'init') init ??= out;
      else if (out.type === 'media') frames += out.frames;
    }
    await take(outputs);
  };
  const reader = file.stream().getReader();
  let bytesRead = 0;
  try {
    for (;;) {
      checkCancelled();
      const { done, value } = await reader.read();
      if (done) break;
      bytesRead += value.byteLength;
      await handle(transmuxer.push(value));
      progress({ pass, passes, bytesRead, frames });
    }
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  checkCancelled();
  // A file cut mid-NAL ends in a damaged frame: dropped as in playback (TRUNCATED_FRAME_DROPPED).
  await handle(await checkedTail(transmuxer, transmuxer.flush(), init));
  progress({ pass, passes, bytesRead, frames });
}

async function save(command: Extract<SaveCommand, { type: 'save' }>): Promise<SaveResult> {
  const { file, layout, fps, target } = command;
  const warnings: string[] = [];
  let frames = 0;
  let duration = 0;
  let timescale = 1;
  let lastProgress = 0;
  const sink = await openSink(target);
  const progress = (p: Progress): void => {
    const now = performance.now();
    if (now - lastProgress < PROGRESS_INTERVAL_MS && p.bytesRead < file.size) return;
    lastProgress = now;
    post({
      type: 'progress',
      progress: { ...p, totalBytes: file.size, bytesWritten: sink.written },
    });
  };
  const count = (out: TransmuxerOutput): void => {
    if (out.type === 'media') {
      frames += out.frames;
      duration += out.duration;
      timescale = out.timescale;
    } else if (out.type === 'warning' && !warnings.includes(out.message)) {
      warnings.push(out.message);
    }
  };
  try {
    if (layout === 'fragmented') {
      let initWritten = false;
      await transmuxFile(file, fps, progress, 1, 1, async (outputs) => {
        for (const out of outputs) {
          count(out);
          // In-band parameter-set changes: one init segment for the whole file.
          if (out.type === 'init' && !initWritten) {
            initWritten = true;
            await sink.write(out.data);
          } else if (out.type === 'media') {
            await sink.write(out.data);
          }
        }
      });
    } else {
      const table = new SampleTable();
      let init: InitSegment | undefined;
      await transmuxFile(file, fps, progress, 1, 2, (outputs) => {
        for (const out of outputs) {
          count(out);
          if (out.type === 'init') init ??= out;
          else if (out.type === 'media') table.add(out);
        }
        return Promise.resolve();
      });
      if (!init) throw new H264MuxError('NO_DECODABLE_FRAMES', 'No decodable frame in the file.');
      await sink.write(progressiveHeader(init, table));
      let payload = 0;
      await transmuxFile(file, fps, progress, 2, 2, async (outputs) => {
        for (const out of outputs) {
          if (out.type !== 'media') continue;
          const data = segmentPayload(out);
          payload += data.byteLength;
          await sink.write(data);
        }
      });
      if (payload !== table.payloadBytes) {
        throw new SaveError('FILE_CHANGED', `${file.name} changed while it was being saved.`);
      }
    }
    const blob = await sink.close();
    return {
      ...(blob ? { blob } : {}),
      bytes: sink.written,
      frames,
      durationSeconds: duration / timescale,
      warnings,
    };
  } catch (error) {
    await sink.abort();
    throw error;
  }
}

function toErrorData(error: unknown): WorkerErrorData {
  // H264MuxError from the core, SaveError from here.
  if (error instanceof CodedError) return error.toJSON();
  const message = error instanceof Error ? error.message : String(error);
  // A failing writable (disk full, permission revoked) surfaces as a DOMException.
  if (error instanceof DOMException) return { code: 'WRITE_FAILED', message, detail: {} };
  return { code: 'INTERNAL', message, detail: {} };
}

function post(response: SaveResponse): void {
  scope.postMessage(response);
}

scope.onmessage = (event: MessageEvent<SaveCommand>) => {
  const command = event.data;
  if (command.type === 'cancel') {
    cancelled = true;
    return;
  }
  save(command).then(
    (result) => post({ type: 'done', result }),
    (error: unknown) => post({ type: 'error', error: toErrorData(error) }),
  );
};
