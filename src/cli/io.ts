import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** Reads a file or stdin (`-`) as a stream of chunks. */
export function openInput(path: string, chunkSize = 1024 * 1024): AsyncIterable<Uint8Array> {
  return path === '-' ? process.stdin : createReadStream(path, { highWaterMark: chunkSize });
}

export async function inputSize(path: string): Promise<number | undefined> {
  if (path === '-') return undefined;
  return (await stat(path)).size;
}

/** A writable with backpressure: `write` resolves when the sink can take more. */
export class Output {
  private constructor(
    private readonly stream: Writable,
    private readonly isStdout: boolean,
  ) {}

  static open(path: string): Output {
    return path === '-'
      ? new Output(process.stdout, true)
      : new Output(createWriteStream(path), false);
  }

  async write(data: Uint8Array): Promise<void> {
    if (!this.stream.write(data)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    if (this.isStdout) return;
    this.stream.end();
    await once(this.stream, 'finish');
  }
}
