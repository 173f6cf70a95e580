/**
 * What the transmuxer worker does with the page's commands (./protocol.ts); its entry
 * (./transmux.worker.ts) only wires this to `self`. The TransmuxService answers the commands in order;
 * the worker's own live source (./source-reader.ts, `source-open`) feeds it too, its outputs going to
 * the page as `source-outputs`; after `render` every output is also shown from here
 * (./track-renderer.ts).
 *
 * The early session (protocol.ts EarlyStart): the built page's first script has the worker open the
 * live source as the worker starts, and posts a `render` for a track or a canvas it made. On a live
 * connection the worker configures the transmuxer as the player will by default and lets the bytes
 * flow, so the first
 * frame is transmuxed and decoded while the page's bundle loads, instead of after its round trips
 * (configure, render, source-ready: 15-50 ms measured, more on a busy page). The page takes the
 * session over with the commands it would send anyway: `source-open` (same spec), `configure` (the
 * same options: the running transmuxer is kept), `render-adopt` (it shows the early track or canvas),
 * `source-ready` (the outputs held for it are sent, in order). A page that chose otherwise loses
 * nothing: other options start its transmuxer on the connection's bytes again (kept for that, bounded);
 * another source, or no `render-adopt`, closes the early renderer.
 */
import { FRAME_END_PAUSE_MS } from '../core/frame-end-budget.js';
import type { TransmuxerOptions, TransmuxerOutput } from '../core/index.js';
import type { ByteSource } from '../sources/source.js';
import {
  EARLY_COMMAND_ID,
  EARLY_TRANSMUXER_OPTIONS,
  playbackTransmuxerOptions,
  sameSpec,
  sameTransmuxerOptions,
  transferablesOf,
} from './protocol.js';
import type {
  EarlyStart,
  SourceEvent,
  SourceSpec,
  WorkerCommand,
  WorkerResponse,
  WorkerSourceMessage,
} from './protocol.js';
import { MAX_HELD_BYTES, SourceReader } from './source-reader.js';
import type { Chunk } from './source-reader.js';
import { TransmuxService } from './transmux-service.js';

export type RenderCommand = Extract<WorkerCommand, { type: 'render' }>;

/** What shows the outputs (./track-renderer.ts TrackRenderer). */
export interface OutputRenderer {
  feed(outputs: readonly TransmuxerOutput[]): void;
  close(): void;
}

export interface SessionHost {
  /** To the page (the worker's postMessage). */
  post(message: WorkerResponse | WorkerSourceMessage, transfer: Transferable[]): void;
  /** A renderer for an answered `render` command. */
  renderer(command: RenderCommand): OutputRenderer;
  /** The byte source for a spec (default: the real WebSocket or HTTP source). */
  source?: (spec: SourceSpec) => ByteSource;
}

type SourceOutputs = Extract<WorkerSourceMessage, { type: 'source-outputs' }>;

function outputBytes(outputs: readonly TransmuxerOutput[]): number {
  let bytes = 0;
  for (const out of outputs)
    if (out.type === 'init' || out.type === 'media') bytes += out.data.byteLength;
  return bytes;
}

/**
 * Outputs kept for later, bounded by MAX_HELD_BYTES: beyond, all but the latest init segment are
 * dropped (whoever reads them then starts at a later keyframe, as when joining mid-GOP).
 */
class BoundedOutputs {
  private list: SourceOutputs[] = [];
  private bytes = 0;

  add(message: SourceOutputs): void {
    this.list.push(message);
    this.bytes += outputBytes(message.outputs);
    if (this.bytes <= MAX_HELD_BYTES) return;
    const inits = this.list.flatMap((m) => m.outputs.filter((out) => out.type === 'init'));
    const init = inits.at(-1);
    this.list = init ? [{ type: 'source-outputs', outputs: [init], bytes: 0 }] : [];
    this.bytes = init ? init.data.byteLength : 0;
  }

  take(): SourceOutputs[] {
    const list = this.list;
    this.list = [];
    this.bytes = 0;
    return list;
  }
}

/** The early session until the page takes it over (see the header). */
interface EarlySession {
  /** A live connection started the transmuxer (with `options`). */
  running: boolean;
  /**
   * The player's defaults for the connection: EARLY_TRANSMUXER_OPTIONS, timed at the server's rate when
   * it says one (ConnectionInfo.streamFps), as the player will.
   */
  options: TransmuxerOptions;
  /** The page's `configure` kept that transmuxer. */
  kept: boolean;
  /** The bytes of the current connection pushed so far (undefined past MAX_HELD_BYTES). */
  pushed: Chunk[] | undefined;
  pushedBytes: number;
  /** Source outputs for the page, sent at its `source-ready`. */
  readonly forPage: BoundedOutputs;
  /** Source outputs made before the early `render` was answered: the renderer's first food. */
  readonly forRenderer: BoundedOutputs;
}

export class WorkerSession {
  private readonly service = new TransmuxService();
  private renderer: OutputRenderer | undefined;
  /** The renderer is the early script's, and the page has not adopted it (yet). */
  private provisional = false;
  private reader: SourceReader | undefined;
  private early: EarlySession | undefined;
  /** Counts the source's restarts: outputs of bytes pushed before the last one are dropped. */
  private generation = 0;
  /** A pause of the worker's own source (no bytes for FRAME_END_PAUSE_MS). */
  private pause: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly host: SessionHost) {}

  /** Opens the early session's source (before any command of the page). */
  startEarly(start: EarlyStart): void {
    this.early = {
      running: false,
      options: EARLY_TRANSMUXER_OPTIONS,
      kept: false,
      pushed: undefined,
      pushedBytes: 0,
      forPage: new BoundedOutputs(),
      forRenderer: new BoundedOutputs(),
    };
    const reader: SourceReader = new SourceReader(
      start.source,
      (data, end) => this.pushFromSource(data, end),
      (event) => this.earlyEvent(reader, event),
      this.host.source,
    );
    this.reader = reader;
    reader.start();
  }

  command(command: WorkerCommand): void {
    switch (command.type) {
      case 'source-open': {
        const post = (event: SourceEvent): void =>
          this.host.post({ type: 'source-event', event }, []);
        // The same source, opened before the player existed: taken over.
        if (this.reader && sameSpec(this.reader.spec, command.spec)) {
          this.reader.adopt(post);
          break;
        }
        this.endEarly(false);
        this.reader?.stop();
        this.reader = new SourceReader(
          command.spec,
          (d, e) => this.pushFromSource(d, e),
          post,
          this.host.source,
        );
        this.reader.start();
        break;
      }
      case 'source-ready':
        // Commands posted before this one (configure, reset, render) are queued in the service already.
        this.reader?.resume();
        break;
      case 'source-close':
        this.endEarly(false);
        this.reader?.stop();
        this.reader = undefined;
        clearTimeout(this.pause);
        break;
      case 'configure': {
        const early = this.early;
        // Nothing transmuxed yet (the page took the source before it connected, so the connection's
        // event went to the page only, with the server's rate): configured as asked, and the early
        // renderer stays for the page to adopt (or closes at its source-ready).
        if (early && !early.kept && !early.running) break;
        if (early && !early.kept && sameTransmuxerOptions(command.options, early.options)) {
          // The transmuxer already runs with these options, on this connection's first bytes.
          early.kept = true;
          this.answer(this.service.pass(command.id));
          return;
        }
        this.endEarly(true);
        break;
      }
      case 'render-stop':
        // In order: outputs of pushes before it went to the renderer.
        this.answer(
          this.service.pass(command.id).then((answer) => {
            this.closeRenderer();
            return answer;
          }),
        );
        return;
      case 'render-adopt':
        this.answer(
          this.service.pass(command.id).then((answer): [WorkerResponse, ArrayBuffer[]] => {
            if (this.renderer && this.provisional) {
              this.provisional = false;
              return answer;
            }
            const error = {
              code: 'NO_RENDERER',
              message: 'The early renderer is gone: nothing to adopt (render-adopt).',
              detail: {},
            };
            return [{ type: 'error', id: command.id, error }, []];
          }),
        );
        return;
    }
    this.answer(
      this.service.handle(command).then((answered) => {
        const [response] = answered;
        if (command.type === 'render' && response.type === 'outputs') {
          this.renderer?.close();
          this.renderer = this.host.renderer(command);
          this.provisional = command.id === EARLY_COMMAND_ID;
          // What the early source made before this renderer existed (in order: this runs after it).
          if (this.early)
            for (const m of this.early.forRenderer.take()) this.renderer.feed(m.outputs);
        }
        if (command.type === 'source-ready') this.handOver();
        if (this.renderer && response.type === 'outputs') this.renderer.feed(response.outputs);
        return answered;
      }),
    );
  }

  private answer(answered: Promise<[WorkerResponse, ArrayBuffer[]]>): void {
    void answered.then(([response, transfer]) => {
      // Answers to the early script's own commands are not awaited by anyone.
      if (response.id !== EARLY_COMMAND_ID || response.type === 'error')
        this.host.post(response, transfer);
    });
  }

  /** An event of the early source before the page took it: a live connection starts at once. */
  private earlyEvent(reader: SourceReader, event: SourceEvent): void {
    const early = this.early;
    if (!early || this.reader !== reader || event.type !== 'connected' || !event.info.live) return;
    // Each connection (a reconnect too) starts a fresh transmuxer, as the player's reset does.
    early.running = true;
    early.options = playbackTransmuxerOptions(true, event.info.streamFps);
    early.pushed = [];
    early.pushedBytes = 0;
    this.sourceCommand({ type: 'configure', id: EARLY_COMMAND_ID, options: early.options }, 0);
    reader.resume();
  }

  /** The page's `source-ready` (in order): it has the early session; what was held for it goes. */
  private handOver(): void {
    const early = this.early;
    if (!early) return;
    this.early = undefined;
    if (this.provisional) this.closeRenderer();
    for (const message of early.forPage.take())
      this.host.post(message, transferablesOf(message.outputs));
  }

  /**
   * The page chose otherwise: the early session ends, and its renderer unless the page adopted it
   * (decided in order: a `render-adopt` posted before this counts). `rewind`: the page configures its
   * own transmuxer (queued next), which sees the connection's bytes again, from its first.
   */
  private endEarly(rewind: boolean): void {
    const early = this.early;
    if (!early) return;
    this.early = undefined;
    this.service.after(() => {
      if (this.provisional) this.closeRenderer();
    });
    if (rewind && early.running && this.reader) {
      this.generation++;
      this.reader.rewind(early.pushed ?? []);
    }
  }

  private closeRenderer(): void {
    this.renderer?.close();
    this.renderer = undefined;
    this.provisional = false;
  }

  /**
   * Bytes of the worker's own source: through the same ordered service as the page's pushes. When a
   * byte stream pauses, the frame in progress may end at once (`frame-end`).
   */
  private pushFromSource(data: Uint8Array, endOfAccessUnit: boolean): void {
    clearTimeout(this.pause);
    const early = this.early;
    if (early?.pushed) {
      early.pushed.push({ data, endOfAccessUnit });
      early.pushedBytes += data.byteLength;
      if (early.pushedBytes > MAX_HELD_BYTES) early.pushed = undefined;
    }
    this.sourceCommand({ type: 'push', id: 0, data, endOfAccessUnit }, data.byteLength);
    if (!endOfAccessUnit) {
      this.pause = setTimeout(
        () => this.sourceCommand({ type: 'frame-end', id: 0 }, 0),
        FRAME_END_PAUSE_MS,
      );
    }
  }

  private sourceCommand(command: WorkerCommand, bytes: number): void {
    const generation = this.generation;
    void this.service.handle(command).then(([response, transfer]) => {
      if (generation !== this.generation) return;
      let message: SourceOutputs;
      if (response.type === 'error') {
        message = { type: 'source-outputs', outputs: [], bytes, error: response.error };
      } else if (response.type === 'outputs') {
        if (bytes === 0 && response.outputs.length === 0) return;
        message = { type: 'source-outputs', outputs: response.outputs, bytes };
      } else {
        return;
      }
      if (this.renderer) this.renderer.feed(message.outputs);
      else this.early?.forRenderer.add(message);
      if (this.early) this.early.forPage.add(message);
      else this.host.post(message, transfer);
    });
  }
}
