/**
 * A live source (WebSocket, or HTTP) that the transmuxer worker reads itself
 * (src/worker/source-reader.ts), seen from the page as a ByteSource: the worker's connection events
 * reach the sink as a page-side source's would, and the sink's answer to `connected` (the transmuxer
 * configured or reset) lets the worker's bytes flow. The bytes never come to the page: their outputs
 * do (`TransmuxWorker.onSourceOutputs`).
 *
 * Used with the WebCodecs renderer in the worker (./worker-track.ts), so that nothing between the
 * network and the screen waits for the page's main thread.
 *
 * An HTTP URL is live or a file by its headers (Content-Length). A file needs what only the page's
 * source gives (reading paced by the MSE buffer), so when the worker's first connection says "file",
 * the worker lets it go after the headers and the page reads the URL itself (`readAsFile`): a second
 * request, for files only.
 */
import { CodedError } from '../core/errors.js';
import { SourceError } from '../sources/source.js';
import type { ByteSource, SourceErrorCode, SourceKind, SourceSink } from '../sources/source.js';
import type { TransmuxWorker } from '../worker/client.js';
import type { SourceEvent, SourceSpec, WorkerErrorData } from '../worker/protocol.js';

export class WorkerSource implements ByteSource {
  readonly kind: SourceKind;
  private workerReconnects = 0;
  private stopped = false;
  /** The page's own source for a URL that turned out to be a file. */
  private file: ByteSource | undefined;

  constructor(
    readonly label: string,
    private readonly worker: TransmuxWorker,
    readonly spec: SourceSpec,
    /** For an HTTP spec: the page's source for the URL read as a file. */
    private readonly readAsFile?: () => ByteSource,
  ) {
    this.kind = spec.kind;
  }

  get reconnects(): number {
    return this.file ? this.file.reconnects : this.workerReconnects;
  }

  start(sink: SourceSink): void {
    this.worker.onSourceEvent = (event) => {
      if (!this.stopped && !this.file) this.dispatch(sink, event);
    };
    this.worker.openSource(this.spec).catch((error: unknown) => {
      if (this.stopped || this.file) return;
      // The worker itself failed (e.g. its script did not load): that error, as it is.
      sink.error(
        error instanceof CodedError
          ? sourceError(error.toJSON())
          : new SourceError(
              'READ_FAILED',
              `The worker could not open ${this.label}: ${String(error)}`,
            ),
      );
    });
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.file?.stop();
    this.release();
  }

  /** The worker's source is closed; its events are no longer listened to. */
  private release(): void {
    this.worker.onSourceEvent = undefined;
    this.worker.closeSource().catch(() => undefined);
  }

  private dispatch(sink: SourceSink, event: SourceEvent): void {
    switch (event.type) {
      case 'connected':
        if (!event.info.live && !event.info.reconnect && this.readAsFile) {
          // A file: the page reads it (the worker's bytes held so far are dropped with its source).
          this.release();
          this.file = this.readAsFile();
          this.file.start(sink);
          return;
        }
        this.workerReconnects = event.reconnects;
        // The sink's commands for this connection (configure, reset, render) are posted before this.
        void Promise.resolve(sink.connected(event.info))
          .then(() => (this.stopped ? undefined : this.worker.sourceReady()))
          .catch(() => undefined);
        break;
      case 'reconnecting':
        sink.reconnecting(event.attempt, event.delayMs, event.reason);
        break;
      case 'unreachable':
        sink.unreachable?.(sourceError(event.error), event.attempt, event.delayMs);
        break;
      case 'upstream':
        sink.upstream?.(event.notice);
        break;
      case 'skipped':
        sink.skipped?.(event.notice);
        break;
      case 'source-fps':
        sink.sourceFps?.(event.fps);
        break;
      case 'error':
        sink.error(sourceError(event.error));
        break;
      case 'end':
        sink.end();
        break;
    }
  }
}

function sourceError(data: WorkerErrorData): SourceError {
  return new SourceError(data.code as SourceErrorCode, data.message, data.detail);
}
