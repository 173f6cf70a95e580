/// <reference lib="webworker" />
/**
 * Worker entry: owns one Transmuxer and answers the commands of ./protocol.ts in order.
 * The main thread only feeds MSE. While recording, a second transmuxer sees the same bytes.
 */
import { CodedError, Transmuxer } from '../core/index.js';
import type { InitSegment, TransmuxerOutput } from '../core/index.js';
import { fileTransmuxerOptions, Mp4Recording } from './mp4-file.js';
import { transferablesOf } from './protocol.js';
import type {
  RecordOptions,
  Recording,
  WorkerCommand,
  WorkerErrorData,
  WorkerResponse,
} from './protocol.js';
import { dropUndecodableLastFrame } from './tail-check.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
let transmuxer = new Transmuxer();
/** The last init segment handed out: the final GOP of a file is checked against it. */
let lastInit: InitSegment | undefined;

interface Recorder {
  readonly options: RecordOptions;
  readonly transmuxer: Transmuxer;
  readonly file: Mp4Recording;
  readonly warnings: string[];
}
let recorder: Recorder | undefined;

/** A failure of a worker command outside the core (e.g. Stop with nothing recorded). */
class CommandError extends CodedError<'NOT_RECORDING' | 'NOTHING_RECORDED'> {}

function toErrorData(error: unknown): WorkerErrorData {
  // H264MuxError from the core, CommandError from here.
  if (error instanceof CodedError) return error.toJSON();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message, detail: {} };
}

function remember(outputs: TransmuxerOutput[]): TransmuxerOutput[] {
  for (const out of outputs) if (out.type === 'init') lastInit = out;
  return outputs;
}

function record(r: Recorder, outputs: readonly TransmuxerOutput[]): void {
  r.file.add(outputs);
  for (const out of outputs) if (out.type === 'warning') r.warnings.push(out.message);
}

/** Feeds the recorder; its failure (e.g. a damaged stream) ends the recording, never playback. */
function feedRecorder(data: Uint8Array, endOfAccessUnit: boolean): void {
  const r = recorder;
  if (!r) return;
  try {
    record(r, r.transmuxer.push(data, { endOfAccessUnit }));
  } catch (error) {
    r.warnings.push(`recording stopped: ${toErrorData(error).message}`);
    recorder = { ...r, transmuxer: new Transmuxer(fileTransmuxerOptions(r.options.fps)) };
  }
}

async function stopRecording(): Promise<Recording> {
  const r = recorder;
  recorder = undefined;
  if (!r) throw new CommandError('NOT_RECORDING', 'No recording is running.');
  let tail: TransmuxerOutput[] = [];
  try {
    tail = r.transmuxer.flush();
  } catch {
    // Nothing decodable after the last whole GOP: the recording ends there.
  }
  // Stop lands anywhere in a frame: a final frame cut short is dropped like a truncated file's.
  record(r, await dropUndecodableLastFrame(tail, r.file.initSegment));
  const blob = r.file.finish();
  if (!blob) {
    throw new CommandError(
      'NOTHING_RECORDED',
      'Nothing was recorded: no keyframe arrived between Record and Stop. Record for longer than one GOP.',
    );
  }
  return {
    blob,
    layout: r.options.layout,
    frames: r.file.frames,
    durationSeconds: r.file.duration / r.file.timescale,
    firstKeyframe: r.file.firstKeyframe === true,
    capped: r.file.capped,
    warnings: r.warnings,
  };
}

type Answer = TransmuxerOutput[] | Recording;

async function run(command: WorkerCommand): Promise<Answer> {
  switch (command.type) {
    case 'configure':
      transmuxer = new Transmuxer(command.options);
      lastInit = undefined;
      return [];
    case 'push':
      // Both transmuxers only read the chunk (views, never writes): one buffer serves both.
      feedRecorder(command.data, command.endOfAccessUnit);
      return remember(transmuxer.push(command.data, { endOfAccessUnit: command.endOfAccessUnit }));
    case 'flush':
      // End of a file: a stream cut mid-NAL ends in a damaged frame that would stop the decoder.
      return remember(await dropUndecodableLastFrame(transmuxer.flush(), lastInit));
    case 'reset':
      transmuxer.reset();
      recorder?.transmuxer.reset();
      return [];
    case 'record-start':
      recorder = {
        options: command.options,
        transmuxer: new Transmuxer(fileTransmuxerOptions(command.options.fps)),
        file: new Mp4Recording(command.options.layout, command.options.maxBytes),
        warnings: [],
      };
      return [];
    case 'record-stop':
      return stopRecording();
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
      const answer = await run(command);
      if (Array.isArray(answer)) {
        response = { type: 'outputs', id: command.id, outputs: answer };
        transfer = transferablesOf(answer);
      } else {
        response = { type: 'recording', id: command.id, recording: answer };
      }
    } catch (error) {
      response = { type: 'error', id: command.id, error: toErrorData(error) };
    }
    scope.postMessage(response, transfer);
  });
};
