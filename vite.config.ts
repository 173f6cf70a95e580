// Static web app: `vite build` writes dist/ with relative URLs (base './'), so the built page works
// from any path (file server, GitHub Pages, the relay). The transmuxer worker is an ES module.
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';

/** The page's module script as Vite writes it into the built index.html; [1]: its URL. */
const ENTRY_TAG =
  /<script type="module" crossorigin src="(\.\/assets\/index-[\w-]+\.js)"><\/script>/;

/** How long the page's bundle waits at most for the early renderer's first frame (see below). */
const EARLY_BUNDLE_WAIT_MS = 400;

/** The built transmuxer worker, e.g. assets/transmux.worker-DQgXFntv.js. */
const TRANSMUX_WORKER_FILE = /^assets\/transmux\.worker-[\w-]+\.js$/;

/**
 * Starts the transmuxer worker from an inline script at the top of the built index.html when the
 * page has a `?src=`: the worker thread, its script fetch and compile then run while the page's own
 * bundle is still loading, instead of after it (under load the worker was the last part of the
 * startup to be ready, up to ~45 ms after the first bytes). src/worker/client.ts takes it over
 * (`takeEarlyWorker`); `vite dev` has no such script and starts the worker from the bundle.
 *
 * A live stream that the worker will show itself (the default renderer: WebCodecs into a
 * MediaStreamTrackGenerator in Chromium, onto a canvas made here in Firefox and WebKit) starts there
 * at once (src/worker/protocol.ts EarlyStart, in the worker URL's fragment): the worker connects,
 * transmuxes and decodes while the bundle loads, writing to a track or painting a canvas made here.
 * The player takes the session over when it would play the same source the same way
 * (src/play/player.ts `renderInWorker`), and the worker starts its own transmuxer on the connection's
 * bytes again otherwise (src/worker/worker-session.ts).
 */
function earlyTransmuxWorker(): Plugin {
  return {
    name: 'h264mux-early-transmux-worker',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        const worker = Object.values(ctx.bundle ?? {}).find((out) =>
          TRANSMUX_WORKER_FILE.test(out.fileName),
        );
        if (!worker) throw new Error('vite.config.ts: the transmuxer worker was not built');
        // The page's bundle, loaded by the script at the end of the body instead of by its tag.
        const entry = ENTRY_TAG.exec(html);
        if (!entry) throw new Error('vite.config.ts: no module script for the page in index.html');
        const bundle = entry[1] ?? '';
        // Not for an HLS playlist, which hls.js plays (the same test as src/app/hls-url.ts).
        // The early session is for the player's defaults only (protocol.ts EarlyStart): the player
        // takes it over when its own choices (including remembered settings) are the same.
        const script = `const q = new URLSearchParams(location.search);
const src = q.get('src');
if (src && !/\\.m3u8(?:[?#]|$)/i.test(src)) {
  const early = { worker: undefined, error: undefined, source: undefined, output: undefined };
  let file = ${JSON.stringify(`./${worker.fileName}`)};
  const renderer = q.get('renderer');
  // Where the player would show it (src/play/player.ts rendersInWorker): a track (Chromium), or a
  // canvas the worker paints (Firefox, WebKit).
  const output = typeof VideoDecoder !== 'function' ? undefined
    : typeof MediaStreamTrackGenerator === 'function' ? 'track'
    : typeof HTMLCanvasElement.prototype.transferControlToOffscreen === 'function' ? 'canvas' : undefined;
  if (/^(?:wss?|https?):/i.test(src) && (!renderer || renderer === 'auto' || renderer === 'webcodecs') &&
      !q.has('framing') && !q.has('live') && !q.has('stall') && output) {
    const url = new URL(src, location.href);
    early.source = { kind: /^wss?:$/.test(url.protocol) ? 'websocket' : 'http', url: url.href, stallTimeoutMs: 5000 };
    file += '#' + encodeURIComponent(JSON.stringify({ source: early.source }));
  }
  early.worker = new Worker(file, { type: 'module', name: 'h264mux-transmuxer' });
  early.worker.addEventListener('error', (e) => { early.error ??= e.message || 'could not load the worker script'; });
  if (early.source) {
    const channel = new MessageChannel();
    const render = (out, transfer) => early.worker.postMessage({ type: 'render', id: 0, options: { targetLatency: 0 }, output: out, events: channel.port2 }, [transfer, channel.port2]);
    if (output === 'track') {
      const track = new MediaStreamTrackGenerator({ kind: 'video' });
      render({ kind: 'track', frames: track.writable }, track.writable);
      early.output = { kind: 'track', track, events: channel.port1, targetLatency: 0 };
    } else {
      // Painted by the worker from its first frame; the script at the end of the body puts it in the page.
      const canvas = document.createElement('canvas');
      const offscreen = canvas.transferControlToOffscreen();
      render({ kind: 'canvas', canvas: offscreen }, offscreen);
      early.output = { kind: 'canvas', canvas, events: channel.port1, targetLatency: 0 };
    }
  }
  window.__h264muxEarlyWorker = early;
}`;
        // At the end of the body: the early track plays in the <video> as soon as the page has loaded
        // (a track's frames reach only the sinks it has when they are written), in the player's
        // section, shown at once (a hidden <video> presents nothing; the page shows it for a `?src=`).
        // The page's bundle (fetched from the start: modulepreload) is evaluated once that first frame
        // is presented, or after EARLY_BUNDLE_WAIT_MS: its evaluation and the player's start hold the
        // main thread, which the <video> needs to show its first frame (measured: 40-100 ms later).
        const attach = `const early = window.__h264muxEarlyWorker;
const video = document.getElementById('video');
const load = () => { import(${JSON.stringify(bundle)}).catch((e) => console.error(e)); };
if (early?.output?.kind === 'canvas' && video instanceof HTMLVideoElement) {
  // In place of the <video>, as the player puts its canvas (src/play/player.ts adoptCanvas). The
  // worker paints it without this thread: the bundle loads at once.
  document.getElementById('player')?.removeAttribute('hidden');
  const canvas = early.output.canvas;
  canvas.className = video.className;
  canvas.setAttribute('aria-label', 'Live video');
  video.after(canvas);
  video.hidden = true;
  load();
} else if (early?.output?.kind === 'track' && video instanceof HTMLVideoElement) {
  document.getElementById('player')?.removeAttribute('hidden');
  const track = early.output.track;
  // After the load event, which a <video> with no frame yet would hold back (the tab's spinner).
  const show = () => {
    if (track.readyState !== 'live' || video.srcObject || video.src) return;
    video.srcObject = new MediaStream([track]);
    video.play().catch(() => undefined);
    // A frame written before the track played is lost: the worker writes its newest one again.
    early.output.events.postMessage({ type: 'attached' });
  };
  if (document.readyState === 'complete') show();
  else window.addEventListener('load', show, { once: true });
  let loaded = false;
  const once = () => { if (!loaded) { loaded = true; load(); } };
  video.requestVideoFrameCallback(once);
  setTimeout(once, ${EARLY_BUNDLE_WAIT_MS});
} else {
  load();
}`;
        return {
          html: html.replace(
            entry[0],
            `<link rel="modulepreload" crossorigin href=${JSON.stringify(bundle)}>`,
          ),
          tags: [
            { tag: 'script', children: script, injectTo: 'head-prepend' },
            { tag: 'script', children: attach, injectTo: 'body' },
          ],
        };
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
