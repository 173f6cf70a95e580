// Real clients for the relay tests: HTTP and WebSocket viewers on 127.0.0.1, the core as the judge of
// what they received, ffmpeg as the independent decoder.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { get, type IncomingMessage } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import {
  AccessUnitReader,
  Transmuxer,
  type RawAccessUnit,
  type TransmuxerOutput,
} from '../../src/core/index.js';
import { concatBytes as concat } from '../../src/core/index.js';
import type { ServeOptions } from '../../src/cli/serve/options.js';
import { startServe, type ServeHandle, type ServeIo } from '../../src/cli/serve/server.js';
import type { SourceSpec } from '../../src/cli/serve/sources.js';
import { framemd5, run, withTempDir } from '../helpers/ffmpeg.js';

export const fixturePath = (name: string): string =>
  new URL(`../fixtures/${name}`, import.meta.url).pathname;
export const fixture = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(fixturePath(name)));

export interface TestRelay extends ServeHandle {
  readonly base: string;
  readonly logs: string[];
}

export async function startRelay(
  source: SourceSpec,
  extra: Partial<Omit<ServeOptions, 'source'>> = {},
  io: Partial<ServeIo> = {},
): Promise<TestRelay> {
  const logs: string[] = [];
  const handle = await startServe(
    {
      source,
      host: '127.0.0.1',
      port: 0,
      staticDir: undefined,
      gopCache: true,
      maxViewerBuffer: undefined,
      ...extra,
    },
    { retryMinMs: 100, retryMaxMs: 400, stallTimeoutMs: 3000, ...io, log: (m) => logs.push(m) },
  );
  return Object.assign(handle, { base: `http://127.0.0.1:${handle.port}`, logs });
}

export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  return (await res.json()) as T;
}

export interface Grab {
  readonly bytes: Uint8Array;
  readonly res: IncomingMessage;
  /** ms from the request to the first body byte. */
  readonly firstByteMs: number;
  /** True when the server ended the response. */
  readonly ended: boolean;
}

/** Reads an HTTP stream until `enough` says so (or the server ends it). */
export function grabHttp(url: string, enough: (bytes: number) => boolean): Promise<Grab> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = -1;
    const chunks: Buffer[] = [];
    let size = 0;
    const req = get(url, (res) => {
      const finish = (ended: boolean): void =>
        resolve({ bytes: concat(chunks), res, firstByteMs: first, ended });
      res.on('data', (b: Buffer) => {
        if (first < 0) first = performance.now() - t0;
        chunks.push(b);
        size += b.length;
        if (enough(size)) {
          req.destroy();
          finish(false);
        }
      });
      res.on('end', () => finish(true));
      res.on('error', () => finish(false));
    });
    req.on('error', reject);
  });
}

export interface WsGrab {
  readonly texts: string[];
  readonly messages: Uint8Array[];
}

/** Collects WebSocket messages until `enough` says so. */
export function grabWs(url: string, enough: (messages: number) => boolean): Promise<WsGrab> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const texts: string[] = [];
    const messages: Uint8Array[] = [];
    let done = false;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (done) return; // messages already read off the socket when it was terminated
      if (!isBinary) texts.push(data.toString('utf8'));
      else messages.push(new Uint8Array(data));
      if (enough(messages.length)) {
        done = true;
        ws.terminate();
        resolve({ texts, messages });
      }
    });
    ws.on('close', () => resolve({ texts, messages }));
    ws.on('error', reject);
  });
}

/** Every access unit of a whole stream (a file: its end ends the last), as views of `bytes`. */
export function accessUnitsOf(bytes: Uint8Array): Uint8Array[] {
  const reader = new AccessUnitReader();
  return [...reader.push(bytes), ...reader.flush()].map((au) =>
    bytes.subarray(au.offset, au.offset + au.size),
  );
}

/** The complete access units in `bytes` (the last, unproven one is left out). */
export function completeAus(bytes: Uint8Array): RawAccessUnit[] {
  return new AccessUnitReader().push(bytes);
}

/** NAL unit types of the first `n` NAL units of an Annex-B buffer (an access unit delimiter included). */
export function firstNalTypes(bytes: Uint8Array, n: number): number[] {
  const types: number[] = [];
  for (let i = 0; i + 3 < bytes.length && types.length < n; i++) {
    if (bytes[i] === 0 && bytes[i + 1] === 0 && bytes[i + 2] === 1) {
      types.push(bytes[i + 3]! & 0x1f);
      i += 3;
    }
  }
  return types;
}

export interface MuxCheck {
  readonly inits: number;
  readonly media: number;
  readonly frames: number;
  readonly warnings: string[];
  readonly firstIsInit: boolean;
}

/** Transmuxes a viewer's stream with the core: `aus` whole (endOfAccessUnit) or as a byte stream. */
export function muxCheck(parts: readonly Uint8Array[], endOfAccessUnit: boolean): MuxCheck {
  const t = new Transmuxer({ fragment: 'frame' });
  const outs: TransmuxerOutput[] = [];
  for (const p of parts) outs.push(...t.push(p, { endOfAccessUnit }));
  const media = outs.filter((o) => o.type === 'media');
  return {
    inits: outs.filter((o) => o.type === 'init').length,
    media: media.length,
    frames: media.reduce((n, o) => n + o.frames, 0),
    warnings: outs.flatMap((o) => (o.type === 'warning' ? [`${o.code}: ${o.message}`] : [])),
    firstIsInit: outs.find((o) => o.type === 'init' || o.type === 'media')?.type === 'init',
  };
}

/** ffmpeg's complaints when decoding `bytes` as raw H.264 (empty: decoded cleanly), and its frame count. */
export async function ffmpegDecode(bytes: Uint8Array): Promise<{ errors: string; frames: number }> {
  return withTempDir(async (dir) => {
    const file = join(dir, 'viewer.h264');
    await writeFile(file, bytes);
    const r = await run('ffmpeg', [
      '-hide_banner',
      '-v',
      'error',
      '-f',
      'h264',
      '-i',
      file,
      '-f',
      'framemd5',
      '-',
    ]);
    const frames = r.stdout
      .toString('utf8')
      .split('\n')
      .filter((l) => /^\d/.test(l)).length;
    return { errors: r.stderr.trim(), frames };
  });
}

export interface Camera {
  readonly port: number;
  /** Stops sending, lets what was written drain, closes the connections and stops listening. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
}

/**
 * A camera-like TCP server streaming `data` in a loop to each client, one write every 5 ms:
 * 'access-units' writes one whole access unit at a time (as an encoder does), 'random' cuts the
 * stream at random points (1.5-10.5 KB per write).
 */
export async function startCamera(
  data: Uint8Array,
  cut: 'access-units' | 'random',
  port = 0,
): Promise<Camera> {
  const ends: number[] = [];
  if (cut === 'access-units') {
    const reader = new AccessUnitReader();
    for (const au of [...reader.push(data), ...reader.flush()]) ends.push(au.offset + au.size);
  }
  let server: Server | undefined;
  const sockets = new Map<Socket, NodeJS.Timeout>();
  const listen = (on: number): Promise<number> =>
    new Promise((resolve) => {
      server = createServer((s) => {
        let at = 0;
        let next = 0;
        const timer = setInterval(() => {
          let to: number;
          if (cut === 'access-units') {
            to = ends[next] as number;
            next = (next + 1) % ends.length;
          } else to = Math.min(data.length, at + 1500 + Math.floor(Math.random() * 9000));
          s.write(data.subarray(at, to));
          at = to >= data.length || (cut === 'access-units' && next === 0) ? 0 : to;
        }, 5);
        sockets.set(s, timer);
        s.on('close', () => {
          clearInterval(timer);
          sockets.delete(s);
        });
        s.on('error', () => undefined);
      });
      server.listen(on, '127.0.0.1', () => {
        const address = server!.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
  const bound = await listen(port);
  return {
    port: bound,
    stop: async () => {
      for (const [s, timer] of sockets) {
        clearInterval(timer);
        s.end();
      }
      await new Promise<void>((resolve) =>
        server?.listening ? server.close(() => resolve()) : resolve(),
      );
    },
    restart: async () => {
      await listen(bound);
    },
  };
}

export interface HttpCollector {
  size(): number;
  bytes(): Uint8Array;
  /** Response headers, once they came. */
  headers(): Record<string, unknown> | undefined;
  /** The server ended the response. */
  ended(): boolean;
  stop(): void;
}

/** An HTTP viewer that keeps reading until stopped. */
export function collectHttp(url: string): HttpCollector {
  const chunks: Buffer[] = [];
  let size = 0;
  let headers: Record<string, unknown> | undefined;
  let ended = false;
  const req = get(url, (res) => {
    headers = res.headers;
    res.on('data', (b: Buffer) => {
      chunks.push(b);
      size += b.length;
    });
    res.on('end', () => (ended = true));
    res.on('error', () => undefined);
  });
  req.on('error', () => undefined);
  return {
    size: () => size,
    bytes: () => concat(chunks),
    headers: () => headers,
    ended: () => ended,
    stop: () => void req.destroy(),
  };
}

export interface WsCollector {
  readonly texts: string[];
  /** Binary messages. */
  readonly frames: Uint8Array[];
  closed(): boolean;
  stop(): void;
}

/** A WebSocket viewer that keeps reading until stopped. */
export function collectWs(url: string): WsCollector {
  const ws = new WebSocket(url);
  const texts: string[] = [];
  const frames: Uint8Array[] = [];
  let closed = false;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) frames.push(new Uint8Array(data));
    else texts.push(data.toString('utf8'));
  });
  ws.on('close', () => (closed = true));
  ws.on('error', () => undefined);
  return { texts, frames, closed: () => closed, stop: () => ws.terminate() };
}

/** ffmpeg's per-frame MD5s of a raw H.264 stream, in output order. */
export async function framemd5Of(bytes: Uint8Array): Promise<string[]> {
  return withTempDir(async (dir) => {
    const file = join(dir, 'stream.h264');
    await writeFile(file, bytes);
    return (await framemd5(file, { format: 'h264' })).map((h) => h.md5);
  });
}
