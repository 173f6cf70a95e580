/**
 * Page entry, kept small because it decides the time to the first frame: a `?src=` session starts
 * here at once (the transmuxer worker, the MediaSource and the connection all start in parallel),
 * the file picker and the drop zone are wired, and `window.__h264mux` is defined for tests.
 *
 * The rest of the page (./page.ts: statistics, errors, save and record, the inspector's button) is a
 * dynamic import. With a `?src=` it is loaded once the first frame shows (or at the first error, or
 * after LATE_PAGE_MS), so that neither its download nor its evaluation competes with the startup;
 * without one it is loaded at once. It then takes over the running session. The inspector itself
 * (uPlot, mux.js) loads when first opened; what it shows is kept from the start here
 * (./inspector-history.ts), so that it shows the whole history.
 */
import { InspectorHistory } from './inspector-history.js';
import { readParams } from './params.js';
import { play } from '../play/index.js';
import type { PlaySource, Snapshot } from '../play/index.js';
import { toSessionError } from './session.js';
import type { Session } from './session.js';
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
  /** The session's snapshot (Player.snapshot): a PNG of the frame on screen and its stream time. */
  snapshot(): Promise<Snapshot>;
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
/** What the inspector shows of the current session, kept from its start (before the page loads too). */
const history = new InspectorHistory();
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
  history,
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
    snapshot() {
      return session ? session.snapshot() : Promise.reject(new Error('no live or file session'));
    },
  } satisfies DebugHook),
});

/** Bumped by every start: a player that resolves after a newer start is closed at once. */
let starts = 0;

/** Plays `source` with the package's player API (the page is only its UI). */
function start(source: PlaySource, picked?: File): void {
  const token = ++starts;
  session?.close();
  session = undefined;
  hls?.stop();
  hls = undefined;
  pageErrors.length = 0;
  history.reset();
  file = picked;
  play(video, source, {
    fps: settings.fps,
    latency: settings.latency,
    renderer: params.renderer,
    playbackRate: params.rate,
    live: params.live,
    framing: params.framing,
    stallTimeoutMs: params.stallSeconds * 1000,
  }).then(
    (s) => {
      if (token !== starts) {
        s.close();
        return;
      }
      session = s;
      s.addEventListener('outputs', ({ detail }) => history.addOutputs(detail));
      s.addEventListener('change', () => {
        if (view) view.render();
        // The first frame (the WebCodecs renderer's too, which plays no <video>) or an error.
        else if (s.errors.length > 0 || s.state === 'playing') loadPage();
      });
      view?.sessionStarted();
      view?.render();
    },
    (error: unknown) => {
      if (token !== starts) return;
      pageErrors.push(toSessionError(error));
      loadPage();
      view?.render();
    },
  );
  // Visible before the first frame: a hidden <video> presents nothing.
  playerSection.hidden = false;
}

/** Plays an HLS playlist; its module (and hls.js) load only now, off the raw-stream startup path. */
function playHls(src: string): void {
  starts++;
  session?.close();
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

/**
 * Plays a picked or dropped file. Before the page UI has loaded, it waits for it (it is loading at
 * once without a `?src=`): the UI takes what was typed in the fps and latency boxes meanwhile, and a
 * file picked in those first milliseconds plays with them rather than with the defaults.
 */
function playFile(picked: File | undefined): void {
  if (!picked) return;
  if (view) {
    start(picked, picked);
    return;
  }
  loadPage();
  void viewLoading?.then(() => start(picked, picked));
}

/** Plays a URL as typed (see ./stream-url.ts); a URL that cannot be played ends the current session. */
function playUrl(src: string): void {
  if (isHlsUrl(src)) {
    playHls(src);
    return;
  }
  let url: string;
  try {
    url = normaliseStreamUrl(src, location.href).href;
  } catch (error) {
    starts++;
    session?.close();
    session = undefined;
    hls?.stop();
    hls = undefined;
    file = undefined;
    pageErrors.length = 0;
    pageErrors.push(toSessionError(error));
    view?.render();
    return;
  }
  start(url);
}

// Play before the page UI has loaded (its module handles the form): submitted again once it has,
// rather than as the browser's own GET of the form (a reload, and a link with its empty boxes). That
// GET remains the way when the module could not be loaded (`submit()` fires no submit event).
const urlForm = byId<HTMLFormElement>('url-form');
urlForm.addEventListener('submit', (event) => {
  if (view) return;
  event.preventDefault();
  loadPage();
  void viewLoading?.then(() => {
    if (view) urlForm.requestSubmit();
    else urlForm.submit();
  });
});

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
  playUrl(params.src);
  if (pageErrors.length > 0) loadPage();
  // The built page may show the first frame before this bundle runs (vite.config.ts).
  if (!video.paused && video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA) loadPage();
  else video.addEventListener('playing', loadPage, { once: true });
  setTimeout(loadPage, LATE_PAGE_MS);
} else {
  loadPage();
}
