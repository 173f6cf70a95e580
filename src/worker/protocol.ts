/**
 * The message protocol between the page and the transmuxer worker. Shared by both sides so that a
 * command or a response the other side does not understand is a type error.
 *
 * Every command carries an `id`; the worker answers each command with exactly one response carrying
 * the same id (`outputs` or `error`). Byte buffers are transferred, not copied, in both directions.
 */
import type { TransmuxerOptions, TransmuxerOutput } from '../core/index.js';

/** An error as plain data: the worker never lets an exception become a lost log line. */
export interface WorkerErrorData {
  /** An H264MuxErrorCode from the core, or 'INTERNAL' for anything unexpected. */
  readonly code: string;
  readonly message: string;
  readonly detail: Readonly<Record<string, string | number | boolean>>;
}

export type WorkerCommand =
  /** (Re)create the transmuxer with these options (drops any previous state). */
  | { readonly type: 'configure'; readonly id: number; readonly options: TransmuxerOptions }
  /** Bytes of the stream, in order, cut anywhere (or at access-unit ends when `endOfAccessUnit`). */
  | {
      readonly type: 'push';
      readonly id: number;
      readonly data: Uint8Array;
      readonly endOfAccessUnit: boolean;
    }
  /** End of stream: emit the last frame and the pending fragment. */
  | { readonly type: 'flush'; readonly id: number }
  /** Discard partial input (after a reconnect); output resumes at the next keyframe. */
  | { readonly type: 'reset'; readonly id: number };

export type WorkerResponse =
  | {
      readonly type: 'outputs';
      readonly id: number;
      readonly outputs: readonly TransmuxerOutput[];
    }
  | { readonly type: 'error'; readonly id: number; readonly error: WorkerErrorData };

/** Buffers to transfer with a set of outputs (each output owns its buffer). */
export function transferablesOf(outputs: readonly TransmuxerOutput[]): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const out of outputs) {
    if (out.type === 'init' || out.type === 'media') {
      const buffer = out.data.buffer;
      if (buffer instanceof ArrayBuffer && !list.includes(buffer)) list.push(buffer);
    }
  }
  return list;
}
