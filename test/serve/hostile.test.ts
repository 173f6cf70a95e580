// The relay against what a web page, a LAN host or a misconfigured source can do to it (issue 13):
// WebSocket uploads and foreign origins, what /status tells anyone, credentials in --url, methods.
import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Relay } from '../../src/cli/serve/relay.js';
import { receiptMessage, receiptRequest } from '../../src/sources/relay-protocol.js';
import {
  completeAus,
  ffmpegDecode,
  fixture,
  fixturePath,
  getJson,
  grabHttp,
  startRelay,
  waitFor,
  type TestRelay,
} from './helpers.js';

const P01 = 'p01_pi_baseline_vga30_inline.h264';

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

interface Status {
  source: { kind: string; target: string; state: string; error: string | null };
  viewers: { total: number };
  accessUnits: number;
}
const status = (r: TestRelay): Promise<Status> => getJson<Status>(`${r.base}/status`);

/** Opens a WebSocket; resolves with how the handshake went and the socket. */
function openWs(
  url: string,
  origin?: string,
): Promise<{ status: number; ws: WebSocket | undefined }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, origin !== undefined ? { origin } : {});
    ws.on('open', () => resolve({ status: 101, ws }));
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, ws: undefined });
      res.resume();
    });
    ws.on('error', () => resolve({ status: 0, ws: undefined }));
  });
}

/**
 * A WebSocket from a page on `origin`: the close the server sent and how many messages came first (a
 * handshake answered otherwise: code 0, the reason its HTTP status).
 */
function refused(
  url: string,
  origin: string,
): Promise<{ code: number; reason: string; messages: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { origin });
    let messages = 0;
    ws.on('message', () => messages++);
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), messages }));
    ws.on('unexpected-response', (_req, res) => {
      resolve({ code: 0, reason: `HTTP ${res.statusCode}`, messages: 0 });
      res.resume();
    });
    ws.on('error', () => undefined);
  });
}

/** Resolves with the close code the server sent. */
function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.on('close', (code) => resolve(code)));
}

/** A request with any method; resolves with the status and headers (the body is read and dropped). */
function call(
  base: string,
  path: string,
  method: string,
): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A raw H.264 HTTP server behind Basic authentication: the whole fixture, then the response stays open. */
async function protectedStream(user: string, password: string): Promise<{ port: number }> {
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const data = fixture(P01);
  const server: Server = createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="camera"' }).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'video/h264' });
    res.write(data);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0 };
}

/** Sends raw request bytes; resolves with what the server answered before it closed (or 2 s passed). */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(done, 2000);
    socket.on('close', done);
    socket.on('error', done);
  });
}

describe('request targets a URL parser rejects', () => {
  it('an upgrade to such a target fails alone; the relay serves on (one took it down)', async () => {
    const r = await relay({ kind: 'file', path: fixturePath(P01), loop: true });
    for (const target of ['//[', 'http://[', '//a:99999/stream', '//a%/stream', '//:@/']) {
      const answer = await rawRequest(
        r.port,
        `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
      expect(answer, target).not.toMatch(/^HTTP\/1\.1 101/);
    }
    expect((await status(r)).source.state).toBe('streaming');
    // The query is still read: framing=none gives a byte viewer (no framing announcement).
    const viewer = await openWs(`ws://127.0.0.1:${r.port}/stream?framing=none`);
    const texts: string[] = [];
    let bytes = 0;
    viewer.ws!.on('message', (d, binary) => {
      if (binary) bytes += (d as Buffer).length;
      else texts.push((d as Buffer).toString());
    });
    await waitFor('bytes', () => bytes > 10_000);
    expect(texts.some((t) => t.includes('framing'))).toBe(false);
    viewer.ws!.terminate();
  });
});

describe('clients that never finish their request', () => {
  it('are closed when the request timeout passes; a stream viewer is not', async () => {
    const r = await relay(
      { kind: 'file', path: fixturePath(P01), loop: true },
      {},
      { requestTimeoutMs: 600 },
    );
    const viewer = grabHttp(`${r.base}/stream.h264`, () => false);
    // Slowloris: a request line, then a header byte every 100 ms, never the blank line.
    const slow = Array.from({ length: 20 }, () => {
      const socket = connect(r.port, '127.0.0.1', () =>
        socket.write('GET / HTTP/1.1\r\nHost: x\r\n'),
      );
      const drip = setInterval(() => socket.writable && socket.write('X'), 100);
      return new Promise<string>((resolve) => {
        let answer = '';
        socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
        socket.on('error', () => undefined);
        socket.on('close', () => {
          clearInterval(drip);
          resolve(answer);
        });
      });
    });
    const answers = await Promise.all(slow);
    for (const a of answers) expect(a).toMatch(/^HTTP\/1\.1 408/);
    // The viewer's request was whole: its endless response goes on past the timeout.
    const before = (await status(r)).viewers.total;
    expect(before).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await status(r)).viewers.total).toBe(1);
    void viewer;
  });
});

describe('WebSocket: viewers receive, they do not send', () => {
  it('a big message is refused from its header (1009), any message closes (1008); others play on', async () => {
    const r = await relay({ kind: 'file', path: fixturePath(P01), loop: true });
    const url = `ws://127.0.0.1:${r.port}/stream`;
    const viewer = await openWs(url);
    let frames = 0;
    viewer.ws!.on('message', (_d, binary) => void (binary && frames++));

    // 2 MB: ws's default maxPayload (100 MiB) would take it (and 90 MB ones, 4 of which took a
    // relay from 59 to 585 MB RSS).
    const uploader = await openWs(url);
    const uploaderClosed = closed(uploader.ws!);
    uploader.ws!.send(new Uint8Array(2 * 1024 * 1024));
    expect(await uploaderClosed).toBe(1009);

    const chatty = await openWs(url);
    const chattyClosed = closed(chatty.ws!);
    chatty.ws!.send('hello');
    expect(await chattyClosed).toBe(1008);

    const before = frames;
    await waitFor('the viewer plays on', () => frames > before + 10);
    expect(viewer.ws!.readyState).toBe(WebSocket.OPEN);
    viewer.ws!.terminate();
  });

  it('receipts are the one message a viewer may send; a flood of them, or a binary one, closes (1008)', async () => {
    const r = await relay({ kind: 'file', path: fixturePath(P01), loop: true });
    const url = `ws://127.0.0.1:${r.port}/stream`;
    const asked: string[] = [];
    let received = 0;
    const ws = new WebSocket(url);
    ws.on('message', (d: Buffer, binary) => {
      if (!binary) asked.push(d.toString());
      else received += d.length;
    });
    const polite = { ws };
    await new Promise((resolve) => ws.once('open', resolve));
    const receipts = setInterval(() => polite.ws.send(receiptMessage(received)), 250);
    cleanups.push(() => clearInterval(receipts));
    await waitFor('receipts taken', async () => {
      const s = await getJson<{ viewers: { list: { lagMs: number }[] } }>(`${r.base}/status`);
      return received > 100_000 && s.viewers.list.length === 1;
    });
    expect(asked).toContain(receiptRequest());
    expect(polite.ws.readyState).toBe(WebSocket.OPEN);

    const flood = await openWs(url);
    const floodClosed = closed(flood.ws!);
    for (let i = 0; i < 200; i++) flood.ws!.send(receiptMessage(i));
    expect(await floodClosed).toBe(1008);

    const binary = await openWs(url);
    const binaryClosed = closed(binary.ws!);
    binary.ws!.send(Buffer.from(receiptMessage(1)));
    expect(await binaryClosed).toBe(1008);
    expect(polite.ws.readyState).toBe(WebSocket.OPEN);
    polite.ws.terminate();
  });

  it('pages on other origins need --allow-origin; the own page and non-browsers always may', async () => {
    const r = await relay({ kind: 'file', path: fixturePath(P01), loop: true });
    const url = `ws://127.0.0.1:${r.port}/stream`;
    const own = `http://127.0.0.1:${r.port}`;
    for (const origin of [undefined, own]) {
      const { status, ws } = await openWs(url, origin);
      ws?.terminate();
      expect(status, origin).toBe(101);
    }
    // Refused: the handshake is taken and closed at once with 4403 and why, before any media (a
    // browser tells a page nothing of a handshake answered 403); the terminal names the flag, once a
    // minute for each origin.
    expect(await refused(url, 'http://evil.example')).toEqual({
      code: 4403,
      reason:
        'pages on other origins may open this stream only with --allow-origin http://evil.example',
      messages: 0,
    });
    expect(await refused(url, 'null')).toEqual({
      code: 4403,
      reason: "pages on other origins may open this stream only with --allow-origin '*'",
      messages: 0,
    });
    const long = `http://${'x'.repeat(100)}.example`;
    expect((await refused(url, long)).reason).toBe(
      'pages on other origins may open this stream only with --allow-origin',
    );
    expect((await refused(url, 'http://evil.example')).code).toBe(4403);
    const told = r.logs.filter((l) => l.includes('refused the WebSocket stream'));
    expect(told).toEqual([
      'relay: refused the WebSocket stream to a page on another origin, "http://evil.example": to let it play, restart with --allow-origin http://evil.example',
      `relay: refused the WebSocket stream to a page on another origin, "null": to let it play, restart with --allow-origin '*'`,
      `relay: refused the WebSocket stream to a page on another origin, "${long}": to let it play, restart with --allow-origin ${long}`,
    ]);
    expect((await status(r)).viewers.total).toBe(0);

    const listed = await relay(
      { kind: 'file', path: fixturePath(P01), loop: true },
      { allowOrigin: ['http://app.example:8000'] },
    );
    const listedUrl = `ws://127.0.0.1:${listed.port}/stream`;
    const app = await openWs(listedUrl, 'http://app.example:8000');
    app.ws?.terminate();
    expect(app.status).toBe(101);
    expect((await refused(listedUrl, 'http://evil.example')).code).toBe(4403);

    const open = await relay(
      { kind: 'file', path: fixturePath(P01), loop: true },
      { allowOrigin: '*' },
    );
    const any = await openWs(`ws://127.0.0.1:${open.port}/stream`, 'http://evil.example');
    any.ws?.terminate();
    expect(any.status).toBe(101);
  });
});

describe('/status shows the kind of source, not where it is or how to open it', () => {
  it('--file: the file name, not its directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'h264mux-secret-dir-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'camera.h264');
    await copyFile(fixturePath(P01), path);
    const r = await relay({ kind: 'file', path, loop: true });
    const text = await (await fetch(`${r.base}/status`)).text();
    expect(text).not.toContain(dir);
    expect((JSON.parse(text) as Status).source).toMatchObject({
      kind: 'file',
      target: 'camera.h264',
    });
  });

  it('--url with user:password@ and a query token: sent as Basic auth, shown as scheme and path only', async () => {
    const password = 'Pa:ss wörd-XYZZY';
    const { port } = await protectedStream('camuser', password);
    const url = `http://camuser:${encodeURIComponent(password)}@127.0.0.1:${port}/live/stream.h264?token=SECRET-TOKEN`;
    const r = await relay({ kind: 'url', url });
    await waitFor('streaming', async () => (await status(r)).source.state === 'streaming');
    const text = await (await fetch(`${r.base}/status`)).text();
    for (const secret of ['camuser', 'XYZZY', 'SECRET-TOKEN', `:${port}`, '127.0.0.1'])
      expect(text, secret).not.toContain(secret);
    expect((JSON.parse(text) as Status).source).toMatchObject({
      kind: 'url',
      target: 'http://*/live/stream.h264',
    });
    // The stream behind the password reaches viewers.
    await waitFor('a GOP', async () => (await status(r)).accessUnits >= 60);
    const grab = await grabHttp(`${r.base}/stream.h264`, (n) => n > 100_000);
    expect(completeAus(grab.bytes)[0]?.keyframe).toBe(true);
    expect((await ffmpegDecode(grab.bytes)).errors).toBe('');
  });

  it('--url with a wrong password: says to check it, and where it does not show the address', async () => {
    const { port } = await protectedStream('camuser', 'right');
    const r = await relay({ kind: 'url', url: `http://camuser:wrong@127.0.0.1:${port}/s.h264` });
    await waitFor('an error', async () => (await status(r)).source.error !== null);
    const s = await status(r);
    expect(s.source.error).toBe(
      'upstream answered HTTP 401 Unauthorized: check the user and password in --url',
    );
    expect(r.logs.join('\n')).toContain(`http://camuser:***@127.0.0.1:${port}/s.h264 answered`);
    expect(r.logs.join('\n')).not.toContain('wrong');
  });
});

describe('methods', () => {
  it('405 with Allow for what is not GET/HEAD on the read-only endpoints; OPTIONS answers CORS', async () => {
    const r = await relay({ kind: 'file', path: fixturePath(P01), loop: true });
    for (const path of ['/status', '/config.json', '/stream.h264']) {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        const res = await call(r.base, path, method);
        expect(res.status, `${method} ${path}`).toBe(405);
        expect(res.headers['allow']).toBe('GET, HEAD, OPTIONS');
      }
      const pre = await call(r.base, path, 'OPTIONS');
      expect(pre.status).toBe(204);
      expect(pre.headers['access-control-allow-methods']).toBe('GET, HEAD, OPTIONS');
      expect((await call(r.base, path, 'HEAD')).status).toBe(200);
    }
    // None of them started a viewer.
    expect((await status(r)).viewers.total).toBe(0);
  });
});

describe('a frame with no end', () => {
  // (The core's reader still holds such a unit whole until the core caps NAL units: issue 13 item 1.)
  it('the relay holds at most a GOP-cache bound of it, passes on no more than a picture can hold, and viewers wait for a keyframe', () => {
    const relay = new Relay({ maxGopBytes: 4 * 1024 * 1024 });
    const viewer = (): { got: () => number } => {
      let got = 0;
      relay.addViewer({
        mode: 'bytes',
        transport: 'http',
        buffered: () => 0,
        writeBytes: (data) => void (got += data.length),
        close: () => undefined,
      });
      return { got: () => got };
    };
    const early = viewer();
    const data = fixture(P01);
    relay.push(data.subarray(0, 200_000));
    // A new slice (first_mb_in_slice 0) that never ends: 40 MB without another start code.
    relay.push(Uint8Array.of(0, 0, 0, 1, 0x41, 0x9a));
    const filler = new Uint8Array(65536).fill(0xff);
    for (let i = 0; i < 640; i++) relay.push(filler);
    const stats = relay.stats();
    expect(stats.heldBytes).toBeLessThan(4 * 1024 * 1024 + 2 * 65536);
    // The live viewer got it as it came (all 40 MB), up to what a 640x480 picture can hold (every
    // macroblock uncompressed: about 1.6 MB); then it waits.
    expect(early.got()).toBeGreaterThan(200_000);
    expect(early.got()).toBeLessThan(200_000 + 1.6e6 + 65536);
    const late = viewer();
    expect(late.got()).toBe(0); // no cache to start from: waits for the next keyframe
    const before = early.got();
    relay.push(data);
    // Both start again at the next keyframe.
    expect(early.got()).toBeGreaterThan(before + 100_000);
    expect(late.got()).toBeGreaterThan(100_000);
  });
});
