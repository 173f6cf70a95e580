/// <reference lib="webworker" />
/**
 * Worker entry: answers the commands of ./protocol.ts in order with a TransmuxService. Output buffers
 * are transferred back; the page feeds MSE with them. After a `render` command, the worker shows the
 * stream itself (./track-renderer.ts): each answer's outputs are decoded here first. After
 * `source-open`, it reads the live source too (./source-reader.ts) and sends the outputs of those bytes
 * as `source-outputs`.
 */
import { FRAME_END_PAUSE_MS } from '../core/index.js';
import type { TransmuxerOutput } from '../core/index.js';
import type { SourceEvent, WorkerCommand, WorkerSourceMessage } from './protocol.js';
import { sameSpec, SourceReader } from './source-reader.js';
import { TrackRenderer } from './track-renderer.js';
import { TransmuxService } from './transmux-service.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const service = new TransmuxService();
let renderer: TrackRenderer | undefined;
let reader: SourceReader | undefined;

function send(message: WorkerSourceMessage, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

/** A pause of the worker's own source (no bytes for FRAME_END_PAUSE_MS). */
let pause: ReturnType<typeof setTimeout> | undefined;

/**
 * Bytes of the worker's own source: through the same ordered service as the page's pushes. When a
 * byte stream pauses, the frame in progress may end at once (`frame-end`).
 */
function pushFromSource(data: Uint8Array, endOfAccessUnit: boolean): void {
  clearTimeout(pause);
  sourceCommand({ type: 'push', id: 0, data, endOfAccessUnit }, data.byteLength);
  if (!endOfAccessUnit) {
    pause = setTimeout(() => sourceCommand({ type: 'frame-end', id: 0 }, 0), FRAME_END_PAUSE_MS);
  }
}

function sourceCommand(command: WorkerCommand, bytes: number): void {
  void service.handle(command).then(([response, transfer]) => {
    if (response.type === 'error') {
      send({ type: 'source-outputs', outputs: [], bytes, error: response.error });
      return;
    }
    if (response.type !== 'outputs') return;
    const outputs: readonly TransmuxerOutput[] = response.outputs;
    if (bytes === 0 && outputs.length === 0) return;
    renderer?.feed(outputs);
    send({ type: 'source-outputs', outputs, bytes }, transfer);
  });
}

scope.onmessage = (event: MessageEvent<WorkerCommand>) => {
  const command = event.data;
  switch (command.type) {
    case 'source-open': {
      const post = (sourceEvent: SourceEvent): void =>
        send({ type: 'source-event', event: sourceEvent });
      // The same source, opened by the page's first script before the player existed: taken over.
      if (reader && sameSpec(reader.spec, command.spec)) {
        reader.adopt(post);
        break;
      }
      reader?.stop();
      reader = new SourceReader(command.spec, pushFromSource, post);
      reader.start();
      break;
    }
    case 'source-ready':
      // Commands posted before this one (configure, reset, render) are queued in the service already.
      reader?.resume();
      break;
    case 'source-close':
      reader?.stop();
      reader = undefined;
      clearTimeout(pause);
      break;
  }
  void service.handle(command).then(([response, transfer]) => {
    if (command.type === 'render' && response.type === 'outputs') {
      renderer?.close();
      renderer = new TrackRenderer(command);
    }
    if (renderer && response.type === 'outputs') renderer.feed(response.outputs);
    scope.postMessage(response, transfer);
  });
};
