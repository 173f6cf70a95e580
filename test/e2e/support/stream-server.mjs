// Test server: streams a raw H.264 file in real time (one access unit every 1/fps s) to
//   GET /stream.h264   endless chunked HTTP (no Content-Length), CORS allowed unless cors: false
//   GET /file.h264     the whole file with Content-Length (a finite HTTP source)
//   WS  /stream        binary messages cut anywhere
//   WS  /stream-au     first a text message {"framing":"access-unit"} (src/sources/framing.ts),
//                      then exactly one access unit per binary message
// Access units are found here with an independent splitter (not the code under test).
// `clock: 'shared'` plays one timeline for everyone (a late client joins mid-stream, mid-GOP);
// `clock: 'per-client'` starts every client at frame 0 when it connects (latency bench).
// With `randomChunks`, HTTP writes and WS messages are cut at random byte positions and part of a
// frame may wait for the next tick.
// With `jitterMs`, each frame leaves a random 0..jitterMs ms after it is due (uniform, seeded per
// client), in order: a frame never overtakes the one before it, so a long delay holds back the
// frames due behind it, as a congested link does.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { WebSocketServer } from 'ws';

/** Wall-clock milliseconds with sub-ms precision (same clock as a page's timeOrigin + now()). */
export function nowMs() {
  return performance.timeOrigin + performance.now();
}

/** Small deterministic PRNG (mulberry32). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Splits Annex-B bytes into access units (ITU-T H.264 §7.4.1.2.3): a new AU starts at an AUD, SPS,
 * PPS, SEI or NAL type 14..18 after a VCL NAL, or at a VCL NAL with first_mb_in_slice == 0 (ue(v)
 * '1' bit) after a VCL NAL. Bytes before the first start code go with the first AU.
 * @param {Uint8Array} buf
 * @returns {{ data: Uint8Array, keyframe: boolean }[]}
 */
export function splitAccessUnits(buf) {
  /** @type {{ start: number, header: number }[]} */
  const nals = [];
  for (let i = 0; i + 2 < buf.length; i++) {
    if (buf[i] === 0 && buf[i + 1] === 0 && buf[i + 2] === 1) {
      const start = i > 0 && buf[i - 1] === 0 ? i - 1 : i;
      nals.push({ start, header: i + 3 });
      i += 2;
    }
  }
  const units = [];
  let auStart = 0;
  let seenVcl = false;
  let keyframe = false;
  for (const nal of nals) {
    const type = (buf[nal.header] ?? 0) & 0x1f;
    const vcl = type >= 1 && type <= 5;
    const firstMb = vcl && ((buf[nal.header + 1] ?? 0) & 0x80) !== 0;
    const starter = (!vcl && [6, 7, 8, 9, 14, 15, 16, 17, 18].includes(type)) || firstMb;
    if (seenVcl && starter) {
      units.push({ data: buf.subarray(auStart, nal.start), keyframe });
      auStart = nal.start;
      seenVcl = false;
      keyframe = false;
    }
    if (vcl) seenVcl = true;
    if (type === 5) keyframe = true;
  }
  if (auStart < buf.length) units.push({ data: buf.subarray(auStart), keyframe });
  return units;
}

/**
 * @param {{
 *   file: string | Uint8Array, fps: number, port?: number, loop?: boolean,
 *   clock?: 'shared' | 'per-client', randomChunks?: boolean, seed?: number, cors?: boolean,
 *   jitterMs?: number, lose?: { every: number, frames: number },
 *   onFrameSent?: (client: number, frame: number, timeMs: number, transport: 'http' | 'ws' | 'ws-au', dueMs: number) => void,
 * }} options
 * `lose`: a camera that drops frames while its stream goes on: of every `every` frames, the last
 * `frames` are never sent (each client's frame clock goes on; keyframes after them decode again).
 * `onFrameSent` gets the frame's index in the file, the time its last byte was handed to the socket
 * and the time it was due on the frame clock (before any jitter).
 */
export async function startStreamServer(options) {
  const bytes =
    typeof options.file === 'string' ? new Uint8Array(readFileSync(options.file)) : options.file;
  const units = splitAccessUnits(bytes);
  const fps = options.fps;
  const loop = options.loop ?? true;
  const clock = options.clock ?? 'shared';
  const random = prng(options.seed ?? 1);
  const cors = options.cors ?? true;
  const jitterMs = options.jitterMs ?? 0;
  const t0 = nowMs();
  let nextClientId = 1;
  /** @type {Set<Client>} */
  const clients = new Set();
  let port = options.port ?? 0;
  /** @type {import('node:http').Server | undefined} */
  let server;
  /** @type {WebSocketServer | undefined} */
  let wss;
  let timer;
  let connections = 0;

  /**
   * @typedef {{ id: number, transport: 'http' | 'ws' | 'ws-au', frame: number, start: number,
   *   pending: Uint8Array[], write: (b: Uint8Array) => void, end: () => void, closed: boolean,
   *   jitter: () => number, sendAt: number | undefined,
   *   jitterTimer: ReturnType<typeof setTimeout> | undefined }} Client
   */

  function sharedFrame() {
    return Math.floor(((nowMs() - t0) * fps) / 1000);
  }

  /** @param {Client} c */
  function tickClient(c) {
    const origin = clock === 'shared' ? t0 : c.start;
    const due = Math.floor(((nowMs() - origin) * fps) / 1000);
    while (!c.closed && c.frame <= due) {
      const index = loop ? c.frame % units.length : c.frame;
      if (index >= units.length) {
        c.end();
        return;
      }
      const lose = options.lose;
      if (lose && c.frame % lose.every >= lose.every - lose.frames) {
        c.frame++;
        continue;
      }
      const dueMs = origin + (c.frame * 1000) / fps;
      if (jitterMs > 0) {
        c.sendAt ??= dueMs + c.jitter() * jitterMs;
        const wait = c.sendAt - nowMs();
        if (wait > 0) {
          if (c.jitterTimer === undefined)
            c.jitterTimer = setTimeout(() => {
              c.jitterTimer = undefined;
              tickClient(c);
            }, wait);
          return;
        }
        c.sendAt = undefined;
      }
      const unit = /** @type {{ data: Uint8Array }} */ (units[index]).data;
      c.frame++;
      if (c.transport === 'ws-au' || !options.randomChunks) {
        c.write(unit);
      } else {
        c.pending.push(unit);
        const all = Buffer.concat(c.pending);
        // Send a random prefix (often all of it), cut in 1..3 random pieces; keep the rest for later.
        const keep = random() < 0.5 ? 0 : Math.floor(random() * Math.min(all.length, 2000));
        const sendLen = all.length - keep;
        let pos = 0;
        const pieces = 1 + Math.floor(random() * 3);
        for (let p = 1; p <= pieces && pos < sendLen; p++) {
          const end = p === pieces ? sendLen : pos + Math.floor(random() * (sendLen - pos));
          if (end > pos) c.write(all.subarray(pos, end));
          pos = Math.max(pos, end);
        }
        c.pending = keep > 0 ? [all.subarray(sendLen)] : [];
      }
      options.onFrameSent?.(c.id, index, nowMs(), c.transport, dueMs);
    }
  }

  function schedule() {
    // A tick per frame, aligned with the frame clock (no drift: due frames are computed from time).
    const period = 1000 / fps;
    const run = () => {
      for (const c of clients) tickClient(c);
      const elapsed = nowMs() - t0;
      timer = setTimeout(run, Math.max(0, period - (elapsed % period)) + 0.5);
    };
    run();
  }

  /** @param {Client} c */
  function drop(c) {
    c.closed = true;
    clearTimeout(c.jitterTimer);
    clients.delete(c);
  }

  /** @param {Pick<Client, 'transport' | 'write' | 'end'>} c */
  function addClient(c) {
    connections++;
    const id = nextClientId++;
    /** @type {Client} */
    const client = {
      ...c,
      id,
      frame: clock === 'shared' ? sharedFrame() : 0,
      start: nowMs(),
      pending: [],
      closed: false,
      jitter: prng((options.seed ?? 1) * 7919 + id),
      sendAt: undefined,
      jitterTimer: undefined,
    };
    clients.add(client);
    // After the caller holds `client`: a stream already over (a shared clock past the end of a file
    // that does not loop) ends it in this first tick, and its `end` refers to it.
    queueMicrotask(() => tickClient(client));
    return client;
  }

  async function start() {
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const headers = cors ? { 'access-control-allow-origin': '*' } : {};
      if (path === '/file.h264') {
        res.writeHead(200, {
          ...headers,
          'content-type': 'video/h264',
          'content-length': bytes.length,
        });
        res.end(bytes);
        return;
      }
      if (path !== '/stream.h264') {
        res.writeHead(404, headers).end();
        return;
      }
      req.socket.setNoDelay(true);
      res.writeHead(200, { ...headers, 'content-type': 'video/h264', 'cache-control': 'no-store' });
      res.flushHeaders();
      const client = addClient({
        transport: 'http',
        write: (b) => res.write(b),
        end: () => {
          drop(client);
          res.end();
        },
      });
      res.on('close', () => drop(client));
    });
    wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path !== '/stream' && path !== '/stream-au') {
        socket.destroy();
        return;
      }
      wss?.handleUpgrade(req, socket, head, (ws) => {
        /** @type {any} */ (ws)._socket?.setNoDelay?.(true);
        const framed = path === '/stream-au';
        if (framed) ws.send(JSON.stringify({ framing: 'access-unit' }));
        const client = addClient({
          transport: framed ? 'ws-au' : 'ws',
          write: (b) => ws.send(b),
          end: () => {
            drop(client);
            ws.close(1000, 'end of stream');
          },
        });
        ws.on('close', () => drop(client));
      });
    });
    await new Promise((resolve) =>
      /** @type {import('node:http').Server} */ (server).listen(port, '127.0.0.1', () =>
        resolve(undefined),
      ),
    );
    const address = server.address();
    port = typeof address === 'object' && address ? address.port : port;
    if (timer === undefined) schedule();
  }

  /** Kills every connection and stops listening (a crashed server). */
  async function stop() {
    for (const c of clients) drop(c);
    for (const ws of wss?.clients ?? []) ws.terminate();
    const s = server;
    server = undefined;
    if (s) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(() => resolve(undefined)));
    }
  }

  await start();
  return {
    get port() {
      return port;
    },
    get httpUrl() {
      return `http://127.0.0.1:${port}/stream.h264`;
    },
    get fileUrl() {
      return `http://127.0.0.1:${port}/file.h264`;
    },
    get wsUrl() {
      return `ws://127.0.0.1:${port}/stream`;
    },
    get wsFramedUrl() {
      return `ws://127.0.0.1:${port}/stream-au`;
    },
    /** Access units of the file (independent splitter). */
    units,
    /** Connections accepted so far (HTTP streams + WebSockets). */
    get connections() {
      return connections;
    },
    /** Frame index the shared clock is at. */
    currentFrame: sharedFrame,
    stop,
    /** Listens again on the same port. */
    restart: start,
    async close() {
      clearTimeout(timer);
      timer = undefined;
      await stop();
    },
  };
}
