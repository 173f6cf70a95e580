// The relay end to end: a real server on 127.0.0.1 (port 0), real HTTP and WebSocket viewers, the core
// transmuxer and ffmpeg judging what each viewer received.
import { connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { AccessUnitReader, concatBytes as concat, Transmuxer } from '../../src/core/index.js';
import {
  parseSourceFpsMessage,
  receiptRequest,
  sourceFpsFromHeaders,
} from '../../src/sources/relay-protocol.js';
import {
  collectHttp,
  collectWs,
  completeAus,
  ffmpegDecode,
  framemd5Of,
  firstNalTypes,
  fixture,
  fixturePath,
  getJson,
  grabHttp,
  grabWs,
  muxCheck,
  startCamera,
  startRelay,
  waitFor,
  type TestRelay,
} from './helpers.js';

interface Status {
  source: { state: string; error: string | null; reconnects: number; fps?: number };
  viewers: {
    total: number;
    maxBuffered: number;
    list: { transport: string; skips: number; bytesOut: number; state: string }[];
  };
  accessUnits: number;
  skips: number;
  fps: number;
  sourceFps: number | null;
  gopCache: { frames: number; bytes: number };
}

const relays: TestRelay[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

async function relay(...args: Parameters<typeof startRelay>): Promise<TestRelay> {
  const r = await startRelay(...args);
  relays.push(r);
  return r;
}

const status = (r: TestRelay): Promise<Status> => getJson<Status>(`${r.base}/status`);
const P01 = 'p01_pi_baseline_vga30_inline.h264'; // 640x480 Baseline, keyint 30, SPS/PPS inline

/** A viewer's stream is a valid start: SPS/PPS first, a keyframe, transmuxes with no keyframe wait, decodes. */
async function expectDecodableStart(bytes: Uint8Array): Promise<number> {
  const aus = completeAus(bytes);
  expect(aus.length).toBeGreaterThan(5);
  // SPS, PPS (after an access unit delimiter when the stream has one: it is always first, §7.4.1.2.3)
  const types = firstNalTypes(bytes, 3);
  expect(types[0] === 9 ? types.slice(1) : types.slice(0, 2)).toEqual([7, 8]);
  expect(aus[0]!.keyframe).toBe(true);
  const whole = concat(aus.map((a) => a.data));
  const mux = muxCheck([whole], false);
  expect(mux.warnings.filter((w) => w.startsWith('WAITING_FOR_KEYFRAME'))).toEqual([]);
  expect(mux.firstIsInit).toBe(true);
  expect(mux.media).toBeGreaterThan(0);
  const decoded = await ffmpegDecode(whole);
  expect(decoded.errors).toBe('');
  expect(decoded.frames).toBe(aus.length);
  return aus.length;
}

describe('h264mux serve', () => {
  it('a viewer joining mid-GOP gets SPS/PPS + keyframe at once (HTTP) and decodes', async () => {
    const r = await relay({ kind: 'file', path: fixturePath(P01), loop: true });
    // Mid-GOP: 45 AUs in (keyframes every 30).
    await waitFor('45 access units', async () => (await status(r)).accessUnits >= 45);
    const grab = await grabHttp(`${r.base}/stream.h264`, (n) => n > 250_000);
    expect(grab.res.headers['access-control-allow-origin']).toBe('*');
    expect(grab.res.headers['cache-control']).toContain('no-cache');
    expect(grab.res.headers['content-type']).toBe('video/h264');
    await expectDecodableStart(grab.bytes);
  });

  it('WebSocket: announces access-unit framing, one whole AU per message, starting at a keyframe', async () => {
    const r = await relay({ kind: 'file', path: fixturePath(P01), loop: true });
    await waitFor('40 access units', async () => (await status(r)).accessUnits >= 40);
    const grab = await grabWs(`ws://127.0.0.1:${r.port}/stream`, (n) => n >= 40);
    // Then the request for receipts (src/sources/relay-protocol.ts), after the announcement.
    expect(grab.texts).toEqual(['{"framing":"access-unit"}', receiptRequest()]);
    // Each message is exactly one AU: the core, told nothing, finds the same boundaries.
    const reader = new AccessUnitReader();
    const found = [...reader.push(concat(grab.messages)), ...reader.flush()];
    expect(found.length).toBe(grab.messages.length);
    found.forEach((au, i) => expect(au.data.length).toBeLessThanOrEqual(grab.messages[i]!.length));
    expect(found[0]!.keyframe).toBe(true);
    expect(firstNalTypes(grab.messages[0]!, 2)).toEqual([7, 8]);
    const mux = muxCheck(grab.messages, true);
    expect(mux.warnings).toEqual([]);
    expect(mux.frames).toBe(40);
    expect((await ffmpegDecode(concat(grab.messages))).errors).toBe('');
  });

  it("the source's steady rate: over WebSocket at connect time and every 2 s, an HTTP header, /status", async () => {
    const r = await relay({ kind: 'file', path: fixturePath(P01), loop: true });
    // Two checks 2 s apart that agree: 30 fps (a 2 s window of whole frames: within half a frame).
    await waitFor('the rate known', async () => (await status(r)).sourceFps !== null);
    expect(Math.abs(((await status(r)).sourceFps ?? 0) - 30)).toBeLessThanOrEqual(0.5);
    // 70 messages: the GOP cache's burst, then at least 2 s of the stream (another word on the rate).
    const grab = await grabWs(`ws://127.0.0.1:${r.port}/stream`, (n) => n >= 70 + 30);
    const told = grab.texts.filter((t) => t.startsWith('{"sourceFps"'));
    expect(grab.texts.slice(0, 2)).toEqual(['{"framing":"access-unit"}', receiptRequest()]);
    expect(grab.texts[2]).toMatch(/^\{"sourceFps":[\d.]+\}$/);
    expect(told.length).toBeGreaterThanOrEqual(2);
    for (const t of told)
      expect(Math.abs((parseSourceFpsMessage(t) ?? 0) - 30)).toBeLessThanOrEqual(0.5);
    // HTTP: a header at connect time (exposed to other origins).
    const abort = new AbortController();
    const res = await fetch(`${r.base}/stream.h264`, { signal: abort.signal });
    expect(Math.abs((sourceFpsFromHeaders(res.headers) ?? 0) - 30)).toBeLessThanOrEqual(0.5);
    expect(res.headers.get('access-control-expose-headers')).toContain('X-Relay-Source-Fps');
    abort.abort();
  }, 20_000);

  it('HEAD /stream.h264: the headers of GET (source up or down, its rates), no body, no viewer', async () => {
    /** The headers a GET and a HEAD get, but for those of the connection. */
    const headersOf = async (url: string, method: 'GET' | 'HEAD'): Promise<object> => {
      const abort = new AbortController();
      const res = await fetch(url, { method, signal: abort.signal });
      const own = ['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length'];
      const headers = Object.fromEntries([...res.headers].filter(([k]) => !own.includes(k)));
      if (method === 'HEAD') expect(await res.text()).toBe('');
      abort.abort();
      return headers;
    };
    const timed = await relay({
      kind: 'file',
      path: fixturePath('p02_pi_baseline_vga30_notiming.h264'),
      loop: true,
      fps: 25,
    });
    await waitFor('the rate known', async () => (await status(timed)).sourceFps !== null);
    const head = await headersOf(`${timed.base}/stream.h264`, 'HEAD');
    expect(head).toMatchObject({ 'x-relay-upstream': 'up', 'x-relay-fps': '25' });
    expect(head).toHaveProperty('x-relay-source-fps');
    expect(head).toEqual(await headersOf(`${timed.base}/stream.h264`, 'GET'));
    // A camera that cannot be reached: down, and why.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const down = await relay({ kind: 'tcp', host: '127.0.0.1', port });
    await waitFor('an error', async () => (await status(down)).source.error !== null);
    const downHead = await headersOf(`${down.base}/stream.h264`, 'HEAD');
    expect(downHead).toMatchObject({ 'x-relay-upstream': 'down' });
    expect(downHead).toHaveProperty('x-relay-upstream-reason');
    expect(downHead).toEqual(await headersOf(`${down.base}/stream.h264`, 'GET'));
    await waitFor('no viewers', async () => (await status(timed)).viewers.total === 0);
  }, 20_000);

  it('WebSocket ?framing=none: raw bytes as they arrive, no announcement, still from a keyframe', async () => {
    const r = await relay({ kind: 'file', path: fixturePath(P01), loop: true });
    await waitFor('40 access units', async () => (await status(r)).accessUnits >= 40);
    const grab = await grabWs(`ws://127.0.0.1:${r.port}/stream?framing=none`, (n) => n >= 60);
    expect(grab.texts).toEqual([receiptRequest()]);
    await expectDecodableStart(concat(grab.messages));
  });

  it('chained relays: serve --url from another serve', async () => {
    const a = await relay({ kind: 'file', path: fixturePath(P01), loop: true });
    const b = await relay({ kind: 'url', url: `${a.base}/stream.h264` });
    await waitFor('b streaming', async () => (await status(b)).source.state === 'streaming');
    await waitFor('b 20 AUs', async () => (await status(b)).accessUnits >= 20);
    const grab = await grabHttp(`${b.base}/stream.h264`, (n) => n > 200_000);
    await expectDecodableStart(grab.bytes);
    expect((await status(a)).viewers.total).toBe(1); // b is a's only viewer
  });

  it("chained relays: a stream without timing is timed downstream at the upstream's --fps (it was 30)", async () => {
    const a = await relay({
      kind: 'file',
      path: fixturePath('p02_pi_baseline_vga30_notiming.h264'),
      loop: true,
      fps: 25,
    });
    const b = await relay({ kind: 'url', url: `${a.base}/stream.h264` }, { hls: true });
    await waitFor('b streaming', async () => (await status(b)).source.state === 'streaming');
    const source = (
      await getJson<{ source: { fps: number; fpsSource: string } }>(`${b.base}/status`)
    ).source;
    expect(source).toMatchObject({ fps: 25, fpsSource: 'upstream' });
    // b tells its own viewers (and a relay after it), and its page plays at 25.
    const grab = await grabHttp(`${b.base}/stream.h264`, (n) => n > 1000);
    expect(grab.res.headers['x-relay-fps']).toBe('25');
    const visit = await fetch(`${b.base}/`, { redirect: 'manual' });
    expect(visit.headers.get('location')).toMatch(/&fps=25$/);
    // A page (or player) opening the WebSocket itself hears the rate in the framing announcement.
    const ws = await grabWs(`ws://127.0.0.1:${b.port}/stream`, (n) => n >= 1);
    expect(ws.texts[0]).toBe('{"framing":"access-unit","fps":25}');
    const raw = await grabWs(`ws://127.0.0.1:${b.port}/stream?framing=none`, (n) => n >= 1);
    expect(raw.texts[0]).toBe('{"framing":"none","fps":25}');
    // Its LL-HLS is timed at 25: parts of 8 frames of 1/25 s (at 30: 0.26667).
    await waitFor('HLS segments', async () => (await fetch(`${b.base}/hls/live.m3u8`)).ok);
    const playlist = await (await fetch(`${b.base}/hls/live.m3u8`)).text();
    expect(playlist).toMatch(/#EXT-X-PART:DURATION=0\.32,/);
    expect(b.logs.join('\n')).toMatch(/timed at 25 fps, as the upstream relay is/);
    // A relay with an --fps of its own keeps it.
    const c = await relay({ kind: 'url', url: `${a.base}/stream.h264`, fps: 30 });
    await waitFor('c streaming', async () => (await status(c)).source.state === 'streaming');
    expect(
      (await getJson<{ source: { fps: number; fpsSource: string } }>(`${c.base}/status`)).source,
    ).toMatchObject({ fps: 30, fpsSource: 'option' });
  });

  it('tcp source: drop and recovery, reconnects in /status, viewers resume at a keyframe', async () => {
    // A camera-like TCP server: sends the stream in chunks cut at arbitrary points.
    const camera = await startCamera(fixture(P01), 'random');
    cleanups.push(() => camera.stop());
    const port = camera.port;
    const r = await relay({ kind: 'tcp', host: '127.0.0.1', port });
    await waitFor('streaming', async () => (await status(r)).source.state === 'streaming');
    const ws = grabWs(`ws://127.0.0.1:${r.port}/stream`, () => false);
    const wsClient = ws; // kept open across the drop
    const before = await grabHttp(`${r.base}/stream.h264`, (n) => n > 100_000);
    await expectDecodableStart(before.bytes);

    await camera.stop();
    await waitFor('retrying', async () => {
      const s = await status(r);
      return s.source.state === 'retrying' || s.source.state === 'connecting';
    });
    expect((await status(r)).source.error).toBeTruthy();
    await new Promise((res) => setTimeout(res, 500)); // a few failed attempts
    await camera.restart();
    await waitFor('recovered', async () => {
      const s = await status(r);
      return s.source.state === 'streaming' && s.source.reconnects >= 1;
    });
    const after = await grabHttp(`${r.base}/stream.h264`, (n) => n > 100_000);
    await expectDecodableStart(after.bytes);
    // The WebSocket viewer stayed connected and got whole AUs on both sides of the gap.
    const s = await status(r);
    expect(s.viewers.list.some((v) => v.transport === 'ws' && v.bytesOut > 0)).toBe(true);
    void wsClient;
  });

  it('slow consumer: skipped to keyframes, counted, bounded; the other viewers keep receiving', async () => {
    const maxViewerBuffer = 256 * 1024;
    // High bitrate (38 KB/frame) played 10x fast so loopback buffers fill quickly.
    const r = await relay(
      { kind: 'file', path: fixturePath('p19_high_bitrate_qp10.h264'), loop: true, fps: 300 },
      { maxViewerBuffer },
    );
    await waitFor('streaming', async () => (await status(r)).accessUnits > 2);
    // A client that asks for the stream and never reads.
    const stuck = connect({ host: '127.0.0.1', port: r.port });
    stuck.on('connect', () => {
      stuck.write('GET /stream.h264 HTTP/1.1\r\nHost: x\r\n\r\n');
      stuck.pause();
    });
    stuck.on('error', () => undefined);
    cleanups.push(() => void stuck.destroy());
    // And a WebSocket viewer that never reads.
    const stuckWs = new WebSocket(`ws://127.0.0.1:${r.port}/stream`);
    stuckWs.on('open', () => stuckWs.pause());
    stuckWs.on('error', () => undefined);
    cleanups.push(() => stuckWs.terminate());
    const fast = grabHttp(`${r.base}/stream.h264`, () => false);
    const fastWs = grabWs(`ws://127.0.0.1:${r.port}/stream`, (n) => n >= 600);
    await waitFor('a skip', async () => (await status(r)).skips >= 2, 60_000);
    const s1 = await status(r);
    const gopMax = 1_200_000; // the whole file is one GOP of 1.16 MB
    expect(s1.viewers.maxBuffered).toBeLessThan(maxViewerBuffer + gopMax + 200_000);
    const busiest = s1.viewers.list.filter((v) => v.skips > 0);
    expect(busiest.map((v) => v.transport).sort()).toEqual(['http', 'ws']); // only the stuck clients
    // It stays bounded while the stream goes on.
    const out1 = s1.viewers.list.find((v) => v.skips > 0 && v.transport === 'http')!.bytesOut;
    await waitFor('more AUs', async () => (await status(r)).accessUnits > s1.accessUnits + 120);
    const s2 = await status(r);
    expect(s2.viewers.maxBuffered).toBeLessThan(maxViewerBuffer + gopMax + 200_000);
    expect(
      s2.viewers.list.find((v) => v.skips > 0 && v.transport === 'http')!.bytesOut - out1,
    ).toBeLessThan(maxViewerBuffer + gopMax + 200_000);
    const ws = await fastWs;
    expect(muxCheck(ws.messages, true).warnings).toEqual([]);
    expect(ws.messages.length).toBe(600);
    const fastStatus = (await status(r)).viewers.list.filter(
      (v) => v.transport === 'http' && v.skips === 0,
    );
    expect(fastStatus.length).toBe(1);
    void fast;
  });

  it('bad source: random bytes over tcp -> error state with a clear message, keeps retrying', async () => {
    const junk = new Uint8Array(6 * 1024 * 1024);
    for (let i = 0; i < junk.length; i += 65536) {
      crypto.getRandomValues(junk.subarray(i, i + 65536));
    }
    const server = createServer((s) => {
      s.on('error', () => undefined);
      s.end(junk);
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    cleanups.push(() => new Promise<void>((res) => server.close(() => res())));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const r = await relay({ kind: 'tcp', host: '127.0.0.1', port });
    await waitFor('error state', async () => (await status(r)).source.state === 'error');
    const s = await status(r);
    expect(s.source.error).toMatch(/not a raw H\.264 Annex-B stream/);
    expect(s.accessUnits).toBe(0);
  });

  it('camera unreachable: keeps retrying, /status says so', async () => {
    // A port nobody listens on (bound then released).
    const probe = createServer();
    await new Promise<void>((res) => probe.listen(0, '127.0.0.1', res));
    const address = probe.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await new Promise<void>((res) => probe.close(() => res()));
    const r = await relay({ kind: 'tcp', host: '127.0.0.1', port });
    await waitFor('retries', async () => (await status(r)).source.reconnects >= 2);
    const s = await status(r);
    // Anyone can read /status (CORS *): the camera's address stays out of it.
    expect(s.source.error).toBe(`camera unreachable at tcp://*:${port} (ECONNREFUSED)`);
    expect(r.logs.join('\n')).toContain(`camera unreachable at 127.0.0.1:${port} (ECONNREFUSED)`);
  });

  it('camera down: every viewer stays, is told (WebSocket message, HTTP header) and resumes at a keyframe', async () => {
    // An encoder's writes: whole access units. It stops between two of them, so the last one the relay
    // got is whole (its slices cover the picture) and byte viewers hold no partial frame.
    const camera = await startCamera(fixture(P01), 'access-units');
    cleanups.push(() => camera.stop());
    const r = await relay({ kind: 'tcp', host: '127.0.0.1', port: camera.port });
    await waitFor('streaming', async () => (await status(r)).source.state === 'streaming');
    const http = collectHttp(`${r.base}/stream.h264`);
    const ws = collectWs(`ws://127.0.0.1:${r.port}/stream`);
    cleanups.push(
      () => http.stop(),
      () => ws.stop(),
    );
    await waitFor('frames before the drop', () => http.size() > 100_000 && ws.frames.length > 20);

    await camera.stop();
    const down = {
      upstream: 'down',
      reason: `camera unreachable at tcp://*:${camera.port} (ECONNREFUSED)`,
    };
    await waitFor('viewers told the camera is unreachable', () =>
      ws.texts.includes(JSON.stringify(down)),
    );
    const dropAt = http.size();
    const framesAtDrop = ws.frames.length;
    // The message comes again while the camera stays down: the page sees its connection alive.
    const told = ws.texts.length;
    await waitFor('the notice repeated', () => ws.texts.length > told, 5000);
    // A viewer joining now hears it in the headers, and its response stays open.
    const late = collectHttp(`${r.base}/stream.h264`);
    cleanups.push(() => late.stop());
    await waitFor('late viewer headers', () => late.headers() !== undefined);
    expect(late.headers()?.['x-relay-upstream']).toBe('down');
    expect(decodeURIComponent(String(late.headers()?.['x-relay-upstream-reason']))).toBe(
      down.reason,
    );
    // With a few zero bytes of body at once (leading_zero_8bits): Firefox's fetch() resolves only
    // with body bytes, so its page saw neither these headers nor anything else.
    await waitFor('zero bytes', () => late.size() >= 4);
    expect([...late.bytes().subarray(0, 4)]).toEqual([0, 0, 0, 0]);
    expect(http.ended() || ws.closed() || late.ended()).toBe(false);

    await camera.restart();
    await waitFor('back', () => ws.texts.at(-1) === JSON.stringify({ upstream: 'up' }));
    await waitFor(
      'frames after the drop',
      () =>
        http.size() > dropAt + 100_000 &&
        late.size() > 100_000 &&
        ws.frames.length > framesAtDrop + 20,
    );
    expect(http.ended() || ws.closed() || late.ended()).toBe(false);
    // The HTTP viewer kept its connection: whole frames up to the drop, then SPS/PPS and a keyframe.
    const bytes = http.bytes();
    await expectDecodableStart(bytes.subarray(dropAt));
    expect((await ffmpegDecode(bytes)).errors).toBe('');
    await expectDecodableStart(late.bytes());
    // The WebSocket viewer: whole access units throughout, a keyframe first after the drop.
    expect(muxCheck(ws.frames, true).warnings).toEqual([]);
    expect(completeAus(ws.frames[framesAtDrop]!)[0]?.keyframe ?? true).toBe(true);
  });

  it('camera down: a WebSocket viewer that answers no ping is dropped, one that reads stays', async () => {
    // Before, a viewer that stopped reading (or whose network went away) stayed while the camera was
    // down: nothing but a small notice every 2 s went to it, far below the queue bound.
    const camera = await startCamera(fixture(P01), 'access-units');
    cleanups.push(() => camera.stop());
    const r = await relay(
      { kind: 'tcp', host: '127.0.0.1', port: camera.port },
      {},
      { pingEveryMs: 200 },
    );
    await waitFor('streaming', async () => (await status(r)).source.state === 'streaming');
    await camera.stop();
    await waitFor('camera down', async () => (await status(r)).source.state !== 'streaming');
    const reading = collectWs(`ws://127.0.0.1:${r.port}/stream`);
    cleanups.push(() => reading.stop());
    const stuck = new WebSocket(`ws://127.0.0.1:${r.port}/stream`);
    stuck.on('error', () => undefined);
    cleanups.push(() => stuck.terminate());
    // Its socket stops being read: the pings (and notices) pile up unanswered in the kernel.
    await new Promise<void>((resolve) => stuck.on('open', () => resolve()));
    stuck.pause();
    await waitFor('two viewers', async () => (await status(r)).viewers.total === 2);
    await waitFor('the stuck viewer dropped', async () => (await status(r)).viewers.total === 1);
    expect(r.logs.join('\n')).toMatch(
      /a WebSocket viewer answered no ping for \d+ s: disconnected/,
    );
    // The reading one answers every ping, and stays while the camera is down.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await status(r)).viewers.total).toBe(1);
    expect(reading.closed()).toBe(false);
  });

  for (const name of [P01, 'p06_aud_main_bf2_vga25.h264']) {
    it(`${name} over plain HTTP: a delimiter right after each frame (never two), same pictures, each frame muxed at once`, async () => {
      // A file source proves where each access unit ends; played fast (300 fps) to the end.
      const r = await relay({ kind: 'file', path: fixturePath(name), loop: false, fps: 300 });
      const grab = await grabHttp(`${r.base}/stream.h264`, () => false);
      expect(grab.ended).toBe(true);
      const bytes = grab.bytes;
      const reader = new AccessUnitReader();
      const aus = [...reader.push(bytes), ...reader.flush()];
      expect(aus[0]!.keyframe).toBe(true);
      for (const [i, au] of aus.entries()) {
        const types = firstNalTypes(au.data, 1000);
        // One delimiter, first; every access unit but the first begins with the one sent after the last.
        const own = name === P01 ? 0 : 1; // the first one as the file has it
        expect(types.filter((t) => t === 9).length, `access unit ${i}`).toBe(i === 0 ? own : 1);
        if (types.includes(9)) expect(types[0]).toBe(9);
      }
      // ... and the last one is followed by one too.
      expect(firstNalTypes(bytes.subarray(aus.at(-1)!.offset + aus.at(-1)!.size), 2)).toEqual([9]);
      // ffmpeg sees the same pictures as in the file, from the keyframe the viewer started at.
      const source = await framemd5Of(fixture(name));
      const got = await framemd5Of(bytes);
      const from = source.indexOf(got[0]!);
      expect(from).toBeGreaterThanOrEqual(0);
      expect(got).toEqual(source.slice(from, from + got.length));
      expect(from + got.length).toBe(source.length);
      if (name !== P01) return;
      // The page's transmuxer (live settings) has frame N out once frame N and its delimiter are in.
      const t = new Transmuxer({ fragment: 'frame', lowLatency: true });
      let frames = 0;
      let pushed = 0;
      for (let i = 0; i < aus.length; i++) {
        const next = aus[i + 1];
        const delimiterEnd = next ? next.offset + next.delimiterSize : bytes.length;
        for (const out of t.push(bytes.subarray(pushed, delimiterEnd)))
          if (out.type === 'media') frames += out.frames;
        pushed = delimiterEnd;
        expect(frames, `frame ${i}`).toBe(i + 1);
      }
    });
  }
});
