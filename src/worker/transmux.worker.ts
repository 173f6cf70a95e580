/// <reference lib="webworker" />
/**
 * Worker entry: owns one Transmuxer and answers the commands of ./protocol.ts in order.
 * The main thread only feeds MSE.
 */
import { H264MuxError, Transmuxer } from '../core/index.js';
import type { TransmuxerOutput } from '../core/index.js';
import { transferablesOf } from './protocol.js';
import type { WorkerCommand, WorkerErrorData, WorkerResponse } from './protocol.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
let transmuxer = new Transmuxer();

function toErrorData(error: unknown): WorkerErrorData {
  if (error instanceof H264MuxError) return error.toJSON();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message, detail: {} };
}

function run(command: WorkerCommand): TransmuxerOutput[] {
  switch (command.type) {
    case 'configure':
      transmuxer = new Transmuxer(command.options);
      return [];
    case 'push':
      return transmuxer.push(command.data, { endOfAccessUnit: command.endOfAccessUnit });
    case 'flush':
      return transmuxer.flush();
    case 'reset':
      transmuxer.reset();
      return [];
  }
}

scope.onmessage = (event: MessageEvent<WorkerCommand>) => {
  const command = event.data;
  let response: WorkerResponse;
  let transfer: ArrayBuffer[] = [];
  try {
    const outputs = run(command);
    response = { type: 'outputs', id: command.id, outputs };
    transfer = transferablesOf(outputs);
  } catch (error) {
    response = { type: 'error', id: command.id, error: toErrorData(error) };
  }
  scope.postMessage(response, transfer);
};
