/**
 * Main-thread side of the transmuxer worker: one promise per command, resolved by the reply with
 * the same id. Pushed buffers are transferred to the worker (the caller must not reuse them).
 *
 * Where the transmuxer runs (`TransmuxerHost`):
 * - 'module' (default): the module worker next to this file, `new Worker(new URL(...), { type:
 *   'module' })`. Vite bundles it as it is; webpack 5 too; other bundlers need a plugin that handles
 *   that pattern, or the URL of the copied file (below).
 * - a URL: a module worker loaded from there (e.g. node_modules/h264mux/dist-lib/worker/
 *   transmux.worker.js copied to the app's static files; it imports ../core/ next to it).
 * - a function: whatever Worker the app makes.
 * - 'main-thread': no worker, the same service called in the page (simplest to bundle; the transmuxer
 *   then shares the main thread with the page).
 */
import { CodedError } from '../core/errors.js';
import type { TransmuxerOptions, TransmuxerOutput } from '../core/index.js';
import type {
  RecordOptions,
  Recording,
  RenderOutput,
  SourceEvent,
  SourceSpec,
  WorkerCommand,
  WorkerErrorData,
  WorkerResponse,
  WorkerSourceMessage,
} from './protocol.js';

type CommandBody<C extends WorkerCommand> = C extends WorkerCommand ? Omit<C, 'id'> : never;

/** A failure reported by the worker, with the core's error code (e.g. NOT_H264). */
export class TransmuxError extends CodedError {
  override readonly name = 'TransmuxError';
  constructor(data: WorkerErrorData) {
    super(data.code, data.message, data.detail);
  }
}

type Answer = Exclude<WorkerResponse, { type: 'error' }>;

/** A worker the built page started before its bundle loaded (see vite.config.ts). */
interface EarlyWorker {
  readonly worker: Worker;
  /** Its error event's message, if it failed meanwhile. */
  readonly error: string | undefined;
  /** The live source the worker opened as it started (protocol.ts EarlyStart), if any. */
  readonly source: SourceSpec | undefined;
  /** What the worker's early renderer shows (with that source), and its events' port. */
  readonly output?: EarlyOutput | undefined;
}

/**
 * What the early script gave the worker's renderer (`render` with EARLY_COMMAND_ID), with the port of
 * that renderer's events: the writable of a MediaStreamTrackGenerator it made (Chromium), or the
 * control of a canvas it made (`transferControlToOffscreen`, Firefox), which the script at the end of
 * the body put in place of the `<video>`.
 */
export type EarlyOutput = (
  | { readonly kind: 'track'; readonly track: MediaStreamTrack }
  | { readonly kind: 'canvas'; readonly canvas: HTMLCanvasElement }
) & {
  readonly events: MessagePort;
  /** The renderer's `targetLatency` (seconds; 0: adaptive). */
  readonly targetLatency: number;
};

/** The early worker, once: the first TransmuxWorker (the `?src=` session) takes it. */
function takeEarlyWorker(): EarlyWorker | undefined {
  const w = globalThis as { __h264muxEarlyWorker?: EarlyWorker };
  const early = w.__h264muxEarlyWorker;
  delete w.__h264muxEarlyWorker;
  return early;
}

interface Pending {
  resolve: (answer: Answer) => void;
  reject: (error: TransmuxError) => void;
}

/** Where the transmuxer runs (see the header). */
export type TransmuxerHost = 'module' | 'main-thread' | URL | (() => Worker);

/** What the client needs of a Worker; the main-thread service offers the same. */
interface WorkerPort {
  onmessage: ((event: MessageEvent<WorkerResponse | WorkerSourceMessage>) => void) | null;
  onerror: ((event: ErrorEvent) => void) | null;
  postMessage(message: WorkerCommand, transfer: Transferable[]): void;
  terminate(): void;
}

/** The service in this thread, behind the Worker interface (answers in later microtasks). */
function inlineTransmuxer(): WorkerPort {
  // Loaded on demand: the transmuxer is most of the core, which a page with a worker never runs.
  const service = import('./transmux-service.js').then((m) => new m.TransmuxService());
  let terminated = false;
  const port: WorkerPort = {
    onmessage: null,
    onerror: null,
    postMessage(message) {
      // In order: each message's handle() is called in a callback of the same promise.
      void service
        .then((s) => s.handle(message))
        .then(
          ([response]) => response,
          (error: unknown): WorkerResponse => ({
            type: 'error',
            id: message.id,
            error: {
              code: 'INTERNAL',
              message: `Could not load the transmuxer: ${error instanceof Error ? error.message : String(error)}`,
              detail: {},
            },
          }),
        )
        .then((response) => {
          if (!terminated) port.onmessage?.({ data: response } as MessageEvent<WorkerResponse>);
        });
    },
    terminate() {
      terminated = true;
    },
  };
  return port;
}

function startHost(host: TransmuxerHost): WorkerPort {
  if (host === 'main-thread') return inlineTransmuxer();
  if (typeof host === 'function') return host();
  if (host !== 'module') return new Worker(host, { type: 'module', name: 'h264mux-transmuxer' });
  return new Worker(new URL('./transmux.worker.js', import.meta.url), {
    type: 'module',
    name: 'h264mux-transmuxer',
  });
}

export class TransmuxWorker {
  private readonly worker: WorkerPort;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: TransmuxError | undefined;
  /** False when the transmuxer runs in the page ('main-thread'): it then cannot `render`. */
  readonly inWorker: boolean;
  /**
   * The source the page's first script had the worker open (vite.config.ts): `openSource` with the
   * same spec takes it over; a player that reads elsewhere closes it (`closeSource`).
   */
  readonly earlySource: SourceSpec | undefined;
  /** The early renderer's output, until taken (`takeEarlyOutput`) or let go (`terminate`). */
  private earlyOutput: EarlyOutput | undefined;
  /** The events of the source the worker reads (`openSource`). */
  onSourceEvent: ((event: SourceEvent) => void) | undefined;
  /** The outputs of the bytes of the source the worker reads, in order. */
  onSourceOutputs:
    | ((outputs: readonly TransmuxerOutput[], bytes: number, error?: WorkerErrorData) => void)
    | undefined;

  constructor(host: TransmuxerHost = 'module') {
    this.inWorker = host !== 'main-thread';
    const early = host === 'module' ? takeEarlyWorker() : undefined;
    this.worker = early?.worker ?? startHost(host);
    this.earlySource = early?.source;
    this.earlyOutput = early?.output;
    this.worker.onmessage = (event: MessageEvent<WorkerResponse | WorkerSourceMessage>) => {
      const message = event.data;
      if (message.type === 'source-event') this.onSourceEvent?.(message.event);
      else if (message.type === 'source-outputs')
        this.onSourceOutputs?.(message.outputs, message.bytes, message.error);
      else this.onResponse(message);
    };
    this.worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.failed(event.message || 'could not load the worker script');
    };
    // It may have failed before this object existed.
    if (early?.error !== undefined) this.failed(early.error);
  }

  configure(options: TransmuxerOptions): Promise<readonly TransmuxerOutput[]> {
    return this.send({ type: 'configure', options });
  }

  /** Sends `data` (its buffer is transferred when the view spans all of it, else copied). */
  push(data: Uint8Array, endOfAccessUnit = false): Promise<readonly TransmuxerOutput[]> {
    const owned =
      data.byteOffset === 0 &&
      data.buffer instanceof ArrayBuffer &&
      data.byteLength === data.buffer.byteLength
        ? data
        : data.slice();
    return this.send({ type: 'push', data: owned, endOfAccessUnit }, [owned.buffer as ArrayBuffer]);
  }

  flush(): Promise<readonly TransmuxerOutput[]> {
    return this.send({ type: 'flush' });
  }

  /** Live: the input paused; the outputs of the frame in progress if it is whole (see `frame-end`). */
  frameEnd(): Promise<readonly TransmuxerOutput[]> {
    return this.send({ type: 'frame-end' });
  }

  reset(): Promise<readonly TransmuxerOutput[]> {
    return this.send({ type: 'reset' });
  }

  /** Records every byte pushed from now on (from the next keyframe) into an in-memory MP4. */
  async recordStart(options: RecordOptions): Promise<void> {
    await this.send({ type: 'record-start', options });
  }

  /** Ends the recording and hands back the file. */
  async recordStop(): Promise<Recording> {
    const answer = await this.request({ type: 'record-stop' });
    if (answer.type !== 'recording') throw new Error('internal: record-stop answered with outputs');
    return answer.recording;
  }

  /**
   * Live: the worker decodes and shows the stream itself on `output` (a MediaStreamTrackGenerator's
   * writable, or a page canvas's OffscreenCanvas); its events come over `events`. Both are transferred.
   */
  async render(
    options: { readonly targetLatency: number },
    output: RenderOutput,
    events: MessagePort,
  ): Promise<void> {
    const transferred = output.kind === 'track' ? output.frames : output.canvas;
    await this.send({ type: 'render', options, output, events }, [transferred, events]);
  }

  /** The early renderer's output kind and `targetLatency`, while its output is not taken. */
  get earlyRenderer():
    { readonly kind: EarlyOutput['kind']; readonly targetLatency: number } | undefined {
    const early = this.earlyOutput;
    return early && { kind: early.kind, targetLatency: early.targetLatency };
  }

  /**
   * What the worker's early renderer shows, once (see EarlyWorker): a player that shows it says
   * `renderAdopt`; one that does not lets it go (../play/worker-output.ts `releaseEarlyOutput`).
   */
  takeEarlyOutput(): EarlyOutput | undefined {
    const early = this.earlyOutput;
    this.earlyOutput = undefined;
    return early;
  }

  /** Live: the page shows the early renderer's output (`takeEarlyOutput`): the worker keeps it. */
  async renderAdopt(): Promise<void> {
    await this.send({ type: 'render-adopt' });
  }

  /** Live: the worker's renderer stops (the page shows the stream from now on). */
  async renderStop(): Promise<void> {
    await this.send({ type: 'render-stop' });
  }

  /** Live: the worker reads `spec` itself (events: `onSourceEvent`; outputs: `onSourceOutputs`). */
  async openSource(spec: SourceSpec): Promise<void> {
    await this.send({ type: 'source-open', spec });
  }

  /** The page handled the worker source's last `connected` event: its bytes may flow. */
  async sourceReady(): Promise<void> {
    await this.send({ type: 'source-ready' });
  }

  async closeSource(): Promise<void> {
    await this.send({ type: 'source-close' });
  }

  terminate(): void {
    this.worker.terminate();
    // The page's side of an output no player took (its canvas in the page) is the player's to remove.
    const early = this.takeEarlyOutput();
    early?.events.close();
    if (early?.kind === 'track') early.track.stop();
    this.failAll({ code: 'ABORTED', message: 'The transmuxer was stopped.', detail: {} });
  }

  private async send(
    body: CommandBody<WorkerCommand>,
    transfer: Transferable[] = [],
  ): Promise<readonly TransmuxerOutput[]> {
    const answer = await this.request(body, transfer);
    if (answer.type !== 'outputs')
      throw new Error(`internal: ${body.type} answered with ${answer.type}`);
    return answer.outputs;
  }

  private request(
    body: CommandBody<WorkerCommand>,
    transfer: Transferable[] = [],
  ): Promise<Answer> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const command = { ...body, id } as WorkerCommand;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(command, transfer);
    });
  }

  private onResponse(response: WorkerResponse): void {
    const pending = this.pending.get(response.id);
    if (!pending) return;
    this.pending.delete(response.id);
    if (response.type === 'error') pending.reject(new TransmuxError(response.error));
    else pending.resolve(response);
  }

  private failed(message: string): void {
    this.failAll({
      code: 'INTERNAL',
      message: `The transmuxer worker failed: ${message}`,
      detail: {},
    });
  }

  private failAll(data: WorkerErrorData): void {
    this.failure = new TransmuxError(data);
    for (const pending of this.pending.values()) pending.reject(this.failure);
    this.pending.clear();
  }
}
