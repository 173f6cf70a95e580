/// <reference lib="webworker" />
/**
 * Worker entry: answers the commands of ./protocol.ts in order with a TransmuxService. The main
 * thread only feeds MSE. Output buffers are transferred back.
 */
import type { WorkerCommand } from './protocol.js';
import { TransmuxService } from './transmux-service.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const service = new TransmuxService();

scope.onmessage = (event: MessageEvent<WorkerCommand>) => {
  void service.handle(event.data).then(([response, transfer]) => {
    scope.postMessage(response, transfer);
  });
};
