/**
 * The transmuxer behind the worker protocol (./protocol.ts): one Transmuxer, and a second one while
 * recording, answering commands strictly in order. The worker entry (./transmux.worker.ts) posts its
 * answers back; the main-thread fallback (./client.ts `inlineTransmuxer`) calls it directly. DOM-free.
 */
import { CodedError, FrameEndBudget, Transmuxer } from '../core/index.js';
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
import { checkedTail } from './tail-check.js';

interface Recorder {
  readonly options: RecordOptions;
  readonly transmuxer: Transmuxer;
  readonly file: Mp4Recording;
  readonly warnings: string[];
}

/** A failure of a command outside the core (e.g. Stop with nothing recorded). */
class CommandError extends CodedError<'NOT_RECORDING' | 'NOTHING_RECORDED' | 'NO_WEBCODECS'> {}

export function toErrorData(error: unknown): WorkerErrorData {
  // H264MuxError from the core, CommandError from here.
  if (error instanceof CodedError) return error.toJSON();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message, detail: {} };
}

type Answer = TransmuxerOutput[] | Recording;

export class TransmuxService {
  private transmuxer = new Transmuxer();
  /** The last init segment handed out: the final GOP of a file is checked against it. */
  private lastInit: InitSegment | undefined;
  private recorder: Recorder | undefined;
  /** What the early frame ends (`frame-end`) of the current stream cost. */
  private frameEnds = new FrameEndBudget();
  /** Commands are answered strictly in order, also while a flush awaits its decoder check. */
  private queue: Promise<void> = Promise.resolve();

  /** Answers `command` (in order with the commands before it), with the buffers to transfer. */
  handle(command: WorkerCommand): Promise<[WorkerResponse, ArrayBuffer[]]> {
    const answered = this.queue.then(async (): Promise<[WorkerResponse, ArrayBuffer[]]> => {
      try {
        const answer = await this.run(command);
        if (Array.isArray(answer)) {
          return [{ type: 'outputs', id: command.id, outputs: answer }, transferablesOf(answer)];
        }
        return [{ type: 'recording', id: command.id, recording: answer }, []];
      } catch (error) {
        return [{ type: 'error', id: command.id, error: toErrorData(error) }, []];
      }
    });
    this.queue = answered.then(() => undefined);
    return answered;
  }

  /** Answers command `id` with empty outputs, in order, without running it (a command kept as done). */
  pass(id: number): Promise<[WorkerResponse, ArrayBuffer[]]> {
    const answered = this.queue.then((): [WorkerResponse, ArrayBuffer[]] => [
      { type: 'outputs', id, outputs: [] },
      [],
    ]);
    this.queue = answered.then(() => undefined);
    return answered;
  }

  /** Runs `step` in order after the commands handled so far (it must not throw). */
  after(step: () => void): void {
    this.queue = this.queue.then(step);
  }

  private async run(command: WorkerCommand): Promise<Answer> {
    switch (command.type) {
      case 'configure':
        this.transmuxer = new Transmuxer(command.options);
        this.lastInit = undefined;
        this.frameEnds = new FrameEndBudget();
        return [];
      case 'frame-end': {
        if (!this.frameEnds.allowed) return [];
        const start = performance.now();
        const outputs = this.transmuxer.endIfFrameWhole();
        this.frameEnds.spent(start, performance.now());
        return this.remember(outputs);
      }
      case 'push': {
        // Both transmuxers only read the chunk (views, never writes): one buffer serves both.
        const push = (t: Transmuxer): TransmuxerOutput[] =>
          t.push(command.data, { endOfAccessUnit: command.endOfAccessUnit });
        this.feedRecorder(push);
        return this.remember(push(this.transmuxer));
      }
      case 'flush':
        // End of a file: a stream cut mid-NAL ends in a damaged frame that would stop the decoder.
        return this.remember(
          await checkedTail(this.transmuxer, this.transmuxer.flush(), this.lastInit),
        );
      case 'reset': {
        // The complete frames held until now go out, and the recording keeps its GOP in progress.
        this.feedRecorder((t) => t.reset());
        return this.remember(this.transmuxer.reset());
      }
      case 'record-start':
        this.recorder = {
          options: command.options,
          transmuxer: new Transmuxer(fileTransmuxerOptions(command.options.fps)),
          file: new Mp4Recording(command.options.layout, command.options.maxBytes),
          warnings: [],
        };
        return [];
      case 'record-stop':
        return this.stopRecording();
      case 'source-open':
      case 'source-ready':
      case 'source-close':
      case 'render-adopt':
      case 'render-stop':
        // The worker's session runs the source (./worker-session.ts); nothing for the transmuxer here.
        return [];
      case 'render':
        // The worker's session attaches the renderer (./worker-session.ts) once this is answered, in order.
        if (typeof VideoDecoder === 'undefined') {
          throw new CommandError('NO_WEBCODECS', 'This worker has no WebCodecs VideoDecoder.');
        }
        return [];
    }
  }

  private remember(outputs: TransmuxerOutput[]): TransmuxerOutput[] {
    for (const out of outputs) if (out.type === 'init') this.lastInit = out;
    return outputs;
  }

  /** Feeds the recorder; its failure (e.g. a damaged stream) ends the recording, never playback. */
  private feedRecorder(step: (transmuxer: Transmuxer) => TransmuxerOutput[]): void {
    const r = this.recorder;
    if (!r) return;
    try {
      record(r, step(r.transmuxer));
    } catch (error) {
      r.warnings.push(`recording stopped: ${toErrorData(error).message}`);
      this.recorder = { ...r, transmuxer: new Transmuxer(fileTransmuxerOptions(r.options.fps)) };
    }
  }

  private async stopRecording(): Promise<Recording> {
    const r = this.recorder;
    this.recorder = undefined;
    if (!r) throw new CommandError('NOT_RECORDING', 'No recording is running.');
    let tail: TransmuxerOutput[] = [];
    try {
      tail = r.transmuxer.flush();
    } catch {
      // Nothing decodable after the last whole GOP: the recording ends there.
    }
    // Stop lands anywhere in a frame: a final frame cut short is dropped like a truncated file's.
    record(r, await checkedTail(r.transmuxer, tail, r.file.initSegment));
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
}

function record(r: Recorder, outputs: readonly TransmuxerOutput[]): void {
  r.file.add(outputs);
  for (const out of outputs) if (out.type === 'warning') r.warnings.push(out.message);
}
