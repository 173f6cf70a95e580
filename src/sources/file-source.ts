/**
 * A local file read with `File.stream()`. Backpressure: the next chunk is read only after the sink's
 * promise for the previous one settles, so a GB file is never read far ahead of the playhead.
 */
import { SourceError } from './source.js';
import type { ByteSource, SourceSink } from './source.js';

export class FileSource implements ByteSource {
  readonly kind = 'file';
  readonly reconnects = 0;
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private stopped = false;

  constructor(private readonly file: Blob & { readonly name?: string }) {}

  get label(): string {
    return this.file.name ?? 'file';
  }

  start(sink: SourceSink): void {
    void this.run(sink);
  }

  stop(): void {
    this.stopped = true;
    void this.reader?.cancel().catch(() => undefined);
  }

  private async run(sink: SourceSink): Promise<void> {
    try {
      await sink.connected({ live: false, reconnect: false, accessUnitFraming: false });
      const reader = this.file.stream().getReader();
      this.reader = reader;
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
      sink.error(
        new SourceError(
          'READ_FAILED',
          `Could not read ${this.label}: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    }
  }
}
