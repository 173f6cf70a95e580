import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createSecureContext, type TLSSocket } from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { ORIGIN_REFUSED_CODE, UPSTREAM_REPEAT_MS } from '../../sources/relay-protocol.js';
import { describeSystemError, isSystemError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { HlsHttp, HLS_PATH, PLAYLIST_PATH } from './hls/http.js';
import { HlsPackager } from './hls/packager.js';
import type { AllowOrigin, ServeOptions } from './options.js';
import { givenRate, RATE_CHECK_MS, RateCheck, SteadyRate } from '../rate-check.js';
import { Relay } from './relay.js';
import { fanOut, SourceRunner, type SourceOptions } from './sources.js';
import { Heartbeat } from './heartbeat.js';
import { ERROR_HEADERS, StaticFiles } from './static.js';
import { requestTimeouts, tlsFront } from './tls-front.js';
import {
  certificateDir,
  machineNames,
  selfSignedCertificate,
  type CertificateFiles,
} from './self-signed.js';
import { END_OF_STREAM, HttpViewer, streamHeaders, WsViewer } from './viewers.js';

export interface ServeIo extends SourceOptions {
  log(message: string): void;
  /** Where `--tls` keeps its self-signed certificate (tests); default ./self-signed.ts certificateDir. */
  readonly certificateDir?: string;
  /** A client must have sent its whole request (headers; requests here have no body) by then (ms). */
  readonly requestTimeoutMs?: number;
  /** WebSocket viewers are pinged this often (ms; ./heartbeat.ts). */
  readonly pingEveryMs?: number;
}

/**
 * A request's headers within 10 s, checked every second: Node's defaults (60 s, checked every 30 s)
 * let 1000 sockets dribbling header bytes hold every file descriptor of a process with the usual
 * limit of 1024 for 90 s, and no viewer could connect. Clients here send a request line and a few
 * headers at once.
 */
const REQUEST_TIMEOUT_MS = 10_000;

export interface ServeHandle {
  readonly port: number;
  readonly host: string;
  readonly relay: Relay;
  readonly source: SourceRunner;
  /** Resolves with the exit code when the source ends (0) or fails for good (1). */
  readonly finished: Promise<number>;
  status(): Record<string, unknown>;
  /** URLs a person can open (LAN addresses + localhost). */
  urls(): string[];
  close(): Promise<void>;
}

/** The built web app: dist/ of the package, wherever this file runs from (source, tsc output or bundle). */
export function defaultStaticDir(): string {
  return join(packageRoot(), 'dist');
}

/** The relay cannot start, for a reason its operator can fix (said in the message). */
export class ServeStartError extends Error {}
export class PortInUseError extends ServeStartError {}
/** A --tls-cert or --tls-key file that cannot be read or used. */
export class TlsFileError extends ServeStartError {}

/**
 * Largest message a viewer may send (bytes). Viewers send receipts only (src/sources/relay-protocol.ts):
 * any other message closes the connection, and a bigger one is refused from its frame header before it
 * is read (ws closes with 1009).
 */
export const MAX_VIEWER_MESSAGE = 64;

/** Endpoints that only read: GET and HEAD (and OPTIONS, the CORS preflight) are allowed. */
const READ_ONLY = new Set(['/stream.h264', '/status', '/config.json']);
const READ_METHODS = 'GET, HEAD, OPTIONS';

/**
 * Whether a WebSocket handshake with this `Origin` may connect (RFC 6455 §10.2: a server that only
 * serves certain pages checks Origin). A page on another origin needs `--allow-origin`; the relay's own
 * page (same host) and clients that send no Origin (not browsers: the check guards against web pages)
 * may always connect.
 */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allow: AllowOrigin,
): boolean {
  if (origin === undefined || allow === '*') return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" (a sandboxed or file page) and anything malformed
  }
  if (host !== undefined && url.host === host.toLowerCase()) return true;
  return allow.includes(url.origin);
}

export { ORIGIN_REFUSED_CODE };

/** A refused page's origin is told on the terminal once in this long (ms). */
export const ORIGIN_LOG_EVERY_MS = 60_000;

/**
 * The flag that lets a page on `origin` play: the origin itself when it is http(s), else '*' (`null`:
 * a file or sandboxed page, which --allow-origin cannot name).
 */
function allowFlag(origin: string): string {
  try {
    const url = new URL(origin);
    if (url.protocol === 'http:' || url.protocol === 'https:')
      return `--allow-origin ${url.origin}`;
  } catch {
    // Not a URL: only '*' lets it in.
  }
  return "--allow-origin '*'";
}

/** The close reason for a page on `origin`: the flag that lets it play, when it fits (123 bytes, §5.5). */
export function originRefusal(origin: string): string {
  const generic = 'pages on other origins may open this stream only with --allow-origin';
  const named = `${generic.slice(0, -'--allow-origin'.length)}${allowFlag(origin)}`;
  return Buffer.byteLength(named) <= 123 ? named : generic;
}

/**
 * Whether `key` is to be told now: not told in the last `everyMs`. At most `max` keys are held (a
 * client inventing origins gets no more lines, and no more memory).
 */
class OncePerKey {
  private readonly told = new Map<string, number>();

  constructor(
    private readonly everyMs: number,
    private readonly max = 100,
  ) {}

  first(key: string, now = performance.now()): boolean {
    // Oldest first (a key is set again only once forgotten).
    for (const [k, at] of this.told) {
      if (now - at < this.everyMs) break;
      this.told.delete(k);
    }
    if (this.told.has(key) || this.told.size >= this.max) return false;
    this.told.set(key, now);
    return true;
  }
}

/** Starts the relay: listens, then starts the source. */
export async function startServe(options: ServeOptions, io: ServeIo): Promise<ServeHandle> {
  const started = Date.now();
  const tls = options.tls ? readTls(tlsFiles(options.tls, io)) : undefined;
  const relay = new Relay({
    gopCache: options.gopCache,
    ...(options.maxViewerBuffer !== undefined ? { maxViewerBuffer: options.maxViewerBuffer } : {}),
    log: (message) => io.log(`relay: ${message}`),
  });
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  const allowOrigin = options.allowOrigin ?? [];
  const hls = options.hls
    ? new HlsPackager({
        log: (message) => io.log(message),
        ...(options.source.fps !== undefined ? { fps: options.source.fps } : {}),
      })
    : undefined;
  const hlsHttp = hls ? new HlsHttp(hls.segmenter) : undefined;
  const source: SourceRunner = new SourceRunner(
    options.source,
    hls ? fanOut(relay, hls) : relay,
    {
      log: (message) => io.log(message),
      fatal: (message) => {
        io.log(`error: ${message}`);
        finish(1);
      },
      ended: () => {
        relay.closeAll(END_OF_STREAM);
        finish(0);
      },
      changed: () => relay.setUpstream(source.upstreamNotice()),
      timedAt: (fps) => hls?.timeAt(fps),
    },
    io,
  );
  relay.setUpstream(source.upstreamNotice());
  /** The rate the stream is timed by when someone chose it (--fps here or upstream), for viewers. */
  const timedFps = (): number | undefined =>
    givenRate(source.status) ? source.status.fps : undefined;
  // While the source is down, viewers hear it again now and then (and see the connection is alive).
  const repeat = setInterval(() => {
    if (relay.upstreamNotice.upstream === 'down') relay.notifyAll();
  }, UPSTREAM_REPEAT_MS);
  repeat.unref();
  // A camera off the rate the stream is timed by: what --fps to pass (./rate-check.ts).
  // And the source's rate for WebSocket viewers, once two checks in a row agree (steady).
  const rates = new RateCheck();
  const steady = new SteadyRate();
  const rateTimer = setInterval(() => {
    if (source.status.state !== 'streaming') {
      steady.reset();
      return;
    }
    const fps = relay.arrivalFps();
    const advice = rates.check(fps, source.status);
    if (advice) io.log(`relay: ${advice}`);
    const told = steady.check(fps);
    if (told !== undefined) relay.tellSourceFps(told);
  }, RATE_CHECK_MS);
  rateTimer.unref();
  const staticDir = options.staticDir ?? defaultStaticDir();
  const files = new StaticFiles(staticDir);

  const status = (): Record<string, unknown> => {
    const mem = process.memoryUsage();
    return {
      uptime: Math.round((Date.now() - started) / 100) / 10,
      source: { ...source.status, error: source.status.error ?? null },
      // What viewers are told: a source that keeps its connection and sends nothing is down to them
      // while its state is still 'streaming'.
      upstream: relay.upstreamNotice,
      ...relay.stats(),
      ...(hls && hlsHttp ? { hls: { ...hls.stats(), requests: hlsHttp.requests } } : {}),
      process: {
        pid: process.pid,
        rss: mem.rss,
        heapUsed: mem.heapUsed,
        arrayBuffers: mem.arrayBuffers,
        cpu: process.cpuUsage(),
      },
    };
  };

  const wsUrl = (req: IncomingMessage): string => {
    const secure =
      req.headers['x-forwarded-proto'] === 'https' || (req.socket as TLSSocket).encrypted === true;
    return `${secure ? 'wss' : 'ws'}://${req.headers.host ?? 'localhost'}${forwardedPrefix(req)}/stream`;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const { pathname, query } = splitTarget(req.url);
    if (req.method === 'OPTIONS') {
      res
        .writeHead(204, {
          'Access-Control-Allow-Origin': '*',
          'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
          'Access-Control-Allow-Headers': '*',
          'Access-Control-Max-Age': '86400',
        })
        .end();
      return;
    }
    if (READ_ONLY.has(pathname) && req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { ...ERROR_HEADERS, Allow: READ_METHODS })
        .end(`${pathname} only answers ${READ_METHODS}\n`);
      return;
    }
    if (pathname === '/stream.h264') {
      if (req.method === 'HEAD') {
        res.writeHead(200, streamHeaders(relay.upstreamNotice, relay.sourceFps, timedFps())).end();
        return;
      }
      const remove = relay.addViewer(
        new HttpViewer(res, relay.upstreamNotice, relay.sourceFps, timedFps()),
      );
      res.on('close', remove);
      return;
    }
    if (hlsHttp && pathname.startsWith(HLS_PATH)) {
      hlsHttp.handle(req, res, pathname, query ?? '');
      return;
    }
    if (pathname === '/status') {
      res.writeHead(200, {
        'Content-Type': 'application/json; charset=utf-8',
        'Cache-Control': 'no-cache',
        'Access-Control-Allow-Origin': '*',
      });
      res.end(JSON.stringify(status(), null, 2) + '\n');
      return;
    }
    if (pathname === '/config.json') {
      res.writeHead(200, {
        'Content-Type': 'application/json; charset=utf-8',
        'Cache-Control': 'no-cache',
      });
      const prefix = forwardedPrefix(req);
      res.end(
        JSON.stringify({
          defaultSrc: wsUrl(req),
          streams: {
            ws: wsUrl(req),
            http: `${prefix}/stream.h264`,
            ...(hls ? { hls: `${prefix}${PLAYLIST_PATH}` } : {}),
          },
        }) + '\n',
      );
      return;
    }
    const params = new URLSearchParams(query ?? '');
    if (
      (pathname === '/' || pathname === '/index.html') &&
      !params.has('src') &&
      req.method === 'GET'
    ) {
      // The page plays what ?src= names: send a visit without one to the live stream (one access unit
      // per WebSocket message, the lowest-latency path), keeping its other settings (/?renderer=mse
      // opened an idle page). --fps (or an upstream relay's): the page times the stream by it too,
      // unless the visit says its own.
      const given = timedFps();
      const kept = params.toString();
      const fps = given === undefined || params.has('fps') ? '' : `&fps=${given}`;
      res.writeHead(302, {
        Location: `${forwardedPrefix(req)}/?src=${encodeURIComponent(wsUrl(req))}${fps}${kept ? `&${kept}` : ''}`,
        'Cache-Control': 'no-cache',
      });
      res.end();
      return;
    }
    if (!existsSync(staticDir)) {
      res.writeHead(404, ERROR_HEADERS);
      res.end(
        `The web app is not built (${staticDir} is missing): run "npm run build". The stream is at /stream.h264.\n`,
      );
      return;
    }
    void files.handle(req, res, pathname).catch(() => res.destroy());
  };
  const requestTimeoutMs = io.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const server: Server = listener(
    tls,
    requestTimeoutMs,
    (req: IncomingMessage, res: ServerResponse) => {
      try {
        handle(req, res);
      } catch (e) {
        // Whatever a client sends, one request fails, never the relay.
        io.log(
          `relay: a request for ${JSON.stringify(req.url?.slice(0, 200))} failed: ${(e as Error).message}`,
        );
        if (res.headersSent) res.destroy();
        else res.writeHead(500, ERROR_HEADERS).end('internal error\n');
      }
    },
  );

  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: MAX_VIEWER_MESSAGE,
  });
  const pings = new Heartbeat(
    (_ws, silentMs) =>
      io.log(
        `relay: a WebSocket viewer answered no ping for ${Math.round(silentMs / 1000)} s: disconnected`,
      ),
    io.pingEveryMs,
  );
  // With TLS, plain http on the same port is sent to https (./tls-front.ts).
  const front = tls ? tlsFront(server, requestTimeoutMs) : server;
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    try {
      upgrade(req, socket, head);
    } catch (e) {
      // Whatever a client sends, one connection fails, never the relay.
      io.log(`relay: a WebSocket upgrade failed: ${(e as Error).message}`);
      socket.destroy();
    }
  });
  const refusedOrigins = new OncePerKey(ORIGIN_LOG_EVERY_MS);
  const upgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    const { pathname, query } = splitTarget(req.url);
    if (pathname !== '/stream') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin, req.headers.host, allowOrigin)) {
      // Accepted and closed at once, no media (ORIGIN_REFUSED_CODE); the operator hears of it.
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', () => ws.terminate());
        ws.close(ORIGIN_REFUSED_CODE, originRefusal(origin));
      });
      // Clipped: a header may be 16 KB.
      const long = origin.length > 200;
      const shown = JSON.stringify(long ? `${origin.slice(0, 200)}…` : origin);
      if (refusedOrigins.first(shown))
        io.log(
          `relay: refused the WebSocket stream to a page on another origin, ${shown}: to let it play, restart with ${long ? '--allow-origin and that origin' : allowFlag(origin)}`,
        );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      socket.setNoDelay(true);
      const framing = new URLSearchParams(query).get('framing');
      const mode = framing === 'none' || framing === 'bytes' ? 'bytes' : 'au';
      const viewer = new WsViewer(ws, mode, relay.upstreamNotice, timedFps());
      const remove = relay.addViewer(viewer);
      ws.on('close', remove);
      pings.watch(ws);
      // Viewers send receipts only (src/sources/relay-protocol.ts): anything else ends the connection
      // (1008: policy violation).
      ws.on('message', (data, isBinary) => {
        if (!viewer.message(data, isBinary)) ws.close(1008, 'viewers send only receipts');
      });
      ws.on('error', () => ws.terminate());
    });
  };
  const sockets = new Set<Socket>();
  front.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      front.off('listening', onListening);
      if (e.code === 'EADDRINUSE') {
        reject(
          new PortInUseError(
            `port ${options.port} is already in use on ${options.host}: choose another with --port (e.g. --port ${options.port + 1}), or stop the program using it`,
          ),
        );
      } else if (e.code === 'EACCES') {
        reject(
          new PortInUseError(
            `no permission to listen on port ${options.port}: use --port 1024 or higher`,
          ),
        );
      } else reject(e);
    };
    const onListening = (): void => {
      front.off('error', onError);
      resolve();
    };
    front.once('error', onError);
    front.once('listening', onListening);
    front.listen(options.port, options.host);
  });
  const port = (front.address() as AddressInfo).port;
  source.start();

  let closing: Promise<void> | undefined;
  return {
    port,
    host: options.host,
    relay,
    source,
    finished,
    status,
    urls: () => openUrls(options.host, port, options.tls ? 'https' : 'http'),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        clearInterval(repeat);
        clearInterval(rateTimer);
        pings.stop();
        source.stop();
        hlsHttp?.close();
        relay.closeAll('server shutting down');
        for (const c of wss.clients) c.terminate();
        wss.close();
        front.close(() => resolve());
        for (const s of sockets) s.destroy();
      })),
  };
}

/**
 * A request target as sent (origin-form, or anything else a client may write): its path and the
 * query after `?` (undefined without one). Split, not parsed as a URL, which throws on targets such
 * as `//[` (one took the relay down).
 */
function splitTarget(target = '/'): { pathname: string; query: string | undefined } {
  const q = target.indexOf('?');
  return q < 0
    ? { pathname: target, query: undefined }
    : { pathname: target.slice(0, q), query: target.slice(q + 1) };
}

/** An http server, or https with `tls`. `noDelay`: each frame goes out when written. */
function listener(
  tls: TlsFiles | undefined,
  requestTimeoutMs: number,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Server {
  const options = { noDelay: true, ...requestTimeouts(requestTimeoutMs) };
  return tls ? createHttpsServer({ ...tls, ...options }, handler) : createServer(options, handler);
}

interface TlsFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** The certificate's files: as given, or this machine's self-signed one (made when missing). */
function tlsFiles(tls: NonNullable<ServeOptions['tls']>, io: ServeIo): CertificateFiles {
  if (tls !== 'self-signed') return tls;
  const names = machineNames();
  const dir = io.certificateDir ?? certificateDir();
  let made;
  try {
    made = selfSignedCertificate(dir, names);
  } catch (e) {
    throw new TlsFileError(e instanceof Error ? e.message : String(e));
  }
  io.log(
    `${made.made ? 'made' : 'using'} a self-signed certificate for ${names.map((n) => n.slice(n.indexOf(':') + 1)).join(', ')} (${made.cert}): each browser warns once; accept it to play through WebCodecs`,
  );
  return made;
}

/** The certificate and key files, read and tried (a missing, unreadable or mismatched one says so). */
function readTls(tls: CertificateFiles): TlsFiles {
  const read = (path: string, what: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new TlsFileError(
        `cannot read the ${what} (${path}): ${isSystemError(e) ? describeSystemError(e) : String(e)}`,
      );
    }
  };
  const cert = read(tls.cert, 'certificate, --tls-cert');
  const key = read(tls.key, 'private key, --tls-key');
  try {
    createSecureContext({ cert, key });
    return { cert, key };
  } catch (e) {
    throw new TlsFileError(
      `the certificate and key do not make a TLS server (${e instanceof Error ? e.message : String(e)}): give PEM files, the key matching the certificate`,
    );
  }
}

/** ADDRESS:PORT URLs for each non-internal IPv4 address (when listening on all) and localhost. */
export function openUrls(host: string, port: number, scheme: 'http' | 'https' = 'http'): string[] {
  const all = host === '0.0.0.0' || host === '::' || host === '';
  const urls: string[] = [];
  if (all) {
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) {
        if (a.family === 'IPv4' && !a.internal) urls.push(`${scheme}://${a.address}:${port}/`);
      }
    }
    urls.push(`${scheme}://localhost:${port}/`);
  } else {
    urls.push(`${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}/`);
  }
  return urls;
}

/**
 * The path a reverse proxy serves the relay under and strips before passing requests on
 * (`X-Forwarded-Prefix: /cam`, as Traefik's StripPrefix sets it, or nginx with
 * `proxy_set_header X-Forwarded-Prefix /cam;`), without its trailing slash; '' when none is given. A
 * value that is not a plain absolute path (`//host` would make the redirect lead elsewhere) is ignored.
 */
export function forwardedPrefix(req: IncomingMessage): string {
  const header = req.headers['x-forwarded-prefix'];
  const value = (Array.isArray(header) ? header[0] : header)?.trim() ?? '';
  if (!/^(?:\/[A-Za-z0-9._~-]+)+\/?$/.test(value)) return '';
  return value.replace(/\/$/, '');
}
