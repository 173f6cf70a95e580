/// <reference lib="webworker" />
/**
 * Worker entry: owns one Transmuxer and answers the commands of ./protocol.ts in order.
 * The main thread only feeds MSE.
 */
import { H264MuxError, Transmuxer } from '../core/index.js';
import type { InitSegment, TransmuxerOutput } from '../core/index.js';
import { transferablesOf } from './protocol.js';
import type { WorkerCommand, WorkerErrorData, WorkerResponse } from './protocol.js';
import { dropUndecodableLastFrame } from './tail-check.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
let transmuxer = new Transmuxer();
/** The last init segment handed out: the final GOP of a file is checked against it. */
let lastInit: InitSegment | undefined;

function toErrorData(error: unknown): WorkerErrorData {
  if (error instanceof H264MuxError) return error.toJSON();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message, detail: {} };
}

function remember(outputs: TransmuxerOutput[]): TransmuxerOutput[] {
  for (const out of outputs) if (out.type === 'init') lastInit = out;
  return outputs;
}

async function run(command: WorkerCommand): Promise<TransmuxerOutput[]> {
  switch (command.type) {
    case 'configure':
      transmuxer = new Transmuxer(command.options);
      lastInit = undefined;
      return [];
    case 'push':
      return remember(transmuxer.push(command.data, { endOfAccessUnit: command.endOfAccessUnit }));
    case 'flush':
      // End of a file: a stream cut mid-NAL ends in a damaged frame that would stop the decoder.
      return remember(await dropUndecodableLastFrame(transmuxer.flush(), lastInit));
    case 'reset':
      transmuxer.reset();
      return [];
  }
}

/** Commands are answered strictly in order, also while a flush awaits its decoder check. */
let queue: Promise<void> = Promise.resolve();

scope.onmessage = (event: MessageEvent<WorkerCommand>) => {
  const command = event.data;
  queue = queue.then(async () => {
    let response: WorkerResponse;
    let transfer: ArrayBuffer[] = [];
    try {
      const outputs = await run(command);
      response = { type: 'outputs', id: command.id, outputs };
      transfer = transferablesOf(outputs);
    } catch (error) {
      response = { type: 'error', id: command.id, error: toErrorData(error) };
    }
    scope.postMessage(response, transfer);
  });
};
