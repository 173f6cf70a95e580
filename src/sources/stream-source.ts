/**
 * A ReadableStream of raw H.264 bytes that the app already has (a fetch body it opened itself, a
 * WebTransport or WebRTC data stream, a TransformStream's output). Backpressure: the next chunk is
 * read only after the sink's promise for the previous one settles. A stream is read once: nothing
 * reconnects; its end is the end of the stream.
 */
import { SourceError } from './source.js';
import type { ByteSource, SourceSink } from './source.js';

export interface StreamSourceOptions {
  /** Live (latency control, frame fragments) or a finite file; default live. */
  readonly live?: boolean | undefined;
  readonly label?: string | undefined;
}

export class StreamSource implements ByteSource {
  readonly kind = 'stream';
  readonly reconnects = 0;
  readonly label: string;
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private stopped = false;

  constructor(
    private readonly stream: ReadableStream<Uint8Array>,
    private readonly options: StreamSourceOptions = {},
  ) {
    this.label = options.label ?? 'stream';
  }

  start(sink: SourceSink): void {
    void this.read(sink);
  }

  stop(): void {
    this.stopped = true;
    void this.reader?.cancel().catch(() => undefined);
  }

  private async read(sink: SourceSink): Promise<void> {
    try {
      const reader = this.stream.getReader();
      this.reader = reader;
      await sink.connected({
        live: this.options.live ?? true,
        reconnect: false,
        accessUnitFraming: false,
      });
      for (;;) {
        if (this.stopped) return;
        const { done, value } = await reader.read();
        if (this.stopped) return;
        if (done) break;
        await sink.data(value, false);
      }
      sink.end();
    } catch (error) {
      if (this.stopped) return;
      this.stopped = true;
      sink.error(
        new SourceError(
          'READ_FAILED',
          `Could not read ${this.label}: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    }
  }
}
