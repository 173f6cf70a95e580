import { describeSystemError, isSystemError, UsageError } from '../errors.js';
import { parseServeArgs, SERVE_USAGE } from './options.js';
import { ServeStartError, startServe } from './server.js';
import { notH264Message, probeFile } from './sources.js';

export { parseServeArgs, SERVE_USAGE } from './options.js';
export { startServe, openUrls, type ServeHandle } from './server.js';
export { Relay } from './relay.js';

export interface RunServeIo {
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
  readonly stdin?: NodeJS.ReadableStream;
  /** Stops the server when aborted (tests); SIGINT/SIGTERM always do. */
  readonly signal?: AbortSignal;
  /** Called once listening (tests read the port from it). */
  readonly onListening?: (port: number) => void;
}

/**
 * `h264mux serve`: relays a raw H.264 stream to browsers. Returns the exit code: 0 after SIGINT/SIGTERM
 * or the end of the source, 1 on a fatal error (port in use, source not H.264), 2 on bad flags.
 */
export async function runServe(argv: string[], io: RunServeIo = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  let options;
  try {
    options = parseServeArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err.write(`h264mux serve: ${e.message}\n`);
    return 2;
  }
  if (options === 'help') {
    out.write(SERVE_USAGE);
    return 0;
  }
  const log = (message: string): void => void err.write(`h264mux serve: ${message}\n`);
  if (options.source.kind === 'file') {
    try {
      await probeFile(options.source.path, options.source.fps);
    } catch (e) {
      // A missing or unreadable file in one line, as `cat` words it; else what the stream is instead.
      log(
        `error: ${isSystemError(e) ? describeSystemError(e) : notH264Message(e, options.source.path)}`,
      );
      return 1;
    }
  }
  let handle;
  try {
    handle = await startServe(options, { log, ...(io.stdin ? { stdin: io.stdin } : {}) });
  } catch (e) {
    if (e instanceof ServeStartError) {
      log(`error: ${e.message}`);
      return 1;
    }
    throw e;
  }
  io.onListening?.(handle.port);
  const urls = handle.urls();
  out.write(
    `h264mux serve: relaying ${handle.source.status.target}\n` +
      `  open ${urls.join('\n       ')}\n` +
      `  stream ${urls.at(-1)}stream.h264 (HTTP)  ${options.tls ? 'wss' : 'ws'}://${new URL(urls.at(-1)!).host}/stream (WebSocket)  status ${urls.at(-1)}status\n` +
      (options.hls
        ? `  hls ${urls.at(-1)}hls/live.m3u8 (LL-HLS, for nginx or a CDN in front)\n`
        : ''),
  );

  let onSignal: () => void = () => undefined;
  const stopped = new Promise<number>((resolve) => {
    onSignal = () => resolve(0);
  });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  io.signal?.addEventListener('abort', onSignal);
  const code = await Promise.race([stopped, handle.finished]);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  io.signal?.removeEventListener('abort', onSignal);
  await handle.close();
  log(code === 0 ? 'stopped' : 'stopped after an error');
  return code;
}
