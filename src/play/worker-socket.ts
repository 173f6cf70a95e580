/**
 * A live WebSocket that the transmuxer worker reads itself (src/worker/source-reader.ts), seen from the
 * page as a ByteSource: the worker's connection events reach the sink as a page-side source's would,
 * and the sink's answer to `connected` (the transmuxer configured or reset) lets the worker's bytes
 * flow. The bytes never come to the page: their outputs do (`TransmuxWorker.onSourceOutputs`).
 *
 * Used with the WebCodecs renderer in the worker (./worker-track.ts), so that nothing between the
 * socket and the screen waits for the page's main thread.
 */
import { CodedError } from '../core/index.js';
import { SourceError } from '../sources/source.js';
import type { ByteSource, SourceErrorCode, SourceSink } from '../sources/source.js';
import type { WebSocketSourceOptions } from '../sources/websocket-source.js';
import type { TransmuxWorker } from '../worker/client.js';
import type { SourceEvent, WorkerErrorData } from '../worker/protocol.js';

export class WorkerSocketSource implements ByteSource {
  readonly kind = 'websocket';
  reconnects = 0;
  private stopped = false;

  constructor(
    readonly label: string,
    private readonly worker: TransmuxWorker,
    private readonly options: WebSocketSourceOptions,
  ) {}

  start(sink: SourceSink): void {
    this.worker.onSourceEvent = (event) => {
      if (!this.stopped) this.dispatch(sink, event);
    };
    this.worker
      .openSource({
        kind: 'websocket',
        url: this.label,
        framing: this.options.framing,
        stallTimeoutMs: this.options.stallTimeoutMs,
      })
      .catch((error: unknown) => {
        if (this.stopped) return;
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
    this.worker.onSourceEvent = undefined;
    this.worker.closeSource().catch(() => undefined);
  }

  private dispatch(sink: SourceSink, event: SourceEvent): void {
    switch (event.type) {
      case 'connected':
        this.reconnects = event.reconnects;
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
