import { open as openFd } from 'node:fs';
import { open, rm, stat, type FileHandle } from 'node:fs/promises';
import { Socket } from 'node:net';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { CommandError, UsageError } from './errors.js';

/** Bytes of written-but-not-yet-flushed output before a writer makes its caller wait. */
const MAX_PENDING_BYTES = 32 * 1024 * 1024;

/**
 * Chunk buffers a file reader takes and its consumer gives back once nothing references them any more.
 * Reading into memory already touched avoids a page fault per 4 KiB, the main cost of reading fresh buffers.
 */
export class ChunkPool {
  private readonly free: ArrayBuffer[] = [];

  constructor(readonly chunkSize: number) {}

  take(): Uint8Array {
    const buffer = this.free.pop();
    // Uninitialised memory is safe here: readers hand on only the bytes a read filled.
    return buffer ? new Uint8Array(buffer) : Buffer.allocUnsafeSlow(this.chunkSize);
  }

  /** Returns a chunk taken from this pool (any view of it). */
  give(chunk: Uint8Array): void {
    this.free.push(chunk.buffer as ArrayBuffer);
  }
}

/**
 * Reads a file or stdin (`-`) as a stream of chunks. A file is read ahead: the next read runs in libuv's
 * thread pool while the caller works on the current chunk. Chunks come from `pool` when given (the caller
 * gives them back), else each is a fresh buffer.
 */
export function openInput(
  path: string,
  pool: ChunkPool = new ChunkPool(readSize()),
): AsyncIterable<Uint8Array> {
  if (path === '-') return process.stdin;
  return readFileChunks(path, pool);
}

/** Read size for files: 2 MiB, or H264MUX_READ_SIZE (tests use small reads to exercise buffer reuse). */
export function readSize(): number {
  return Number(process.env.H264MUX_READ_SIZE) || 2 * 1024 * 1024;
}

/** Reads in flight at once: the thread pool fills the next chunks while the caller works on this one. */
const READ_AHEAD = 3;

async function* readFileChunks(path: string, pool: ChunkPool): AsyncGenerator<Uint8Array> {
  const kind = await stat(path);
  // Reading one fails with EISDIR and no path: "illegal operation on a directory".
  if (kind.isDirectory()) throw new CommandError(`${path} is a directory, not a raw H.264 file`);
  if (kind.isFIFO() || kind.isSocket()) {
    // A pipe (`<(curl ...)`, /dev/stdin, a FIFO): no positions.
    yield* readPipe(path);
    return;
  }
  const file = await open(path, 'r');
  if (!kind.isFile()) {
    // A device: one read after another.
    yield* readSequentially(file, pool);
    return;
  }
  interface PendingRead {
    readonly buffer: Uint8Array;
    readonly start: number;
    readonly done: Promise<number>;
  }
  let position = 0;
  const queue: PendingRead[] = [];
  const issue = (): void => {
    const buffer = pool.take();
    const done = file.read(buffer, 0, buffer.length, position).then((r) => r.bytesRead);
    done.catch(() => undefined); // awaited below, or dropped with the queue
    queue.push({ buffer, start: position, done });
    position += buffer.length;
  };
  try {
    while (queue.length < READ_AHEAD) issue();
    for (;;) {
      const read = queue.shift() as PendingRead;
      const n = await read.done;
      if (n === 0) return;
      if (n < read.buffer.length) {
        // A short read (end of file, or a file still growing): the reads queued behind it started
        // at positions past a gap. Drop them and go on from here.
        await dropQueue(queue, pool);
        position = read.start + n;
      }
      issue();
      yield n === read.buffer.length ? read.buffer : read.buffer.subarray(0, n);
    }
  } finally {
    // Reads still in flight (the consumer stopped early or failed) must end before the file closes.
    await dropQueue(queue, pool);
    await file.close();
  }
}

/**
 * Reads a pipe as stdin is read: polled by the event loop, not a blocking read in the thread pool, which a
 * writer that stalls would hold (and with it the process's exit after Ctrl-C).
 */
async function* readPipe(path: string): AsyncGenerator<Uint8Array> {
  const fd = await new Promise<number>((resolve, reject) =>
    openFd(path, 'r', (error, opened) => (error ? reject(error) : resolve(opened))),
  );
  const pipe = new Socket({ fd, readable: true, writable: false });
  try {
    for await (const chunk of pipe) yield chunk as Uint8Array;
  } finally {
    pipe.destroy();
  }
}

async function* readSequentially(file: FileHandle, pool: ChunkPool): AsyncGenerator<Uint8Array> {
  try {
    for (;;) {
      const buffer = pool.take();
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return;
      yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
    }
  } finally {
    await file.close();
  }
}

async function dropQueue(
  queue: { buffer: Uint8Array; done: Promise<number> }[],
  pool: ChunkPool,
): Promise<void> {
  for (const read of queue.splice(0)) {
    await read.done.catch(() => undefined);
    pool.give(read.buffer);
  }
}

export interface CheckedPaths {
  /** The input's size; undefined for stdin. */
  readonly inputSize: number | undefined;
  /** The input is a regular file, which can be read twice (not stdin, a pipe, a FIFO or a device). */
  readonly inputIsFile: boolean;
  /** True when the output file did not exist: open it exclusively, so that one made since is not overwritten. */
  readonly createOutput: boolean;
}

/**
 * Whether `input` is a regular file (CheckedPaths.inputIsFile's test, for a command that checks no
 * output): not stdin (`-`), a pipe, a FIFO or a device, whose bytes come as they are written.
 */
export async function isRegularFile(input: string): Promise<boolean> {
  if (input === '-') return false;
  return stat(input).then(
    (st) => st.isFile(),
    () => false,
  );
}

/**
 * Checks input and output before anything is written, from one stat of each: a UsageError when `output`
 * names the input file (also through another path or a link: opening it for writing would erase the
 * input before it is read), a CommandError when it is an existing file and `overwrite` (-y) is not given,
 * as ffmpeg refuses. Devices (/dev/null) and pipes are written to as they are.
 */
export async function checkPaths(
  input: string,
  output: string,
  overwrite: { readonly yes: boolean; readonly never: boolean },
): Promise<CheckedPaths> {
  const [a, b] = await Promise.all([
    input === '-' ? undefined : stat(input),
    output === '-' ? undefined : stat(output).catch(() => undefined),
  ]);
  if (a && b && a.dev === b.dev && a.ino === b.ino)
    throw new UsageError(`the output ${output} is the input file: choose another -o`);
  if (b?.isFile() && !overwrite.yes)
    throw new CommandError(
      overwrite.never
        ? `${output} already exists: not overwriting it (-n)`
        : `${output} already exists: add -y to overwrite it`,
    );
  return {
    inputSize: a?.isFile() ? a.size : undefined,
    inputIsFile: a?.isFile() === true,
    createOutput: output !== '-' && b === undefined,
  };
}

/**
 * An output sink for lists of buffers: a file written with positioned `writev` calls that run in the thread
 * pool one after another while the caller goes on (at most MAX_PENDING_BYTES behind), or stdout with
 * backpressure. Buffers must not change until `close()` resolves.
 */
export class Output {
  private position = 0;
  private pendingBytes = 0;
  private tail: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  private constructor(
    private readonly stream: Writable | undefined,
    private readonly file: Promise<FileHandle> | undefined,
  ) {
    // A stream's write errors (EPIPE when the reader goes away, ENOSPC into a full disk or /dev/full)
    // arrive as 'error' events: the first one is kept and thrown by the next write or by close(), instead
    // of Node's crash on an unhandled 'error' event.
    stream?.on('error', (e: Error) => {
      this.failure ??= e;
    });
  }

  /**
   * Opens `path` (or stdout for `-`). The open (which truncates an existing file, slow for a big one) runs
   * in the thread pool while the caller starts reading; errors surface at the first write or at close.
   * `create`: the file must not exist yet (it did not when checkPaths looked).
   */
  static open(path: string, options: { readonly create?: boolean } = {}): Output {
    if (path === '-') return new Output(process.stdout, undefined);
    const file = open(path, options.create ? 'wx' : 'w');
    file.catch(() => undefined); // handled where it is awaited
    return new Output(undefined, file);
  }

  /**
   * Opens `path`, lets `fill` write to it and closes it. When `fill` or the close fails, the file is
   * deleted (no empty or partial output is left behind) and the error goes on.
   */
  static async write(
    path: string,
    options: { readonly create?: boolean },
    fill: (sink: Output) => Promise<void>,
  ): Promise<void> {
    const sink = Output.open(path, options);
    let failed = true;
    try {
      await fill(sink);
      await sink.close();
      failed = false;
    } finally {
      if (failed) await sink.discard(path);
    }
  }

  /** True when written buffers are done with once `afterWrites` callbacks run (a file, not a stream). */
  get ownsWrites(): boolean {
    return this.file !== undefined;
  }

  /** Runs `fn` once every write queued so far has finished. */
  afterWrites(fn: () => void): void {
    this.tail = this.tail.then(fn);
  }

  /** Queues `parts`; resolves at once unless too much output is still in flight. */
  async write(parts: readonly Uint8Array[]): Promise<void> {
    this.throwFailure();
    if (this.file) {
      const opened = this.file;
      let size = 0;
      for (const p of parts) size += p.length;
      const at = this.position;
      this.position += size;
      this.pendingBytes += size;
      this.tail = this.tail.then(async () => {
        if (this.failure !== undefined) return;
        try {
          await writeAll(await opened, parts, at);
        } catch (e) {
          this.failure = e instanceof Error ? e : new Error(String(e));
        }
        this.pendingBytes -= size;
      });
      if (this.pendingBytes > MAX_PENDING_BYTES) {
        await this.tail;
        this.throwFailure();
      }
      return;
    }
    const stream = this.stream as Writable;
    let ok = true;
    for (const [i, p] of parts.entries()) {
      if (i < parts.length - 1) {
        ok = stream.write(p);
        continue;
      }
      // close() waits for the last write to be done with and throws its error (the 'error' event comes later).
      this.tail = new Promise<void>((resolve) => {
        ok = stream.write(p, (error) => {
          if (error) this.failure ??= error;
          resolve();
        });
      });
    }
    if (!ok && this.failure === undefined) await once(stream, 'drain'); // rejects on an 'error' event
    this.throwFailure();
  }

  private throwFailure(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** Waits for queued writes, closes the file and deletes it. Nothing happens to a file that could not be opened. */
  private async discard(path: string): Promise<void> {
    if (!this.file) return;
    const opened = await this.file.catch(() => undefined);
    if (!opened) return;
    await this.tail;
    await opened.close().catch(() => undefined);
    await rm(path, { force: true });
  }

  /** Waits for every queued write, then closes the file. Throws the first write error. */
  async close(): Promise<void> {
    await this.tail;
    if (this.file) await (await this.file).close();
    this.throwFailure();
  }
}

/** writev at `position` until every byte is written (a write may be short). */
async function writeAll(
  file: FileHandle,
  parts: readonly Uint8Array[],
  position: number,
): Promise<void> {
  let rest = parts;
  let at = position;
  while (rest.length > 0) {
    const { bytesWritten } = await file.writev(rest as Uint8Array[], at);
    if (bytesWritten === 0) throw new Error('write made no progress');
    at += bytesWritten;
    let i = 0;
    let skip = bytesWritten;
    while (i < rest.length && skip >= (rest[i] as Uint8Array).length)
      skip -= (rest[i++] as Uint8Array).length;
    if (i === rest.length) return;
    rest = [(rest[i] as Uint8Array).subarray(skip), ...rest.slice(i + 1)];
  }
}
