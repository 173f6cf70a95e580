// Static web app: `vite build` writes dist/ with relative URLs (base './'), so the built page works
// from any path (file server, GitHub Pages, the relay). The transmuxer worker is an ES module.
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';

/** The built transmuxer worker, e.g. assets/transmux.worker-DQgXFntv.js. */
const TRANSMUX_WORKER_FILE = /^assets\/transmux\.worker-[\w-]+\.js$/;

/**
 * Starts the transmuxer worker from an inline script at the top of the built index.html when the
 * page has a `?src=`: the worker thread, its script fetch and compile then run while the page's own
 * bundle is still loading, instead of after it (under load the worker was the last part of the
 * startup to be ready, up to ~45 ms after the first bytes). src/worker/client.ts takes it over
 * (`takeEarlyWorker`); `vite dev` has no such script and starts the worker from the bundle.
 *
 * A live stream that the worker will show itself (Chromium: WebCodecs into a
 * MediaStreamTrackGenerator, the default renderer) is opened by the worker now too, with the options
 * the player will ask for (none given in the query): the connection is up and its first frame held
 * while the bundle loads. The player takes that source over when it asks for the same one
 * (src/worker/source-reader.ts `sameSpec`), and closes it otherwise.
 */
function earlyTransmuxWorker(): Plugin {
  return {
    name: 'h264mux-early-transmux-worker',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(_html, ctx) {
        const worker = Object.values(ctx.bundle ?? {}).find((out) =>
          TRANSMUX_WORKER_FILE.test(out.fileName),
        );
        if (!worker) throw new Error('vite.config.ts: the transmuxer worker was not built');
        // Not for an HLS playlist, which hls.js plays (the same test as src/app/hls-url.ts).
        const script = `const q = new URLSearchParams(location.search);
const src = q.get('src');
if (src && !/\\.m3u8(?:[?#]|$)/i.test(src)) {
  const early = { worker: new Worker(${JSON.stringify(`./${worker.fileName}`)}, { type: 'module', name: 'h264mux-transmuxer' }), error: undefined, source: undefined };
  early.worker.addEventListener('error', (e) => { early.error ??= e.message || 'could not load the worker script'; });
  const renderer = q.get('renderer');
  if (/^(?:wss?|https?):/i.test(src) && (!renderer || renderer === 'auto' || renderer === 'webcodecs') &&
      !q.has('framing') && !q.has('live') && !q.has('stall') &&
      typeof MediaStreamTrackGenerator === 'function' && typeof VideoDecoder === 'function') {
    const url = new URL(src, location.href);
    early.source = { kind: /^wss?:$/.test(url.protocol) ? 'websocket' : 'http', url: url.href, stallTimeoutMs: 5000 };
    early.worker.postMessage({ type: 'source-open', id: 0, spec: early.source });
  }
  window.__h264muxEarlyWorker = early;
}`;
        return [{ tag: 'script', children: script, injectTo: 'head-prepend' }];
      },
    },
  };
}

export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    target: 'es2022',
    sourcemap: true,
  },
  worker: {
    format: 'es',
  },
  plugins: [earlyTransmuxWorker()],
  server: {
    host: '127.0.0.1',
    port: 5173,
  },
  preview: {
    host: '127.0.0.1',
    port: 4173,
  },
});
