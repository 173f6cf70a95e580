import { integer, parseCommandArgs, parseFps } from '../args.js';
import { UsageError } from '../errors.js';
import type { SourceSpec } from './sources.js';

/**
 * Web pages that may open the WebSocket stream besides the relay's own: '*' (any), or a list of
 * origins. Clients that send no Origin (not a browser) may always connect.
 */
export type AllowOrigin = '*' | readonly string[];

export interface ServeOptions {
  readonly source: SourceSpec;
  readonly host: string;
  readonly port: number;
  /** Directory of the built web app; undefined: the package's dist/. */
  readonly staticDir: string | undefined;
  /** Hidden: disable the GOP cache (benchmark comparison). */
  readonly gopCache: boolean;
  /** Hidden: per-viewer buffer bound in bytes. */
  readonly maxViewerBuffer: number | undefined;
  /** Pages on other origins allowed to open the WebSocket (default: none). */
  readonly allowOrigin?: AllowOrigin;
  /** Also package the stream as Low-Latency HLS at /hls/live.m3u8 (for a cache or CDN in front). */
  readonly hls?: boolean;
  /**
   * Serve https and wss with this certificate and key (PEM files), or with a self-signed certificate
   * for this machine, made once and kept ('self-signed', `--tls`: ./self-signed.ts).
   */
  readonly tls?: { readonly cert: string; readonly key: string } | 'self-signed';
}

export const SERVE_USAGE = `Usage: h264mux serve <source> [options]

Relays a raw H.264 (Annex-B) stream to browsers without re-encoding or muxing: the page muxes.

Sources (exactly one):
  --stdin                 read the stream from standard input
                          (rpicam-vid -t 0 --inline -o - | h264mux serve --stdin)
  --tcp HOST:PORT         connect to a camera's TCP stream, reconnecting when it drops
                          (rpicam-vid -t 0 --inline --listen -o tcp://0.0.0.0:8888)
  --file PATH             play a .h264 file in real time at its frame rate
    --loop                  start again at the end
  --url URL               pull another raw H.264 HTTP stream (e.g. another relay's /stream.h264)
  --exec COMMAND          run a camera command and relay its standard output; run it again when
                          it exits or hangs (--exec "rpicam-vid -t 0 --inline -o -")

  --fps RATE              the stream's frame rate when it has no timing info (raspivid writes none;
                          25, 30000/1001): the page, LL-HLS and a file's playback use it

Options:
  --host ADDR             address to listen on (default 0.0.0.0: reachable from the LAN)
  --port N                port (default 8080)
  --static DIR            web app to serve at / (default: the package's built dist/)
  --allow-origin LIST     web pages on other origins that may open the WebSocket stream:
                          '*' for any, or origins separated by commas (https://example.com);
                          default: the relay's own page and clients that are not browsers
  --hls                   also serve Low-Latency HLS at /hls/live.m3u8, for nginx or a CDN in
                          front (many viewers; see the README's "Many viewers")
  --tls                   serve https:// and wss:// with a self-signed certificate for this machine
                          (made once with openssl, kept in ~/.config/h264mux): browsers give
                          WebCodecs (the lowest latency) only to secure pages, and a page over
                          http:// from another machine is not one; each browser warns once
  --tls-cert FILE         the same with your own certificate (PEM) and --tls-key
  --tls-key FILE
  --help                  this text

Endpoints: /  (web app, plays the stream)   /stream.h264  (chunked HTTP, CORS *)
           /stream  (WebSocket, one access unit per message)   /status  (JSON)
           /hls/live.m3u8  (with --hls: LL-HLS, fMP4 parts)
`;

const SERVE_OPTIONS = {
  stdin: { type: 'boolean' },
  tcp: { type: 'string' },
  file: { type: 'string' },
  loop: { type: 'boolean' },
  fps: { type: 'string' },
  url: { type: 'string' },
  exec: { type: 'string' },
  host: { type: 'string', default: '0.0.0.0' },
  port: { type: 'string', default: '8080' },
  static: { type: 'string' },
  'allow-origin': { type: 'string', multiple: true },
  hls: { type: 'boolean' },
  tls: { type: 'boolean' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  // Hidden (benchmarks): no GOP cache; the per-viewer buffer bound in bytes.
  'no-gop-cache': { type: 'boolean' },
  'max-viewer-buffer': { type: 'string' },
} as const;

/** `--allow-origin` origins (comma-separated), each scheme://host[:port] as a browser sends it. */
function origins(text: string): string[] {
  return text.split(',').map((item) => {
    const o = item.trim();
    let url: URL | undefined;
    try {
      url = new URL(o);
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search || url.hash)
      throw new UsageError(
        `--allow-origin wants '*' or origins such as https://example.com (scheme, host and port only), got "${o}"`,
      );
    return url.origin;
  });
}

/** Parses `serve` flags; returns 'help' for --help. Throws UsageError with a message saying what to fix. */
export function parseServeArgs(argv: readonly string[]): ServeOptions | 'help' {
  const { values, positionals } = parseCommandArgs(argv, SERVE_OPTIONS);
  if (values.help) return 'help';
  if (positionals.length > 0)
    throw new UsageError(
      `unexpected argument "${positionals[0]}": name the source with a flag, e.g. --file ${positionals[0]}`,
    );
  const sources: SourceSpec[] = [];
  if (values.stdin) sources.push({ kind: 'stdin' });
  if (values.tcp !== undefined) {
    const target = values.tcp;
    const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(target.replace(/^tcp:\/\//, ''));
    if (!m || m[1] === '')
      throw new UsageError(
        `--tcp wants HOST:PORT (e.g. --tcp raspberrypi.local:8888), got "${target}"`,
      );
    sources.push({ kind: 'tcp', host: m[1]!, port: integer(m[2]!, '--tcp port', 1, 65535) });
  }
  if (values.file !== undefined)
    sources.push({ kind: 'file', path: values.file, loop: values.loop === true });
  else if (values.loop) throw new UsageError('--loop goes with --file');
  if (values.url !== undefined) {
    if (!/^https?:\/\//i.test(values.url))
      throw new UsageError(`--url wants an http:// or https:// URL, got "${values.url}"`);
    sources.push({ kind: 'url', url: values.url });
  }
  if (values.exec !== undefined) {
    if (values.exec.trim() === '')
      throw new UsageError('--exec wants a command, e.g. --exec "rpicam-vid -t 0 --inline -o -"');
    sources.push({ kind: 'exec', command: values.exec });
  }
  if (sources.length !== 1) {
    throw new UsageError(
      sources.length === 0
        ? 'give a source: --stdin, --tcp HOST:PORT, --file PATH, --url URL or --exec COMMAND (see h264mux serve --help)'
        : 'give only one source (--stdin, --tcp, --file, --url or --exec)',
    );
  }
  const allow = values['allow-origin'] ?? [];
  const cert = values['tls-cert'];
  const key = values['tls-key'];
  if ((cert === undefined) !== (key === undefined))
    throw new UsageError(
      '--tls-cert and --tls-key go together (the certificate and its private key)',
    );
  if (values.tls && cert !== undefined)
    throw new UsageError(
      '--tls makes a certificate, --tls-cert and --tls-key give one: use one or the other',
    );
  const fps = values.fps === undefined ? undefined : parseFps(values.fps);
  return {
    source: fps === undefined ? sources[0]! : { ...sources[0]!, fps },
    host: values.host,
    port: integer(values.port, '--port', 0, 65535),
    staticDir: values.static,
    hls: values.hls === true,
    gopCache: values['no-gop-cache'] !== true,
    maxViewerBuffer:
      values['max-viewer-buffer'] === undefined
        ? undefined
        : integer(values['max-viewer-buffer'], '--max-viewer-buffer', 1024, 1 << 30),
    allowOrigin: allow.includes('*') ? '*' : allow.flatMap(origins),
    ...(cert !== undefined && key !== undefined ? { tls: { cert, key } } : {}),
    ...(values.tls ? { tls: 'self-signed' as const } : {}),
  };
}
