import type { SourceSpec } from './sources.js';

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
    --fps N                 frame rate when the file has none (or to override it)
  --url URL               pull another raw H.264 HTTP stream (e.g. another relay's /stream.h264)

Options:
  --host ADDR             address to listen on (default 0.0.0.0: reachable from the LAN)
  --port N                port (default 8080)
  --static DIR            web app to serve at / (default: the package's built dist/)
  --help                  this text

Endpoints: /  (web app, plays the stream)   /stream.h264  (chunked HTTP, CORS *)
           /stream  (WebSocket, one access unit per message)   /status  (JSON)
`;

export class UsageError extends Error {}

function value(argv: readonly string[], i: number, flag: string): string {
  const v = argv[i + 1];
  if (v === undefined || (v.startsWith('--') && v.length > 2))
    throw new UsageError(`${flag} needs a value`);
  return v;
}

function integer(text: string, flag: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return n;
}

/** Parses `serve` flags; returns 'help' for --help. Throws UsageError with a message saying what to fix. */
export function parseServeArgs(argv: readonly string[]): ServeOptions | 'help' {
  const sources: SourceSpec[] = [];
  let file: string | undefined;
  let loop = false;
  let fps: number | undefined;
  let host = '0.0.0.0';
  let port = 8080;
  let staticDir: string | undefined;
  let gopCache = true;
  let maxViewerBuffer: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg];
    const take = (): string => {
      if (inline !== undefined) return inline;
      const v = value(argv, i, flag!);
      i++;
      return v;
    };
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--stdin':
        sources.push({ kind: 'stdin' });
        break;
      case '--tcp': {
        const target = take();
        const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(target.replace(/^tcp:\/\//, ''));
        if (!m || m[1] === '')
          throw new UsageError(
            `--tcp wants HOST:PORT (e.g. --tcp raspberrypi.local:8888), got "${target}"`,
          );
        sources.push({ kind: 'tcp', host: m[1]!, port: integer(m[2]!, '--tcp port', 1, 65535) });
        break;
      }
      case '--file':
        file = take();
        break;
      case '--loop':
        loop = true;
        break;
      case '--fps': {
        const text = take();
        const n = Number(text);
        if (!Number.isFinite(n) || n <= 0 || n > 1000)
          throw new UsageError(`--fps must be a number above 0 (e.g. 30 or 29.97), got "${text}"`);
        fps = n;
        break;
      }
      case '--url': {
        const url = take();
        if (!/^https?:\/\//i.test(url))
          throw new UsageError(`--url wants an http:// or https:// URL, got "${url}"`);
        sources.push({ kind: 'url', url });
        break;
      }
      case '--host':
        host = take();
        break;
      case '--port':
        port = integer(take(), '--port', 0, 65535);
        break;
      case '--static':
        staticDir = take();
        break;
      case '--no-gop-cache':
        gopCache = false;
        break;
      case '--max-viewer-buffer':
        maxViewerBuffer = integer(take(), '--max-viewer-buffer', 1024, 1 << 30);
        break;
      default:
        throw new UsageError(`unknown option "${arg}" (see h264mux serve --help)`);
    }
  }
  if (file !== undefined)
    sources.push({ kind: 'file', path: file, loop, ...(fps !== undefined ? { fps } : {}) });
  else if (loop || fps !== undefined) throw new UsageError('--loop and --fps go with --file');
  if (sources.length !== 1) {
    throw new UsageError(
      sources.length === 0
        ? 'give a source: --stdin, --tcp HOST:PORT, --file PATH or --url URL (see h264mux serve --help)'
        : 'give only one source (--stdin, --tcp, --file or --url)',
    );
  }
  return { source: sources[0]!, host, port, staticDir, gopCache, maxViewerBuffer };
}
