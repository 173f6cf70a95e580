// `h264mux serve --file <path> --loop` in the test process, with its GOP cache, for the e2e tests:
// `options` adds to or replaces the defaults (--hls, --allow-origin), `log` hears its terminal.
import { startServe, type ServeHandle } from '../../../src/cli/serve/index.js';
import type { ServeOptions } from '../../../src/cli/serve/options.js';

export function startFileRelay(
  path: string,
  options: Partial<ServeOptions> = {},
  log: (line: string) => void = () => undefined,
): Promise<ServeHandle> {
  return startServe(
    {
      source: { kind: 'file', path, loop: true },
      host: '127.0.0.1',
      port: 0,
      staticDir: undefined,
      gopCache: true,
      maxViewerBuffer: undefined,
      ...options,
    },
    { log },
  );
}
