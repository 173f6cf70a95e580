// The worker's reader of a live source (src/worker/source-reader.ts) with a scripted source: each
// connection goes to the page first, bytes wait until the page took it and then go in order, a page
// that never answers costs bounded memory, events pass through, nothing flows after stop.
import { describe, expect, it } from 'vitest';
import { MAX_HELD_BYTES, SourceReader, sourceForSpec } from '../../src/worker/source-reader.js';
import { sameSpec } from '../../src/worker/protocol.js';
import { HttpSource } from '../../src/sources/http-source.js';
import { WebSocketSource } from '../../src/sources/websocket-source.js';
import { SourceError } from '../../src/sources/source.js';
import type { SourceEvent } from '../../src/worker/protocol.js';
import { ScriptedSource } from '../helpers/scripted-source.js';

function setup() {
  const source = new ScriptedSource();
  const pushed: number[] = [];
  const events: SourceEvent[] = [];
  const reader = new SourceReader(
    { kind: 'websocket', url: source.label, stallTimeoutMs: 5000 },
    (data) => pushed.push(data[0] ?? -1),
    (event) => events.push(event),
    () => source,
  );
  reader.start();
  const sink = source.sink;
  if (!sink) throw new Error('not started');
  const chunk = (n: number, size = 4): Uint8Array => new Uint8Array(size).fill(n);
  return { source, sink, reader, pushed, events, chunk };
}

describe('SourceReader', () => {
  it('holds the bytes of a connection until the page took it, then pushes them in order', () => {
    const { sink, reader, pushed, events, chunk } = setup();
    void sink.connected({ live: true, reconnect: false, accessUnitFraming: true });
    expect(events).toEqual([
      {
        type: 'connected',
        info: { live: true, reconnect: false, accessUnitFraming: true },
        reconnects: 0,
      },
    ]);
    void sink.data(chunk(1), true);
    void sink.data(chunk(2), true);
    expect(pushed).toEqual([]);
    reader.resume();
    expect(pushed).toEqual([1, 2]);
    void sink.data(chunk(3), true);
    expect(pushed).toEqual([1, 2, 3]);
  });

  it('holds again at a reconnection until the page has reset the transmuxer', () => {
    const { source, sink, reader, pushed, events, chunk } = setup();
    void sink.connected({ live: true, reconnect: false, accessUnitFraming: false });
    reader.resume();
    void sink.data(chunk(1), false);
    sink.reconnecting(1, 500, 'the connection closed');
    source.reconnects = 1;
    void sink.connected({ live: true, reconnect: true, accessUnitFraming: false });
    void sink.data(chunk(2), false);
    expect(pushed).toEqual([1]);
    expect(events.map((e) => e.type)).toEqual(['connected', 'reconnecting', 'connected']);
    expect(events[2]).toMatchObject({ reconnects: 1, info: { reconnect: true } });
    reader.resume();
    expect(pushed).toEqual([1, 2]);
  });

  it(`drops what it holds beyond ${MAX_HELD_BYTES} bytes for a page that does not answer`, () => {
    const { sink, reader, pushed, chunk } = setup();
    void sink.connected({ live: true, reconnect: false, accessUnitFraming: false });
    const size = 1024 * 1024;
    for (let i = 0; i <= MAX_HELD_BYTES / size; i++) void sink.data(chunk(i, size), false);
    void sink.data(chunk(200), false);
    reader.resume();
    expect(pushed).toEqual([200]);
  });

  it('forwards the source events as data, and nothing after stop', () => {
    const { source, sink, reader, pushed, events, chunk } = setup();
    sink.unreachable?.(new SourceError('UNREACHABLE', 'Could not connect'), 1, 500);
    sink.upstream?.({ upstream: 'down', reason: 'camera off' });
    sink.error(new SourceError('WS_REFUSED', 'no WebSocket here', { status: 404 }));
    expect(events).toEqual([
      {
        type: 'unreachable',
        error: { code: 'UNREACHABLE', message: 'Could not connect', detail: {} },
        attempt: 1,
        delayMs: 500,
      },
      { type: 'upstream', notice: { upstream: 'down', reason: 'camera off' } },
      {
        type: 'error',
        error: { code: 'WS_REFUSED', message: 'no WebSocket here', detail: { status: 404 } },
      },
    ]);
    reader.stop();
    expect(source.stopped).toBe(true);
    void sink.connected({ live: true, reconnect: true, accessUnitFraming: false });
    void sink.data(chunk(9), false);
    reader.resume();
    sink.end();
    expect(pushed).toEqual([]);
    expect(events).toHaveLength(3);
  });
});

describe('sourceForSpec', () => {
  it('reads a WebSocket or an HTTP URL with the options the page chose', () => {
    const ws = sourceForSpec({
      kind: 'websocket',
      url: 'ws://camera.local/stream',
      framing: 'access-unit',
      stallTimeoutMs: 3000,
    });
    expect(ws).toBeInstanceOf(WebSocketSource);
    expect((ws as WebSocketSource).options).toEqual({
      framing: 'access-unit',
      stallTimeoutMs: 3000,
    });
    const http = sourceForSpec({
      kind: 'http',
      url: 'http://camera.local/stream.h264',
      live: true,
      stallTimeoutMs: 4000,
    });
    expect(http).toBeInstanceOf(HttpSource);
    expect(http.label).toBe('http://camera.local/stream.h264');
    expect((http as HttpSource).options).toEqual({ live: true, stallTimeoutMs: 4000 });
  });
});

describe("a source opened by the page's first script, taken over by the player", () => {
  it('tells the player the state it missed, and holds the bytes until its source-ready', () => {
    const { sink, reader, pushed, events, chunk } = setup();
    void sink.connected({ live: true, reconnect: false, accessUnitFraming: true });
    void sink.data(chunk(1), true);
    sink.upstream?.({ upstream: 'down', reason: 'camera off' });
    // Nobody listened yet (the page's bundle was loading): the player takes over.
    const told: SourceEvent[] = [];
    reader.adopt((event) => told.push(event));
    expect(told.map((e) => e.type)).toEqual(['connected', 'upstream']);
    expect(pushed).toEqual([]);
    reader.resume();
    expect(pushed).toEqual([1]);
    // Later events go to the player only.
    sink.reconnecting(1, 250, 'the connection closed');
    expect(told.map((e) => e.type)).toEqual(['connected', 'upstream', 'reconnecting']);
    expect(events.map((e) => e.type)).toEqual(['connected', 'upstream']);
  });

  it('tells a player that comes after a short file was read to its end both the connection and the end', () => {
    const { sink, reader, events } = setup();
    void sink.connected({ live: false, reconnect: false, accessUnitFraming: false });
    void sink.data(new Uint8Array(4), false);
    sink.end();
    expect(events.map((e) => e.type)).toEqual(['connected', 'end']);
    const told: SourceEvent[] = [];
    reader.adopt((event) => told.push(event));
    // Without the connection the player never learns it is a file (and waits forever).
    expect(told.map((e) => e.type)).toEqual(['connected', 'end']);
  });

  it('tells a player that comes during a reconnect only that (the lost connection is not current)', () => {
    const { sink, reader } = setup();
    void sink.connected({ live: true, reconnect: false, accessUnitFraming: true });
    sink.reconnecting(1, 250, 'the connection closed');
    const told: SourceEvent[] = [];
    reader.adopt((event) => told.push(event));
    expect(told.map((e) => e.type)).toEqual(['reconnecting']);
  });

  it('is the same source only with the same URL and options', () => {
    const ws = { kind: 'websocket', url: 'ws://cam/stream', stallTimeoutMs: 5000 } as const;
    expect(sameSpec(ws, { ...ws, framing: undefined })).toBe(true);
    expect(sameSpec(ws, { ...ws, framing: 'access-unit' })).toBe(false);
    expect(sameSpec(ws, { ...ws, url: 'ws://cam/other' })).toBe(false);
    expect(sameSpec(ws, { ...ws, stallTimeoutMs: 3000 })).toBe(false);
    const http = { kind: 'http', url: 'http://cam/stream.h264', stallTimeoutMs: 5000 } as const;
    expect(sameSpec(http, { ...http, live: undefined })).toBe(true);
    expect(sameSpec(http, { ...http, live: true })).toBe(false);
    expect(sameSpec(http, { ...ws, url: http.url })).toBe(false);
  });
});
