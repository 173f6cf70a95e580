import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { once } from 'node:events';
import type { Writable } from 'node:stream';

/**
 * Reads a file or stdin (`-`) as a stream of chunks. Files are read synchronously in large fresh buffers
 * (the transmuxer keeps views into them): a converter has nothing else to do while it waits, and the
 * event-loop round trips of a read stream cost more than the reads.
 */
export function openInput(path: string, chunkSize = 4 * 1024 * 1024): AsyncIterable<Uint8Array> {
  if (path === '-') return process.stdin;
  return readFileChunks(path, chunkSize);
}

async function* readFileChunks(path: string, chunkSize: number): AsyncGenerator<Uint8Array> {
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const buffer = new Uint8Array(chunkSize);
      const n = readSync(fd, buffer, 0, chunkSize, null);
      if (n === 0) return;
      yield n === chunkSize ? buffer : buffer.subarray(0, n);
      await Promise.resolve();
    }
  } finally {
    closeSync(fd);
  }
}

export async function inputSize(path: string): Promise<number | undefined> {
  if (path === '-') return undefined;
  return (await stat(path)).size;
}

/** An output sink: stdout with backpressure, or a file written synchronously. */
export class Output {
  private constructor(
    private readonly stream: Writable | undefined,
    private readonly fd: number | undefined,
  ) {}

  static open(path: string): Output {
    return path === '-'
      ? new Output(process.stdout, undefined)
      : new Output(undefined, openSync(path, 'w'));
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.fd !== undefined) {
      let offset = 0;
      while (offset < data.length) offset += writeSync(this.fd, data, offset, data.length - offset);
      return;
    }
    if (this.stream && !this.stream.write(data)) await once(this.stream, 'drain');
  }

  close(): Promise<void> {
    if (this.fd !== undefined) closeSync(this.fd);
    return Promise.resolve();
  }
}
