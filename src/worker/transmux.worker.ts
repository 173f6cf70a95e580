/// <reference lib="webworker" />
/**
 * Worker entry: answers the commands of ./protocol.ts in order with a TransmuxService. Output buffers
 * are transferred back; the page feeds MSE with them. After a `render` command, the worker shows the
 * stream itself (./track-renderer.ts): each answer's outputs are decoded here first.
 */
import type { WorkerCommand } from './protocol.js';
import { TrackRenderer } from './track-renderer.js';
import { TransmuxService } from './transmux-service.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const service = new TransmuxService();
let renderer: TrackRenderer | undefined;

scope.onmessage = (event: MessageEvent<WorkerCommand>) => {
  const command = event.data;
  void service.handle(command).then(([response, transfer]) => {
    if (command.type === 'render' && response.type === 'outputs') {
      renderer?.close();
      renderer = new TrackRenderer(command);
    }
    if (renderer && response.type === 'outputs') renderer.feed(response.outputs);
    scope.postMessage(response, transfer);
  });
};
