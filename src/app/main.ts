/**
 * Page entry, kept small because it decides the time to the first frame: a `?src=` session starts
 * here at once (the transmuxer worker, the MediaSource and the connection all start in parallel),
 * the file picker and the drop zone are wired, and `window.__h264mux` is defined for tests.
 *
 * The rest of the page (./page.ts: statistics, errors, save and record, the inspector with uPlot and
 * mux.js) is a dynamic import. With a `?src=` it is loaded once the first frame shows (or at the first
 * error, or after LATE_PAGE_MS), so that neither its download nor its evaluation competes with the
 * startup; without one it is loaded at once. It then takes over the running session, including the
 * transmuxer outputs seen so far (the inspector shows the whole history).
 */
import { FileSource } from '../sources/file-source.js';
import { HttpSource } from '../sources/http-source.js';
import { SourceError } from '../sources/source.js';
import type { ByteSource } from '../sources/source.js';
import { WebSocketSource } from '../sources/websocket-source.js';
import type { TransmuxerOutput } from '../core/index.js';
import { readParams } from './params.js';
import type { PageParams } from './params.js';
import { Session, toSessionError } from './session.js';
import { initialSettings } from './settings.js';
import type { PlaybackSettings } from './settings.js';
import { normaliseStreamUrl } from './stream-url.js';
import type { SessionError, SessionState, SessionStats, SessionWarning } from './session.js';
import type { InspectorSnapshot } from './inspector.js';
import type { PageHost, PageView } from './page.js';
import type { SaveStatus } from './save-view.js';
import type { HlsPlayback } from './hls-playback.js';
import { isHlsUrl } from './hls-url.js';

/** Read-only debug view for tests and the console: real values from the running session. */
export interface DebugHook {
  readonly state: SessionState | 'idle';
  readonly stats: SessionStats | undefined;
  readonly errors: readonly SessionError[];
  readonly warnings: readonly SessionWarning[];
  /** Save / record progress and result (undefined until the page UI has loaded). */
  readonly save: SaveStatus | undefined;
  /** What the inspector holds and last drew (undefined until the page UI has loaded). */
  readonly inspector: InspectorSnapshot | undefined;
}

declare global {
  interface Window {
    readonly __h264mux: DebugHook;
  }
}

/** With a `?src=`, the page UI loads at the latest this long after the session started. */
const LATE_PAGE_MS = 1000;

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html lacks #${id}`);
  return el as T;
}

const video = byId<HTMLVideoElement>('video');
const playerSection = byId('player');
const params = readParams(location.search);
/** fps and latency for the next session: from the query, then from the page's boxes. */
const settings: PlaybackSettings = initialSettings(params, location.search);

let session: Session | undefined;
/** A `?src=` HLS playlist plays through ./hls-playback.ts instead of a session. */
let hls: HlsPlayback | undefined;
let file: File | undefined;
/** Errors raised before a session exists (e.g. a bad `?src=`). */
const pageErrors: SessionError[] = [];
/** Transmuxer outputs of the current session not yet taken by the page (inspector history). */
let earlyOutputs: (readonly TransmuxerOutput[])[] = [];
let view: PageView | undefined;
let viewLoading: Promise<void> | undefined;

const host: PageHost = {
  params,
  settings,
  video,
  get session() {
    return session;
  },
  get hls() {
    return hls;
  },
  get file() {
    return file;
  },
  get pageErrors() {
    return pageErrors;
  },
  takeEarlyOutputs() {
    const taken = earlyOutputs;
    earlyOutputs = [];
    return taken;
  },
  playFile,
  playUrl,
};

/** Loads ./page.ts once and lets it take over the current session. */
function loadPage(): void {
  viewLoading ??= import('./page.js')
    .then((page) => {
      view = page.mountPage(host);
    })
    .catch((error: unknown) => {
      // Playback goes on without the page UI; the error is visible in the hook and the console.
      pageErrors.push(toSessionError(error));
      console.error(error);
    });
}

Object.defineProperty(window, '__h264mux', {
  value: Object.freeze({
    get state() {
      return session?.state ?? hls?.state ?? (pageErrors.length > 0 ? 'error' : 'idle');
    },
    get stats() {
      return session?.stats ?? hls?.stats;
    },
    get errors() {
      return [...pageErrors, ...(session?.errors ?? hls?.errors ?? [])].map((e) => ({ ...e }));
    },
    get warnings() {
      return (session?.warnings ?? hls?.warnings ?? []).map((w) => ({ ...w }));
    },
    get save() {
      return view?.save;
    },
    get inspector() {
      return view?.inspector;
    },
  } satisfies DebugHook),
});

function sourceForUrl(src: string, p: PageParams): ByteSource {
  const url = new URL(normaliseStreamUrl(src, location.href).href);
  const stallTimeoutMs = p.stallSeconds * 1000;
  switch (url.protocol) {
    case 'ws:':
    case 'wss:':
      return new WebSocketSource(url.href, { framing: p.framing, stallTimeoutMs });
    case 'http:':
    case 'https:':
      return new HttpSource(url.href, { live: p.live, stallTimeoutMs });
    default:
      throw new SourceError('BAD_URL', `Cannot read ${url.protocol} URLs: ${src}`);
  }
}

function play(source: ByteSource, picked?: File): void {
  session?.stop();
  hls?.stop();
  hls = undefined;
  pageErrors.length = 0;
  earlyOutputs = [];
  const s = new Session(video, source, {
    fps: settings.fps,
    targetLatency: settings.latency,
    playbackRate: params.rate,
  });
  session = s;
  file = picked;
  s.onOutputs = (outputs) => earlyOutputs.push(outputs);
  s.onChange = () => {
    if (view) view.render();
    else if (s.errors.length > 0) loadPage();
  };
  // Visible before the first frame: a hidden <video> presents nothing.
  playerSection.hidden = false;
  view?.sessionStarted();
  s.start();
  view?.render();
}

/** Plays an HLS playlist; its module (and hls.js) load only now, off the raw-stream startup path. */
function playHls(src: string): void {
  session?.stop();
  session = undefined;
  file = undefined;
  hls?.stop();
  hls = undefined;
  pageErrors.length = 0;
  let url: string;
  try {
    url = normaliseStreamUrl(src, location.href).href;
  } catch (error) {
    pageErrors.push(toSessionError(error));
    view?.render();
    return;
  }
  playerSection.hidden = false;
  void import('./hls-playback.js')
    .then(({ HlsPlayback }) => {
      const playback = new HlsPlayback(video, url, { onChange: () => view?.render() });
      hls = playback;
      view?.render();
      return playback.start();
    })
    .catch((error: unknown) => {
      pageErrors.push(toSessionError(error));
      loadPage();
    });
}

function playFile(picked: File | undefined): void {
  if (picked) play(new FileSource(picked), picked);
}

/** Plays a URL as typed (see ./stream-url.ts); a URL that cannot be played ends the current session. */
function playUrl(src: string): void {
  if (isHlsUrl(src)) {
    playHls(src);
    return;
  }
  try {
    play(sourceForUrl(src, params));
  } catch (error) {
    session?.stop();
    session = undefined;
    file = undefined;
    pageErrors.length = 0;
    pageErrors.push(toSessionError(error));
    view?.render();
  }
}

byId<HTMLInputElement>('file-input').addEventListener('change', (event) => {
  playFile((event.target as HTMLInputElement).files?.[0]);
});

// Drop anywhere on the page.
document.addEventListener('dragover', (event) => {
  event.preventDefault();
  document.body.classList.add('dragging');
});
document.addEventListener('dragleave', (event) => {
  if (event.relatedTarget === null) document.body.classList.remove('dragging');
});
document.addEventListener('drop', (event) => {
  event.preventDefault();
  document.body.classList.remove('dragging');
  playFile(event.dataTransfer?.files[0]);
});

if (params.src) {
  try {
    if (isHlsUrl(params.src)) playHls(params.src);
    else play(sourceForUrl(params.src, params));
    video.addEventListener('playing', loadPage, { once: true });
    setTimeout(loadPage, LATE_PAGE_MS);
  } catch (error) {
    pageErrors.push(toSessionError(error));
    loadPage();
  }
} else {
  loadPage();
}
