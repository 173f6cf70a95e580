// Real clients for the relay tests: HTTP and WebSocket viewers on 127.0.0.1, the core as the judge of
// what they received, ffmpeg as the independent decoder.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { get, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import {
  AccessUnitReader,
  Transmuxer,
  type RawAccessUnit,
  type TransmuxerOutput,
} from '../../src/core/index.js';
import { concat } from '../../src/cli/serve/au-scanner.js';
import type { ServeOptions } from '../../src/cli/serve/options.js';
import { startServe, type ServeHandle } from '../../src/cli/serve/server.js';
import type { SourceSpec } from '../../src/cli/serve/sources.js';
import { run, withTempDir } from '../helpers/ffmpeg.js';

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
    { log: (m) => logs.push(m), retryMinMs: 100, retryMaxMs: 400, stallTimeoutMs: 3000 },
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
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) texts.push(data.toString('utf8'));
      else messages.push(new Uint8Array(data));
      if (enough(messages.length)) {
        ws.terminate();
        resolve({ texts, messages });
      }
    });
    ws.on('close', () => resolve({ texts, messages }));
    ws.on('error', reject);
  });
}

/** The complete access units in `bytes` (the last, unproven one is left out). */
export function completeAus(bytes: Uint8Array): RawAccessUnit[] {
  return new AccessUnitReader().push(bytes);
}

/** NAL unit types of the first `n` NAL units of an Annex-B buffer. */
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
