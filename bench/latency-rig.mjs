// What the latency bench measures against (bench/latency.mjs, bench/latency-soak.mjs): the barcode
// stream served in real time, plainly and with jittered send times; the built app and a jmuxer page;
// `h264mux serve --url` relays in front of each stream server; the browsers; the player paths.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { chromiumLaunchOptions } from '../scripts/browser.mjs';
import { ensureLibBuilt, LIB_CLI } from '../scripts/lib-build.mjs';
import { startStaticServer } from '../test/e2e/support/static-server.mjs';
import { startStreamServer } from '../test/e2e/support/stream-server.mjs';
import { BITS, makeStream, PROBE_ARGS, probeScript, SendLogs, settle } from './latency-harness.mjs';
import { launchWebKit } from './latency-webkit.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const FIREFOX = process.env.BENCH_FIREFOX ?? '/usr/bin/firefox-esr';

/** The jittered source: each frame leaves 0..JITTER_MS ms late, in order (seeded). */
export const JITTER_MS = 40;
export const JITTER_SEED = 12;

/**
 * Shared by both engines. No network monitoring: with it the driver has the browser report every
 * request and every WebSocket message (each frame, base64-encoded, over the protocol), work a viewer's
 * browser does not do.
 */
const DRIVER = {
  defaultViewport: { width: 1280, height: 900 },
  networkEnabled: false,
  issuesEnabled: false,
};

/**
 * Browsers. Chromium and Firefox driven by puppeteer-core: Chromium over the DevTools protocol, Firefox
 * over WebDriver BiDi; WebKitGTK on request, over classic WebDriver (./latency-webkit.mjs). Puppeteer
 * rather than Playwright for Chromium too: one driver for both engines, and Playwright
 * opens every page in a window of its own, which headless Chromium never reports hidden, while
 * Puppeteer's pages are tabs of one window, so that a tab brought to the front hides the one under it
 * (the hidden-tab check). Chromium keeps its background throttling (Puppeteer's flags that disable it
 * are dropped): a hidden tab behaves as in a viewer's browser.
 */
export const ENGINES = {
  chromium: {
    label: 'Chromium',
    cdp: true,
    async launch() {
      return puppeteer.launch({
        ...(await chromiumLaunchOptions()),
        ...DRIVER,
        ignoreDefaultArgs: [
          '--disable-background-timer-throttling',
          '--disable-backgrounding-occluded-windows',
          '--disable-renderer-backgrounding',
        ],
      });
    },
  },
  firefox: {
    label: 'Firefox ESR',
    cdp: false,
    launch() {
      return puppeteer.launch({
        browser: 'firefox',
        executablePath: FIREFOX,
        headless: true,
        ...DRIVER,
        // Muted autoplay without a gesture, as Chromium's --autoplay-policy flag allows it.
        extraPrefsFirefox: { 'media.autoplay.default': 0 },
      });
    },
  },
  webkit: {
    label: 'WebKitGTK',
    cdp: false,
    /** No script before the page's own but the probe (see ./latency-webkit.mjs). */
    preload: false,
    /** Not run unless named (--engine): a MiniBrowser per run, driven over classic WebDriver. */
    optIn: true,
    launch(rig) {
      return launchWebKit(rig?.probedOrigin);
    },
  },
};

/**
 * The player paths. `ours` paths run with each renderer (`?renderer=`); `source` names the stream
 * server; `via: 'relay'` goes through `h264mux serve --url <that server>`. `optIn` paths run only
 * when named with --path.
 */
export const PATHS = [
  { id: 'http', label: 'ours, HTTP', player: 'ours', transport: 'http', via: 'direct' },
  { id: 'ws', label: 'ours, WebSocket AU-framed', player: 'ours', transport: 'ws', via: 'direct' },
  { id: 'relay-http', label: 'ours, relay HTTP', player: 'ours', transport: 'http', via: 'relay' },
  { id: 'relay-ws', label: 'ours, relay WebSocket', player: 'ours', transport: 'ws', via: 'relay' },
  { id: 'jmuxer-http', label: 'jmuxer, fetch', player: 'jmuxer', transport: 'http', via: 'direct' },
  {
    id: 'jmuxer-ws',
    label: 'jmuxer, WebSocket frame/msg',
    player: 'jmuxer',
    transport: 'ws',
    via: 'direct',
  },
  {
    id: 'ws-bytes',
    label: 'ours, WebSocket unframed',
    player: 'ours',
    transport: 'ws-bytes',
    via: 'direct',
    optIn: true,
  },
];

export const RENDERERS = ['mse', 'webcodecs'];

const JMUXER_PAGE = `<!doctype html><meta charset="utf-8"><title>jmuxer</title>
<video id="v" muted autoplay playsinline></video>
<script src="./jmuxer.min.js"></script>
<script>
const q = new URLSearchParams(location.search);
const framed = q.get('framed') === '1';
const fps = Number(q.get('fps'));
// jmuxer's live settings from its README: flush at once (flushingTime 0), fixed fps.
const jm = new JMuxer({ node: 'v', mode: 'video', flushingTime: 0, fps, clearBuffer: true, debug: false });
const src = q.get('src');
if (src.startsWith('ws')) {
  const ws = new WebSocket(src);
  ws.binaryType = 'arraybuffer';
  ws.onmessage = (e) => {
    if (typeof e.data === 'string') return;
    jm.feed({ video: new Uint8Array(e.data), isLastVideoFrameComplete: framed });
  };
} else {
  fetch(src).then(async (r) => {
    const reader = r.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      jm.feed({ video: value });
    }
  });
}
</script>`;

/** `vite build` into dist/, unless BENCH_DIST names another build (A/B against another checkout). */
export function appDir() {
  if (process.env.BENCH_DIST) return resolve(process.env.BENCH_DIST);
  const vite = spawnSync(join(ROOT, 'node_modules/.bin/vite'), ['build', '--logLevel', 'error'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (vite.status !== 0) throw new Error('vite build failed');
  return join(ROOT, 'dist');
}

/**
 * `h264mux serve --url <upstream> --static <dist>` as a child process (the bundled command, as users
 * run it), and the stream server's log of what it sent to that relay (the relay's upstream connection,
 * the only one it opens).
 */
async function startRelay(upstream, staticDir, allowOrigin) {
  ensureLibBuilt({ log: (line) => console.log(line) });
  const mark = upstream.logs.mark();
  const child = spawn(
    process.execPath,
    [
      LIB_CLI,
      'serve',
      ...['--url', upstream.server.httpUrl, '--host', '127.0.0.1', '--port', '0'],
      ...['--static', staticDir],
      // The probed app server's pages (WebKit) open its WebSocket from another origin.
      ...['--allow-origin', allowOrigin],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stderr.on('data', (b) => (output += b));
  const base = await new Promise((resolveBase, reject) => {
    child.stdout.on('data', (b) => {
      output += b;
      // "  stream http://127.0.0.1:PORT/stream.h264 (HTTP) ..." (the first line names the upstream)
      const m = /^\s+stream (http:\/\/\S+\/)stream\.h264 /m.exec(output);
      if (m) resolveBase(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`h264mux serve exited (${code}):\n${output}`)));
  });
  let ids = [];
  for (let i = 0; i < 100 && ids.length === 0; i++) {
    await settle(50);
    ids = upstream.logs.newClients(mark);
  }
  if (ids.length !== 1) throw new Error(`the relay opened ${ids.length} upstream connections`);
  const upstreamId = /** @type {number} */ (ids[0]);
  return {
    base,
    wsUrl: `${base.replace(/^http/, 'ws')}stream`,
    get sends() {
      return upstream.logs.byClient.get(upstreamId);
    },
    output: () => output,
    close() {
      return new Promise((done) => {
        if (child.exitCode !== null) return done(undefined);
        child.once('exit', () => done(undefined));
        child.kill('SIGTERM');
      });
    },
  };
}

/**
 * The stream servers (`plain`, and `jitter` with JITTER_MS), the app server (with the jmuxer page) and,
 * on demand, one relay per stream server, kept for the whole bench: a page joins a running relay, as
 * a viewer does (mid-GOP; the relay's GOP cache lets it start at the last keyframe).
 */
export async function startRig({ fps, dist }) {
  const dir = mkdtempSync(join(tmpdir(), 'h264mux-latency-'));
  // As long as the barcode allows; looped, with every client starting at frame 0 when it connects.
  const seconds = Math.floor(2 ** BITS / fps / 10) * 10;
  const file = makeStream(dir, { seconds, fps });
  const source = async (jitterMs) => {
    const logs = new SendLogs();
    const server = await startStreamServer({
      file,
      fps,
      clock: 'per-client',
      loop: true,
      jitterMs,
      seed: JITTER_SEED,
      onFrameSent: logs.onFrameSent,
    });
    return { server, logs, jitterMs };
  };
  const sources = { plain: await source(0), jitter: await source(JITTER_MS) };
  const routes = {
    '/jmuxer.html': { type: 'text/html; charset=utf-8', body: JMUXER_PAGE },
    '/jmuxer.min.js': {
      type: 'text/javascript; charset=utf-8',
      body: readFileSync(join(ROOT, 'node_modules/jmuxer/dist/jmuxer.min.js')),
    },
  };
  const app = await startStaticServer(dist, { prefix: '/', routes });
  // The same pages with the probe as their first script, for a driver that cannot run it before a
  // page's own (WebKit: ./latency-webkit.mjs).
  const probed = await startStaticServer(dist, {
    prefix: '/',
    routes,
    headScript: `<script>(${probeScript.toString()})(${JSON.stringify(PROBE_ARGS)});</script>`,
  });
  /** @type {Map<string, Promise<Awaited<ReturnType<typeof startRelay>>>>} */
  const relays = new Map();
  const relayFor = (name) => {
    let relay = relays.get(name);
    if (!relay) relays.set(name, (relay = startRelay(sources[name], dist, probed.origin)));
    return relay;
  };
  const enc = encodeURIComponent;
  // Extra page options for our player (e.g. BENCH_OURS_QUERY='&latency=0.02').
  const oursQuery = process.env.BENCH_OURS_QUERY ?? '';
  return {
    fps,
    /** The clip's frames: its barcodes go 0..clipFrames-1, then again from 0. */
    clipFrames: seconds * fps,
    sources,
    appOrigin: app.origin,
    probedOrigin: probed.origin,
    /** Starts the relays in front of these stream servers now, before any page is measured. */
    async startRelays(names) {
      for (const name of names) await relayFor(name);
    },
    /**
     * The page URL of `path` with `renderer` reading the `sourceName` stream, and the send log of
     * the connection it will read: `fixed` (the relay's upstream) or undefined (the connection the
     * page opens).
     */
    async target(path, renderer, sourceName) {
      const { server, logs } = sources[sourceName];
      const r = renderer ? `&renderer=${renderer}` : '';
      if (path.via === 'relay') {
        const relay = await relayFor(sourceName);
        const src = path.transport === 'http' ? `${relay.base}stream.h264` : relay.wsUrl;
        return {
          url: `${relay.base}?src=${enc(src)}${r}${oursQuery}`,
          logs,
          fixed: relay.sends,
        };
      }
      if (path.player === 'jmuxer') {
        const framed = path.transport === 'ws';
        const src = framed ? server.wsFramedUrl : server.httpUrl;
        return {
          url: `${app.origin}/jmuxer.html?fps=${fps}&framed=${framed ? 1 : 0}&src=${enc(src)}`,
          logs,
          fixed: undefined,
        };
      }
      const src = { http: server.httpUrl, ws: server.wsFramedUrl, 'ws-bytes': server.wsUrl }[
        path.transport
      ];
      return { url: `${app.url}?src=${enc(src)}${r}${oursQuery}`, logs, fixed: undefined };
    },
    async close() {
      for (const relay of relays.values()) await (await relay).close();
      for (const s of Object.values(sources)) await s.server.close();
      await app.close();
      await probed.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
