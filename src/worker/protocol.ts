/**
 * The message protocol between the page and the transmuxer worker. Shared by both sides so that a
 * command or a response the other side does not understand is a type error.
 *
 * Every command carries an `id`; the worker answers each command with exactly one response carrying
 * the same id (`outputs` or `error`). Byte buffers are transferred, not copied, in both directions.
 */
import type { TransmuxerOptions, TransmuxerOutput } from '../core/index.js';
import type { Paint } from '../player/frame-sink.js';
import type { RendererStats } from '../player/webcodecs-renderer.js';
import type { ConnectionInfo } from '../sources/source.js';
import type { WsFraming } from '../sources/framing.js';
import type { SkipNotice, UpstreamNotice } from '../sources/relay-protocol.js';
import type { Mp4Layout } from './mp4-file.js';

/** An error as plain data: the worker never lets an exception become a lost log line. */
export interface WorkerErrorData {
  /** An H264MuxErrorCode from the core, or 'INTERNAL' for anything unexpected. */
  readonly code: string;
  readonly message: string;
  readonly detail: Readonly<Record<string, string | number | boolean>>;
}

export type WorkerCommand =
  /** (Re)create the transmuxer with these options (drops any previous state). */
  | { readonly type: 'configure'; readonly id: number; readonly options: TransmuxerOptions }
  /** Bytes of the stream, in order, cut anywhere (or at access-unit ends when `endOfAccessUnit`). */
  | {
      readonly type: 'push';
      readonly id: number;
      readonly data: Uint8Array;
      readonly endOfAccessUnit: boolean;
    }
  /**
   * Live: the input paused; the frame in progress ends now if its last slice is whole
   * (`Transmuxer.endIfFrameWhole`), while that costs under half the frame interval (FrameEndBudget).
   */
  | { readonly type: 'frame-end'; readonly id: number }
  /** End of stream: emit the last frame and the pending fragment. */
  | { readonly type: 'flush'; readonly id: number }
  /** Discard partial input (after a reconnect); output resumes at the next keyframe. */
  | { readonly type: 'reset'; readonly id: number }
  /**
   * Start recording: a second transmuxer sees every byte pushed after this command and keeps an MP4
   * file in memory from the next keyframe on (answered with empty `outputs`).
   */
  | { readonly type: 'record-start'; readonly id: number; readonly options: RecordOptions }
  /** Stop recording: flush the recording's transmuxer and answer with `recording` (or `error`). */
  | { readonly type: 'record-stop'; readonly id: number }
  /**
   * Live: the worker decodes the stream itself (WebCodecs) and shows each frame at its due time on
   * `output` (transferred); `events` carries RendererEvent out and RendererControl in. Answered with
   * empty `outputs`, or `error` when this worker has no VideoDecoder. Outputs still go to the page,
   * which then appends none of them.
   */
  | {
      readonly type: 'render';
      readonly id: number;
      readonly options: { readonly targetLatency: number };
      readonly output: RenderOutput;
      readonly events: MessagePort;
    }
  /**
   * Live: the page shows the track of the renderer its first script started (`render` with
   * EARLY_COMMAND_ID, see EarlyStart): the worker keeps that renderer. Answered with empty `outputs`,
   * or `error` when there is none. Without it, the page's first own command ends that renderer.
   */
  | { readonly type: 'render-adopt'; readonly id: number }
  /** Live: the worker's renderer (if any) stops and lets its output go; the page shows the stream. */
  | { readonly type: 'render-stop'; readonly id: number }
  /**
   * Live: the worker reads the source itself (./source-reader.ts); its events and its outputs come as
   * `source-event` and `source-outputs` messages. Answered with empty `outputs` at once. The same spec
   * as the source already open (opened by the page's first script, vite.config.ts) takes that one over.
   */
  | { readonly type: 'source-open'; readonly id: number; readonly spec: SourceSpec }
  /** The page handled the source's last `connected` event (commands for it come first): bytes flow. */
  | { readonly type: 'source-ready'; readonly id: number }
  | { readonly type: 'source-close'; readonly id: number };

/**
 * A source the worker can read: a live WebSocket, or an HTTP(S) URL (absolute), which the page takes
 * back if its headers say it is a file (see src/play/worker-source.ts).
 */
export type SourceSpec =
  | {
      readonly kind: 'websocket';
      readonly url: string;
      readonly framing?: WsFraming | undefined;
      readonly stallTimeoutMs: number;
    }
  | {
      readonly kind: 'http';
      readonly url: string;
      /** Forced live handling (see HttpSourceOptions.live); undefined: live without Content-Length. */
      readonly live?: boolean | undefined;
      readonly stallTimeoutMs: number;
    };

/** Whether two specs describe the same source (the early page script's and the player's). */
export function sameSpec(a: SourceSpec, b: SourceSpec): boolean {
  if (a.kind !== b.kind || a.url !== b.url || a.stallTimeoutMs !== b.stallTimeoutMs) return false;
  return a.kind === 'websocket' && b.kind === 'websocket'
    ? a.framing === b.framing
    : a.kind === 'http' && b.kind === 'http' && a.live === b.live;
}

/** What the worker's source tells the page (the SourceSink calls, as data). */
export type SourceEvent =
  | { readonly type: 'connected'; readonly info: ConnectionInfo; readonly reconnects: number }
  | {
      readonly type: 'reconnecting';
      readonly attempt: number;
      readonly delayMs: number;
      readonly reason: string;
    }
  | {
      readonly type: 'unreachable';
      readonly error: WorkerErrorData;
      readonly attempt: number;
      readonly delayMs: number;
    }
  | { readonly type: 'upstream'; readonly notice: UpstreamNotice }
  | { readonly type: 'skipped'; readonly notice: SkipNotice }
  | { readonly type: 'source-fps'; readonly fps: number }
  | { readonly type: 'error'; readonly error: WorkerErrorData }
  | { readonly type: 'end' };

/** Messages the worker sends on its own (no command id): its source's events and outputs. */
export type WorkerSourceMessage =
  | { readonly type: 'source-event'; readonly event: SourceEvent }
  | {
      readonly type: 'source-outputs';
      readonly outputs: readonly TransmuxerOutput[];
      /** Stream bytes these outputs come from. */
      readonly bytes: number;
      /** The transmuxer refused the bytes (e.g. not H.264): playback ends with this. */
      readonly error?: WorkerErrorData | undefined;
    };

/** Where the worker's renderer shows frames (both made by the page and transferred to the worker). */
export type RenderOutput =
  /** A MediaStreamTrackGenerator's writable (Chromium): the page's `<video>` plays the track. */
  | { readonly kind: 'track'; readonly frames: WritableStream<VideoFrame> }
  /** A page's `<canvas>` after `transferControlToOffscreen` (Firefox, Safari): painted here. */
  | { readonly kind: 'canvas'; readonly canvas: OffscreenCanvas };

/** A frame the worker painted on a RenderOutput canvas; times on the wall clock (timeOrigin + now, ms). */
export type PaintedFrame = Paint;

/** What the worker's renderer tells the page (over the `render` command's port). */
export type RendererEvent =
  /** The first frame was written. */
  | { readonly type: 'started' }
  /** A frame was painted (a canvas output only: the page re-dispatches it, FRAME_EVENT). */
  | { readonly type: 'painted'; readonly frame: PaintedFrame }
  /**
   * The answer to a `snapshot`: a PNG of the canvas output and the stream time of the frame it
   * shows; no blob before the first paint, or for a track output.
   */
  | {
      readonly type: 'snapshot';
      readonly id: number;
      readonly png: Blob | undefined;
      readonly mediaTime: number;
      readonly width: number;
      readonly height: number;
    }
  /** Its figures, a few times a second. */
  | { readonly type: 'stats'; readonly stats: RendererStats }
  /** A decode error was recovered from (a new decoder resumes at the next keyframe). */
  | { readonly type: 'recovered'; readonly message: string }
  | { readonly type: 'error'; readonly error: WorkerErrorData };

/** What the page tells the worker's renderer. */
export type RendererControl =
  | { readonly type: 'visibility'; readonly visible: boolean }
  /**
   * A PNG of the canvas output, taken in the worker: a page that reads a canvas whose control it
   * transferred waits for the worker (Firefox 153: up to 10 s when the worker is busy, measured).
   */
  | { readonly type: 'snapshot'; readonly id: number }
  /**
   * A track output is played now (the `<video>` has it as srcObject): the newest frame written before
   * is written again, a few times until a newer one comes (./track-renderer.ts `attachTrack`,
   * ../player/frame-sink.ts TrackSinkOptions). Sent each time the page gives the track to its `<video>`.
   */
  | { readonly type: 'attached' };

export interface RecordOptions {
  readonly layout: Mp4Layout;
  /** Media bytes kept in memory at most; the recording ends at the last whole GOP below it. */
  readonly maxBytes: number;
  readonly fps?: number;
}

/** A finished recording: a standalone .mp4 file that starts at a keyframe. */
export interface Recording {
  readonly blob: Blob;
  readonly layout: Mp4Layout;
  readonly frames: number;
  readonly durationSeconds: number;
  /** True when the first recorded frame is a keyframe (always, unless the core misbehaves). */
  readonly firstKeyframe: boolean;
  /** True when `maxBytes` cut the recording short. */
  readonly capped: boolean;
  /** Warnings of the recording's transmuxer (e.g. a damaged last frame dropped). */
  readonly warnings: readonly string[];
}

/**
 * The id of the commands of the built page's first script (vite.config.ts), posted before the page's
 * client existed; the client numbers its commands from 1 and ignores the answers to these.
 */
export const EARLY_COMMAND_ID = 0;

/**
 * A live session the built page's first script starts before its bundle has loaded (vite.config.ts):
 * the worker opens `source` at once and, on a live connection, transmuxes it with the options the
 * player will ask for (EARLY_TRANSMUXER_OPTIONS); the script also posts a `render` with
 * EARLY_COMMAND_ID. It comes in the worker script's URL fragment (`#` + encodeURIComponent of this as
 * JSON), which the worker reads as it starts: a message would wait for the page's main thread, busy
 * then with the bundle (18-36 ms measured).
 */
export interface EarlyStart {
  readonly source: SourceSpec;
}

/** The EarlyStart in a worker's location fragment, if any (and well-formed). */
export function parseEarlyStart(hash: string): EarlyStart | undefined {
  if (!hash.startsWith('#') || hash.length < 2) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(decodeURIComponent(hash.slice(1)));
  } catch {
    return undefined;
  }
  const source = (value as { source?: unknown } | null)?.source as
    Record<string, unknown> | undefined;
  if (typeof source !== 'object' || source === null) return undefined;
  const { kind, url, stallTimeoutMs } = source;
  if ((kind !== 'websocket' && kind !== 'http') || typeof url !== 'string') return undefined;
  if (typeof stallTimeoutMs !== 'number' || !(stallTimeoutMs > 0)) return undefined;
  if (!/^(?:wss?|https?):/i.test(url)) return undefined;
  return { source: { kind, url, stallTimeoutMs } };
}

/**
 * Seconds at least between anchors (TransmuxerOptions.anchorInterval): a live back buffer of a stream
 * with no other random access point Chromium takes (isRandomAccess) holds 4 to 15 s (a file's, 30 to
 * 41 s). The player's stats leave anchors out (../player/added-picture-tally.ts).
 */
const ANCHOR_INTERVAL_SECONDS = 10;

/**
 * The transmuxer options the player plays a source with: live, one fragment per frame and frames out
 * as they arrive when the stream declares no reordering bound (cameras that write no
 * bitstream_restriction); a file, one fragment per GOP.
 */
export function playbackTransmuxerOptions(live: boolean, fps?: number): TransmuxerOptions {
  return {
    fragment: live ? 'frame' : 'gop',
    ...(live ? { lowLatency: true } : {}),
    // MSE starts only at an IDR picture (Chromium, Firefox): a start at a recovery point gets one.
    startPicture: true,
    // Chromium's MSE takes no recovery point on a P picture as a random access point: without them,
    // the buffer behind the playhead of a periodic-intra-refresh stream cannot be trimmed.
    anchorInterval: ANCHOR_INTERVAL_SECONDS,
    ...(fps !== undefined ? { fps } : {}),
  };
}

/** The transmuxer options of the early session (EarlyStart): the player's for a live stream, none given. */
export const EARLY_TRANSMUXER_OPTIONS: TransmuxerOptions = playbackTransmuxerOptions(true);

/** Whether two option sets configure the same transmuxer (each option compared by value). */
export function sameTransmuxerOptions(a: TransmuxerOptions, b: TransmuxerOptions): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof TransmuxerOptions>;
  for (const key of keys) if (a[key] !== b[key]) return false;
  return true;
}

export type WorkerResponse =
  | {
      readonly type: 'outputs';
      readonly id: number;
      readonly outputs: readonly TransmuxerOutput[];
    }
  | { readonly type: 'recording'; readonly id: number; readonly recording: Recording }
  | { readonly type: 'error'; readonly id: number; readonly error: WorkerErrorData };

/** Buffers to transfer with a set of outputs (each output owns its buffer). */
export function transferablesOf(outputs: readonly TransmuxerOutput[]): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const out of outputs) {
    if (out.type === 'init' || out.type === 'media') {
      const buffer = out.data.buffer;
      if (buffer instanceof ArrayBuffer && !list.includes(buffer)) list.push(buffer);
    }
  }
  return list;
}
