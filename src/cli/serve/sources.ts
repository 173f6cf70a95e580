import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AccessUnitReader,
  H264MuxError,
  Transmuxer,
  type RawAccessUnit,
  type StreamInfo,
  type TransmuxerOutput,
} from '../../core/index.js';
import { streamFpsFromHeaders, type UpstreamNotice } from '../../sources/relay-protocol.js';
import { givenRate } from '../rate-check.js';
import type { Relay } from './relay.js';

/** Where a source's bytes go: the relay, and beside it the HLS packager (`serve --hls`). */
export type SourceSink = Pick<Relay, 'push' | 'end' | 'sourceReset'>;

/** One sink that hands every call to each of `sinks`, in order. */
export function fanOut(...sinks: readonly SourceSink[]): SourceSink {
  return {
    push: (chunk, endOfAccessUnit) => sinks.forEach((s) => s.push(chunk, endOfAccessUnit)),
    end: () => sinks.forEach((s) => s.end()),
    sourceReset: () => sinks.forEach((s) => s.sourceReset()),
  };
}

/** Every source: `fps`, the frame rate to time a stream without timing info by (--fps). */
export type SourceSpec = (
  | { readonly kind: 'stdin' }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'file'; readonly path: string; readonly loop: boolean }
  | { readonly kind: 'url'; readonly url: string }
  /** A camera command whose standard output is the stream, run by `sh -c` and run again when it exits. */
  | { readonly kind: 'exec'; readonly command: string }
) & { readonly fps?: number };

export type SourceState =
  /** Connecting to a camera or an upstream URL. */
  | 'connecting'
  /** Connected; holding the first bytes until they prove to be H.264. */
  | 'validating'
  | 'streaming'
  /** Lost or unreachable; retrying after a pause. */
  | 'retrying'
  /** What arrives is not H.264 (yet): live sources keep reading and looking for it; a file exits. */
  | 'error'
  | 'ended';

/** What `/status` shows of the source: anyone may read it (CORS *), so nothing that locates or opens it. */
export interface SourceStatus {
  readonly kind: SourceSpec['kind'];
  /** The source without address, directory, credentials or query (`publicTarget`). */
  readonly target: string;
  state: SourceState;
  /** Why the source is not streaming, in the same public terms. */
  error: string | undefined;
  reconnects: number;
  /** Wall-clock time (ms) the current connection delivered its first byte. */
  connectedAt: number | undefined;
  lastDataAt: number | undefined;
  /** Nominal frame rate: `--fps`, the stream's VUI timing, or the assumed default. */
  fps: number | undefined;
  fpsSource: string | undefined;
  stream:
    | {
        codec: string;
        profile: string;
        level: string;
        width: number;
        height: number;
      }
    | undefined;
  /** File source: completed passes over the file. */
  loops: number;
}

export interface SourceEvents {
  log(message: string): void;
  /** The source can not go on (stdin without H.264, a file not H.264 or unreadable): exit with 1. */
  fatal(message: string): void;
  /** The source ended normally (stdin closed, file played once). */
  ended(): void;
  /** The state or error in `status` changed. */
  changed?(): void;
  /** The stream is to be timed at this rate: an upstream relay's operator set it (its --fps). */
  timedAt?(fps: number): void;
}

export interface SourceOptions {
  /** Stdin stream to read (tests pass their own). */
  readonly stdin?: NodeJS.ReadableStream;
  /** Retry pauses: first, and cap (ms). */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** A connected tcp/url source silent this long is dropped and reconnected (ms). */
  readonly stallTimeoutMs?: number;
  /** The clock of the retry log (ms; tests pass their own). */
  readonly now?: () => number;
  /** A streaming source silent this long (ms, default QUIET_MS) is said to be down to viewers. */
  readonly quietMs?: number;
}

/**
 * A camera that stops sending and keeps its connection (hung, SIGSTOPped, its pipeline stuck) is told to
 * viewers as down after this long (ms), or four of its frame intervals when longer: a page gives up on a
 * silent connection after 5 s, and the relay's own stall rule restarts the source after 10.
 */
export const QUIET_MS = 3000;

/** A failed try told again, for the same reason, at most this often (ms). */
export const RETRY_LOG_EVERY_MS = 60_000;

/** First bytes held for the H.264 check at most; beyond this with no decodable frame the source is refused. */
const VALIDATE_MAX_BYTES = 8 * 1024 * 1024;

/**
 * The core's check of a stream's first bytes: a `Transmuxer` that writes its init segment with the
 * first decodable frame (SPS, PPS and a keyframe found), or throws NOT_H264 (naming the container it
 * looks like). One frame a fragment: in its default 'gop' mode the init segment waited for the first
 * fragment to close (the next keyframe, or 2 s of frames), so a camera's stream was held that long at
 * every start, and one whose first GOP held more than 8 MiB (about 34 Mbit/s with a 2 s GOP) was never
 * let through; a stream of one GOP only at its end.
 */
function checker(fps?: number): Transmuxer {
  return new Transmuxer({ fragment: 'frame', ...(fps !== undefined ? { fps } : {}) });
}

/**
 * Holds a connection's first bytes until the core recognises H.264 in them (`checker`). Nothing
 * reaches viewers before that.
 */
export class H264Gate {
  private transmuxer = checker();
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  /** What the check found worth telling the operator (junk before the stream), until taken. */
  private notes: string[] = [];
  validated = false;
  info: StreamInfo | undefined;

  /** Returns the chunks to forward (held ones first once validated); throws H264MuxError when not H.264. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.validated) return [chunk];
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    const ready = this.settle(this.transmuxer.push(chunk));
    if (!this.validated && this.heldBytes > VALIDATE_MAX_BYTES) {
      throw new H264MuxError(
        'NOT_H264',
        `no decodable H.264 frame (SPS, PPS and keyframe) in the first ${VALIDATE_MAX_BYTES >> 20} MiB`,
      );
    }
    return ready;
  }

  /**
   * The stream ended: the chunks still to forward (a stream shorter than one frame's check is whole
   * only now). Throws H264MuxError when what came was not H.264.
   */
  end(): Uint8Array[] {
    if (this.validated) return [];
    const ready = this.settle(this.transmuxer.flush());
    if (!this.validated)
      throw new H264MuxError('NO_DECODABLE_FRAMES', 'no SPS/PPS and keyframe found');
    return ready;
  }

  /** Bytes held now. */
  get heldSize(): number {
    return this.heldBytes;
  }

  /** Notes for the operator since the last call (e.g. how many junk bytes came before the stream). */
  takeNotes(): string[] {
    const notes = this.notes;
    this.notes = [];
    return notes;
  }

  reset(): void {
    this.transmuxer = checker();
    this.held = [];
    this.heldBytes = 0;
    this.validated = false;
  }

  private settle(outs: readonly TransmuxerOutput[]): Uint8Array[] {
    for (const o of outs)
      if (o.type === 'warning' && o.code === 'GARBAGE_SKIPPED') this.notes.push(o.message);
    if (!outs.some((o) => o.type === 'init')) return [];
    this.validated = true;
    this.info = this.transmuxer.info;
    const ready = this.held;
    this.held = [];
    this.heldBytes = 0;
    return ready;
  }
}

/** The source as the operator gave it, for the terminal (a URL's password hidden). */
export function describeSource(spec: SourceSpec): string {
  switch (spec.kind) {
    case 'stdin':
      return 'stdin';
    case 'tcp':
      return `tcp://${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${spec.port}`;
    case 'file':
      return spec.path;
    case 'url': {
      const url = new URL(spec.url);
      if (url.password) url.password = '***';
      return url.href;
    }
    case 'exec':
      return `command "${spec.command}"`;
  }
}

/** A command's program name (its arguments may hold addresses and passwords). */
function programOf(command: string): string {
  const first = /^\s*(?:\w+=\S*\s+)*(\S+)/.exec(command)?.[1] ?? 'command';
  return basename(first.replace(/^["']|["']$/g, ''));
}

/**
 * The source for anyone who can read `/status` (any web page: CORS *): its kind and what tells one
 * source from another (a file's name, a port, a URL's path), but no host, directory, credentials or
 * query token.
 */
export function publicTarget(spec: SourceSpec): string {
  switch (spec.kind) {
    case 'stdin':
      return 'stdin';
    case 'tcp':
      return `tcp://*:${spec.port}`;
    case 'file':
      return basename(spec.path);
    case 'url': {
      const url = new URL(spec.url);
      return `${url.protocol}//*${url.pathname}`;
    }
    case 'exec':
      return `exec:${programOf(spec.command)}`;
  }
}

/**
 * A URL's request: fetch refuses a URL with credentials, so `user:password@` is taken out and sent
 * as HTTP Basic authentication (RFC 7617, UTF-8).
 */
export function urlRequest(url: string): { url: string; headers: Record<string, string> } {
  const u = new URL(url);
  if (!u.username && !u.password) return { url: u.href, headers: {} };
  const credentials = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
  u.username = '';
  u.password = '';
  return {
    url: u.href,
    headers: { Authorization: `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}` },
  };
}

export function notH264Message(error: unknown, target: string): string {
  if (error instanceof H264MuxError) {
    const container = error.detail.container;
    const looks = typeof container === 'string' ? ` (it looks like ${container})` : '';
    return `${target} is not a raw H.264 Annex-B stream${looks}: ${error.message.replace(/\.$/, '')}. Send raw H.264 (e.g. rpicam-vid --codec h264 --inline -o -, or ffmpeg ... -c:v libx264 -f h264 -).`;
  }
  return `${target}: ${error instanceof Error ? error.message : String(error)}`;
}

/** Reads a file's access units with the core's AccessUnitReader (exact AU boundaries). */
export async function* readAccessUnits(path: string): AsyncGenerator<RawAccessUnit> {
  const reader = new AccessUnitReader();
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    yield* reader.push(chunk as Buffer);
  }
  yield* reader.flush();
}

/**
 * Checks a file before serving it and finds its frame rate: `--fps`, else the stream's VUI timing
 * (the core's StreamInfo), else the core's default (with a warning). The first bytes go through a core
 * Transmuxer as they are, so a file in another container is named (NOT_H264 with detail.container).
 */
export async function probeFile(
  path: string,
  fps: number | undefined,
): Promise<{ info: StreamInfo; fps: number; fpsSource: string }> {
  const t = checker(fps);
  let done = false;
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    const outs = t.push(chunk as Buffer);
    if (outs.some((o) => o.type === 'init')) {
      done = true;
      break;
    }
  }
  if (!done) t.flush();
  const info = t.info;
  if (!info) throw new H264MuxError('NO_DECODABLE_FRAMES', 'no SPS/PPS and keyframe found');
  return { info, fps: info.fps, fpsSource: info.fpsSource };
}

/** Runs one source into the relay: connection, H.264 check, retries and state for /status. */
export class SourceRunner {
  readonly status: SourceStatus;
  /** The source as given (for the terminal; `status.target` is what others see). */
  readonly target: string;
  private readonly gate = new H264Gate();
  /** Bytes skipped as not H.264 on this connection. */
  private skipped = 0;
  /** Why this connection's first bytes were refused. */
  private refusal: unknown;
  /** The failed try last told in the log (logRetry); cleared when the source streams. */
  private retryTold: { detail: string; at: number; since: number } | undefined;
  private readonly now: () => number;
  private readonly abort = new AbortController();
  private socket: Socket | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  /** The source streams but has sent nothing for QUIET_MS (see upstreamNotice). */
  private quiet: { readonly since: number } | undefined;
  private quietTimer: NodeJS.Timeout | undefined;
  private retryMs: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly stallTimeoutMs: number;
  private stopped = false;
  /** The running camera command (--exec). */
  private child: ChildProcessByStdio<null, Readable, null> | undefined;
  /** The stream read (--stdin), let go at stop. */
  private stdin: NodeJS.ReadableStream | undefined;

  constructor(
    private readonly spec: SourceSpec,
    private readonly relay: SourceSink,
    private readonly events: SourceEvents,
    private readonly options: SourceOptions = {},
  ) {
    this.retryMinMs = options.retryMinMs ?? 500;
    this.retryMaxMs = options.retryMaxMs ?? 5000;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 10_000;
    this.retryMs = this.retryMinMs;
    this.now = options.now ?? (() => performance.now());
    this.target = describeSource(spec);
    this.status = {
      kind: spec.kind,
      target: publicTarget(spec),
      state: 'connecting',
      error: undefined,
      reconnects: 0,
      connectedAt: undefined,
      lastDataAt: undefined,
      fps: spec.fps,
      fpsSource: spec.fps !== undefined ? 'option' : undefined,
      stream: undefined,
      loops: 0,
    };
  }

  start(): void {
    switch (this.spec.kind) {
      case 'stdin':
        this.runStdin(this.options.stdin ?? process.stdin);
        break;
      case 'tcp':
        this.connectTcp(this.spec.host, this.spec.port);
        break;
      case 'url':
        void this.runUrl(this.spec.url);
        break;
      case 'exec':
        this.runExec(this.spec.command);
        break;
      case 'file':
        void this.runFile(this.spec).catch((e: unknown) =>
          this.events.fatal(notH264Message(e, this.target)),
        );
        break;
    }
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.socket?.destroy();
    this.stopChild();
    // A pipe whose writer lives on (the camera) would keep the process alive after SIGTERM: let go.
    if (this.stdin instanceof Readable) this.stdin.destroy();
    clearTimeout(this.stallTimer);
    clearTimeout(this.quietTimer);
  }

  /** What the relay's viewers are told about the source (src/sources/relay-protocol.ts). */
  upstreamNotice(): UpstreamNotice {
    const { state, error } = this.status;
    if (state === 'streaming' && this.quiet)
      return {
        upstream: 'down',
        reason: `${this.status.target} has sent nothing for ${Math.round(this.quietAfterMs() / 1000)} s`,
      };
    if (state === 'streaming' || state === 'ended') return { upstream: 'up' };
    if (error !== undefined) return { upstream: 'down', reason: error };
    return {
      upstream: 'down',
      reason:
        state === 'connecting'
          ? `connecting to ${this.status.target}`
          : `waiting for the first keyframe from ${this.status.target}`,
    };
  }

  /** How long a streaming source may be silent before viewers are told it is down (ms). */
  private quietAfterMs(): number {
    const fps = this.status.fps;
    return Math.max(this.options.quietMs ?? QUIET_MS, fps ? 4000 / fps : 0);
  }

  /** The streaming source sent bytes: not quiet (viewers told it is back), and watched again. */
  private heard(): void {
    clearTimeout(this.quietTimer);
    const quiet = this.quiet;
    if (quiet) {
      this.quiet = undefined;
      this.events.log(
        `source ${this.target}: sending again after ${((this.now() - quiet.since) / 1000).toFixed(1)} s of silence`,
      );
      this.events.changed?.();
    }
    const after = this.quietAfterMs();
    this.quietTimer = setTimeout(() => {
      if (this.stopped || this.status.state !== 'streaming') return;
      this.quiet = { since: this.now() - after };
      this.events.log(
        `source ${this.target}: nothing for ${Math.round(after / 1000)} s; viewers are told the camera is down`,
      );
      this.events.changed?.();
    }, after);
    this.quietTimer.unref();
  }

  private setState(state: SourceState, error: string | undefined): void {
    if (state !== 'streaming') {
      clearTimeout(this.quietTimer);
      this.quiet = undefined;
    }
    if (this.status.state === state && this.status.error === error) return;
    this.status.state = state;
    this.status.error = error;
    this.events.changed?.();
  }

  /** Bytes from a live source (boundaries unknown). */
  private onData(chunk: Uint8Array): void {
    this.status.lastDataAt = Date.now();
    let ready: Uint8Array[];
    try {
      ready = this.gate.push(chunk);
    } catch (e) {
      // A pipeline may begin with junk (a shell's banner, a partial write): say so, drop what was
      // held, and keep looking; the relay starts at the first keyframe found.
      if (this.skipped === 0) {
        this.refusal = e;
        this.events.log(
          `${notH264Message(e, this.target)} Still reading: relaying starts at the first keyframe found.`,
        );
      }
      this.skipped += this.gate.heldSize;
      this.gate.reset();
      this.setState(
        'error',
        `${notH264Message(e, this.status.target)} Skipped ${(this.skipped / 1048576).toFixed(1)} MB so far; still reading.`,
      );
      return;
    }
    this.forward(ready);
  }

  /** Chunks the gate let through; the first ones start the stream. */
  private forward(ready: readonly Uint8Array[]): void {
    for (const note of this.gate.takeNotes()) this.events.log(`source ${this.target}: ${note}`);
    if (ready.length === 0) {
      if (this.status.state !== 'error') this.setState('validating', undefined);
      return;
    }
    if (this.status.state !== 'streaming') {
      this.status.connectedAt = Date.now();
      this.retryMs = this.retryMinMs;
      this.retryTold = undefined;
      this.noteInfo(this.gate.info);
      if (this.skipped > 0)
        this.events.log(
          `source ${this.target}: H.264 found after ${this.skipped} bytes of something else`,
        );
      this.events.log(`source ${this.target}: streaming ${this.describeInfo()}`);
      this.setState('streaming', undefined);
    }
    this.heard();
    for (const c of ready) this.relay.push(c);
  }

  private noteInfo(info: StreamInfo | undefined): void {
    if (!info) return;
    this.status.stream = {
      codec: info.codec,
      profile: info.profile,
      level: info.level,
      width: info.width,
      height: info.height,
    };
    if (!givenRate(this.status)) {
      this.status.fps = info.fps;
      this.status.fpsSource = info.fpsSource;
    }
  }

  private describeInfo(): string {
    const s = this.status.stream;
    if (!s) return '';
    return `${s.width}x${s.height} ${s.profile} ${s.level} (${s.codec}), ${this.status.fps ?? '?'} fps (${this.status.fpsSource ?? '?'})`;
  }

  /**
   * The connection ended or failed: the relay judges the frame in progress and its viewers wait; then
   * retry after a growing pause. `reason` is public (for /status and the viewers); `detail` is for the
   * terminal.
   */
  private lost(reason: string, detail = reason): void {
    clearTimeout(this.stallTimer);
    this.relay.sourceReset();
    this.gate.reset();
    this.skipped = 0;
    this.refusal = undefined;
    this.status.connectedAt = undefined;
    if (this.stopped) return;
    if (this.status.state !== 'error') this.setState('retrying', reason);
    this.logRetry(detail);
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, this.retryMaxMs);
    void sleep(wait, undefined, { signal: this.abort.signal })
      .then(() => {
        this.status.reconnects++;
        if (this.spec.kind === 'tcp') this.connectTcp(this.spec.host, this.spec.port);
        else if (this.spec.kind === 'url') void this.runUrl(this.spec.url);
        else if (this.spec.kind === 'exec') this.runExec(this.spec.command);
      })
      .catch(() => undefined);
  }

  /**
   * A failed try, told when its reason is new, and then once a minute with how many tries failed
   * since: a camera down for a night was a line every 5 s (720 an hour) in the Pi's journal.
   */
  private logRetry(detail: string): void {
    const now = this.now();
    const told = this.retryTold;
    if (told && told.detail === detail && now - told.at < RETRY_LOG_EVERY_MS) {
      told.since++;
      return;
    }
    const more =
      told?.detail === detail && told.since > 0 ? ` (${told.since} more tries failed so)` : '';
    this.events.log(
      `source ${this.target}: ${detail}${more}; retrying in ${this.retryMs / 1000} s`,
    );
    this.retryTold = { detail, at: now, since: 0 };
  }

  private armStall(onStall: () => void): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(onStall, this.stallTimeoutMs);
  }

  private runStdin(stdin: NodeJS.ReadableStream): void {
    this.stdin = stdin;
    this.setState('validating', undefined);
    stdin.on('data', (chunk: Buffer) => {
      if (!this.stopped) this.onData(chunk);
    });
    stdin.on('end', () => {
      if (this.stopped) return;
      let ready: Uint8Array[];
      try {
        ready = this.gate.end();
      } catch (e) {
        // The first refusal names what the input looked like (an MP4 ...); later ones only saw its
        // insides.
        const notH264 = this.refusal ?? e;
        this.setState('error', notH264Message(notH264, this.status.target));
        this.events.fatal(`${notH264Message(notH264, this.target)} (the stream ended without any)`);
        return;
      }
      if (ready.length > 0) this.forward(ready);
      this.relay.end();
      this.setState('ended', undefined);
      this.events.log('source stdin: end of stream');
      this.events.ended();
    });
    stdin.on('error', (e: Error) => {
      if (!this.stopped) this.events.fatal(`stdin: ${e.message}`);
    });
  }

  /** TCP client (e.g. `rpicam-vid --listen -o tcp://0.0.0.0:8888`); reconnects forever. */
  private connectTcp(host: string, port: number): void {
    if (this.stopped) return;
    if (this.status.state !== 'retrying' && this.status.state !== 'error')
      this.setState('connecting', undefined);
    const socket = connect({ host, port, noDelay: true });
    this.socket = socket;
    let failure: { reason: string; detail: string } | undefined;
    const stalled = `no data for ${this.stallTimeoutMs / 1000} s`;
    // A host that drops the connection request (off the network) would hold it for the system's
    // connect timeout, about 2 minutes, before the next try.
    const unanswered = `no answer to the connection in ${this.stallTimeoutMs / 1000} s`;
    this.armStall(() => socket.destroy(new Error(unanswered)));
    socket.on('connect', () => {
      if (this.status.state !== 'error') this.setState('validating', undefined);
      this.armStall(() => socket.destroy(new Error(stalled)));
    });
    socket.on('data', (chunk: Buffer) => {
      this.armStall(() => socket.destroy(new Error(stalled)));
      this.onData(chunk);
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      const unreachable =
        e.code === 'ECONNREFUSED' ||
        e.code === 'EHOSTUNREACH' ||
        e.code === 'ETIMEDOUT' ||
        e.code === 'ENOTFOUND';
      failure = unreachable
        ? {
            reason: `camera unreachable at ${this.status.target} (${e.code})`,
            detail: `camera unreachable at ${host}:${port} (${e.code})`,
          }
        : {
            reason:
              e.message === stalled || e.message === unanswered
                ? e.message
                : `connection failed (${e.code ?? 'error'})`,
            detail: e.message,
          };
    });
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      const closed = 'connection closed by the camera';
      this.lost(failure?.reason ?? closed, failure?.detail ?? closed);
    });
  }

  /** Pulls another raw H.264 HTTP stream (e.g. another relay's /stream.h264); reconnects forever. */
  private async runUrl(spec: string): Promise<void> {
    if (this.stopped) return;
    if (this.status.state !== 'retrying' && this.status.state !== 'error')
      this.setState('connecting', undefined);
    const local = new AbortController();
    const onAbort = (): void => local.abort();
    this.abort.signal.addEventListener('abort', onAbort);
    const stalled = new Error(`no data for ${this.stallTimeoutMs / 1000} s`);
    let reason = 'upstream ended the stream';
    let detail = reason;
    // An upstream that takes the connection and never answers (a frozen process) would hold it for
    // fetch's headers timeout, 5 minutes, before the next try.
    const unanswered = new Error(`upstream sent no answer in ${this.stallTimeoutMs / 1000} s`);
    this.armStall(() => local.abort(unanswered));
    try {
      const request = urlRequest(spec);
      const res = await fetch(request.url, {
        signal: local.signal,
        headers: { 'Cache-Control': 'no-cache', ...request.headers },
      });
      if (!res.ok || !res.body) {
        const answer = `HTTP ${res.status} ${res.statusText}`.trim();
        const hint =
          res.status === 401 || res.status === 403 ? ': check the user and password in --url' : '';
        reason = `upstream answered ${answer}${hint}`;
        detail = `${this.target} answered ${answer}${hint}`;
        await res.body?.cancel();
      } else {
        if (this.status.state !== 'error') this.setState('validating', undefined);
        const upstreamFps = streamFpsFromHeaders(res.headers);
        if (upstreamFps !== undefined && this.spec.fps === undefined) this.timeAt(upstreamFps);
        const reader = res.body.getReader();
        this.armStall(() => local.abort(stalled));
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          this.armStall(() => local.abort(stalled));
          this.onData(value);
        }
      }
    } catch (e) {
      if (this.stopped) return;
      const err = local.signal.aborted ? (local.signal.reason as unknown) : e;
      if (err === stalled || err === unanswered) {
        reason = detail = (err as Error).message;
      } else if (
        err instanceof Error &&
        err.message === 'fetch failed' &&
        err.cause instanceof Error
      ) {
        const code = (err.cause as NodeJS.ErrnoException).code;
        reason = `upstream unreachable${code ? ` (${code})` : ''}`;
        detail = `upstream unreachable: ${err.cause.message}`;
      } else {
        reason = 'upstream connection failed';
        detail = err instanceof Error ? err.message : String(err);
      }
    } finally {
      this.abort.signal.removeEventListener('abort', onAbort);
    }
    this.lost(reason, detail);
  }

  /**
   * A camera command (`--exec "rpicam-vid -t 0 --inline -o -"`): its standard output is the stream,
   * its standard error goes to the terminal. When it exits (a camera error, a cable pulled), or sends
   * nothing for the stall timeout (hung), the viewers are told the camera is down and it is run
   * again, as a TCP camera is reconnected; with `--stdin` the relay could only end.
   */
  private runExec(command: string): void {
    if (this.stopped) return;
    if (this.status.state !== 'retrying' && this.status.state !== 'error')
      this.setState('connecting', undefined);
    // Its own process group: stopping it stops what it started (sh -c, a pipeline).
    const child = spawn('sh', ['-c', command], {
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    this.child = child;
    // Its group does not get the terminal's Ctrl-C: should the relay end without stopping it (a
    // crash), it must not hold the camera.
    const orphan = (): void => this.stopChild();
    process.once('exit', orphan);
    const program = programOf(command);
    const stalled = `${program} sent nothing for ${this.stallTimeoutMs / 1000} s`;
    let failure: string | undefined;
    const onStall = (): void => {
      failure = stalled;
      this.stopChild();
    };
    this.armStall(onStall);
    child.stdout.on('data', (chunk: Buffer) => {
      if (this.stopped) return;
      if (this.status.state === 'connecting') this.setState('validating', undefined);
      this.armStall(onStall);
      this.onData(chunk);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      failure = `could not run ${program}: ${e.message}`;
    });
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      if (this.child === child) this.child = undefined;
      process.off('exit', orphan);
      const ended =
        failure ??
        (signal !== null
          ? `${program} was stopped (${signal})`
          : `${program} exited with code ${code}`);
      this.lost(ended);
    });
  }

  /** Stops the camera command and what it started: SIGTERM to its group, SIGKILL 2 s later. */
  private stopChild(): void {
    const child = this.child;
    const pid = child?.pid;
    if (!child || pid === undefined) return;
    const kill = (signal: NodeJS.Signals): void => {
      try {
        process.kill(-pid, signal);
      } catch {
        // Gone already.
      }
    };
    kill('SIGTERM');
    const hard = setTimeout(() => kill('SIGKILL'), 2000);
    hard.unref();
    child.once('close', () => clearTimeout(hard));
  }

  /**
   * An upstream relay times its stream at `fps` (its operator's --fps): so does this one, its viewers
   * and its HLS, where a stream without timing info was timed at an assumed 30 (--fps here overrides).
   */
  private timeAt(fps: number): void {
    if (this.status.fpsSource === 'upstream' && this.status.fps === fps) return;
    this.status.fps = fps;
    this.status.fpsSource = 'upstream';
    this.events.log(
      `source ${this.target}: timed at ${fps} fps, as the upstream relay is (its --fps)`,
    );
    this.events.timedAt?.(fps);
  }

  /** Plays a file in real time at its frame rate, AU by AU (exact boundaries), looped on request. */
  private async runFile(spec: Extract<SourceSpec, { kind: 'file' }>): Promise<void> {
    const probe = await probeFile(spec.path, spec.fps);
    this.noteInfo(probe.info);
    this.status.fps = probe.fps;
    this.status.fpsSource = probe.fpsSource;
    if (probe.fpsSource === 'default') {
      this.events.log(
        `${spec.path} has no timing info: playing at ${probe.fps} fps (set --fps to change it)`,
      );
    }
    this.status.connectedAt = Date.now();
    this.setState('streaming', undefined);
    const frameMs = 1000 / probe.fps;
    let t0 = performance.now();
    let n = 0;
    const signal = this.abort.signal;
    for (;;) {
      let count = 0;
      for await (const au of readAccessUnits(spec.path)) {
        if (this.stopped) return;
        const wait = t0 + n * frameMs - performance.now();
        if (wait > 1) {
          try {
            await sleep(wait, undefined, { signal });
          } catch {
            return;
          }
        } else if (wait < -1000) {
          t0 = performance.now(); // fell far behind (suspended): resume the schedule from now
          n = 0;
        }
        this.status.lastDataAt = Date.now();
        this.relay.push(au.data, true);
        n++;
        count++;
      }
      if (count === 0) throw new H264MuxError('NO_DECODABLE_FRAMES', 'no access units in the file');
      this.status.loops++;
      if (!spec.loop || this.stopped) break;
    }
    this.relay.end();
    this.setState('ended', undefined);
    this.events.log(`source ${spec.path}: end of file`);
    this.events.ended();
  }
}
