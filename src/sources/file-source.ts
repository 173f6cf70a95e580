/**
 * A local file read with `File.stream()`. Backpressure: the next chunk is read only after the sink's
 * promise for the previous one settles, so a GB file is never read far ahead of the playhead.
 *
 * Seeking: every byte read goes through a KeyframeIndex (byte offset and frame number of each
 * keyframe). A seek past what was read first indexes ahead (reading without muxing), then reading
 * restarts at the keyframe before the target with `File.slice`, announced to the sink with
 * `restarted(frame)` so that the stream's timeline can be placed at that frame. The index parses access
 * units with the core's H.264 reader, which a live stream never needs on the page: it is loaded (a
 * dynamic import) when a file starts, and stays out of the page's startup bundle.
 */
import type { KeyframeIndex } from './keyframe-index.js';
import { SourceError } from './source.js';
import type { SeekableSource, SourceSink } from './source.js';

/** The most bytes handed to the sink at once. */
export const MAX_PART = 256 * 1024;

export class FileSource implements SeekableSource {
  readonly kind = 'file';
  readonly reconnects = 0;
  private keyframes: KeyframeIndex | undefined;
  /** Seeks that restarted reading at a keyframe. */
  restarts = 0;
  private sink: SourceSink | undefined;
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  /** Bumped to stop the running read (or index scan) loop. */
  private generation = 0;
  /** Offset of the next byte the read loop hands to the sink. */
  private readOffset = 0;
  /** The read loop reached the end of the file (and told the sink). */
  private finished = false;
  private stopped = false;
  /** Start and seeks run one after the other. */
  private control: Promise<void> = Promise.resolve();

  constructor(private readonly file: Blob & { readonly name?: string }) {}

  get label(): string {
    return this.file.name ?? 'file';
  }

  get size(): number {
    return this.file.size;
  }

  estimateFrames(): number {
    return this.keyframes?.estimateFrames(this.file.size) ?? 0;
  }

  /** Set by `start` before any read. */
  private get index(): KeyframeIndex {
    if (!this.keyframes) throw new Error('internal: the file source was not started');
    return this.keyframes;
  }

  start(sink: SourceSink): void {
    this.sink = sink;
    this.control = this.control
      .then(async () => {
        const { KeyframeIndex } = await import('./keyframe-index.js');
        this.keyframes ??= new KeyframeIndex();
        await sink.connected({ live: false, reconnect: false, accessUnitFraming: false });
        if (!this.stopped) this.startReading(0, undefined);
      })
      .catch((error: unknown) => this.fail(error));
  }

  stop(): void {
    this.stopped = true;
    this.halt();
  }

  seek(frame: number, rewind: boolean, past = false): void {
    if (this.stopped || !this.sink) return;
    this.control = this.control
      .then(() => this.seekNow(frame, rewind, past))
      .catch((error: unknown) => this.fail(error));
  }

  private async seekNow(frame: number, rewind: boolean, past: boolean): Promise<void> {
    const sink = this.sink;
    if (this.stopped || !sink) return;
    const index = this.index;
    const known = (): boolean =>
      index.covers(frame) && (!past || index.ended || index.keyframeAfter(frame) !== undefined);
    const scanned = !known();
    if (scanned) {
      // Index ahead from where the index ends, without muxing (the read loop pauses meanwhile).
      this.halt();
      await this.scan(known);
      if (this.stopped) return;
    }
    const after = past ? index.keyframeAfter(frame) : undefined;
    const entry = after ?? index.keyframeBefore(frame);
    const skips = entry !== undefined && entry.offset > this.readOffset;
    if (entry && (skips || rewind || after)) {
      this.halt();
      this.restarts++;
      // A recovery point is presented after its leading pictures (decoded after it, presented
      // before it): its presentation frame is its decode frame plus them.
      await sink.restarted?.(entry.frame + entry.leadingPictures);
      if (this.stopped) return;
      this.startReading(entry.offset, entry.parameterSets);
    } else if (scanned && !this.finished) {
      // No keyframe between the read position and the target: reading just goes on.
      this.startReading(this.readOffset, undefined);
    }
  }

  /** How far the file has been read (indexed: a seek's scan reads what it skips). */
  get bytesRead(): number {
    // Before the index exists (start loads it): nothing read.
    return this.keyframes?.position ?? 0;
  }

  /** Stops the running loop; what it handed to the sink stays handed. */
  private halt(): void {
    this.generation++;
    const reader = this.reader;
    this.reader = undefined;
    void reader?.cancel().catch(() => undefined);
  }

  private startReading(offset: number, prefix: Uint8Array | undefined): void {
    this.halt();
    void this.read(offset, prefix, this.generation);
  }

  private async read(
    offset: number,
    prefix: Uint8Array | undefined,
    generation: number,
  ): Promise<void> {
    const sink = this.sink as SourceSink;
    const reader = this.file.slice(offset).stream().getReader();
    this.reader = reader;
    this.readOffset = offset;
    this.finished = false;
    try {
      // Parameter sets the keyframe does not carry itself (a copy: pushed buffers are transferred).
      if (prefix) await sink.data(prefix.slice(), false);
      for (;;) {
        if (generation !== this.generation) return;
        const { done, value } = await reader.read();
        if (generation !== this.generation) return;
        if (done) break;
        // Chromium's File.stream() hands out MBs at once (20 s of a small stream): passed on in
        // parts, so that the sink's backpressure holds reading to a few seconds ahead.
        for (let at = 0; at < value.length; at += MAX_PART) {
          const part = value.length <= MAX_PART ? value : value.subarray(at, at + MAX_PART);
          // Index first: the sink may transfer the part's buffer away.
          this.index.pushAt(this.readOffset, part);
          this.readOffset += part.length;
          await sink.data(part, false);
          if (generation !== this.generation) return;
        }
      }
      if (this.index.position === this.file.size) this.index.end();
      this.finished = true;
      sink.end();
    } catch (error) {
      if (generation !== this.generation) return;
      this.fail(error);
    }
  }

  /** Indexes (reads without muxing) until `known` holds (the index knows the keyframe sought). */
  private async scan(known: () => boolean): Promise<void> {
    const generation = this.generation;
    const reader = this.file.slice(this.index.position).stream().getReader();
    this.reader = reader;
    try {
      while (!known()) {
        const { done, value } = await reader.read();
        if (generation !== this.generation) return;
        if (done) {
          this.index.end();
          break;
        }
        this.index.push(value);
      }
    } finally {
      if (this.reader === reader) this.reader = undefined;
      void reader.cancel().catch(() => undefined);
    }
  }

  private fail(error: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.halt();
    this.sink?.error(
      new SourceError(
        'READ_FAILED',
        `Could not read ${this.label}: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
  }
}
