/**
 * Page wiring: file picker / drop zone / URL form / `?src=` start a Session; the page shows its
 * state, statistics and errors, and exposes them read-only as `window.__h264mux` for tests.
 */
import { FileSource } from '../sources/file-source.js';
import { HttpSource } from '../sources/http-source.js';
import { SourceError } from '../sources/source.js';
import type { ByteSource } from '../sources/source.js';
import { WebSocketSource } from '../sources/websocket-source.js';
import { Inspector } from './inspector.js';
import type { InspectorSnapshot } from './inspector.js';
import type { TransmuxerOutput } from '../core/index.js';
import { describeError } from './messages.js';
import { readParams } from './params.js';
import type { PageParams } from './params.js';
import { Session, toSessionError } from './session.js';
import type { SessionError, SessionState, SessionStats, SessionWarning } from './session.js';
import { SaveControls } from './save-view.js';
import type { SaveStatus } from './save-view.js';
import { renderStats } from './stats-view.js';

/** Read-only debug view for tests and the console: real values from the running session. */
export interface DebugHook {
  readonly state: SessionState | 'idle';
  readonly stats: SessionStats | undefined;
  readonly errors: readonly SessionError[];
  readonly warnings: readonly SessionWarning[];
  /** Save / record progress and result. */
  readonly save: SaveStatus;
  /** What the inspector holds and last drew. */
  readonly inspector: InspectorSnapshot;
}

declare global {
  interface Window {
    readonly __h264mux: DebugHook;
  }
}

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html lacks #${id}`);
  return el as T;
}

const video = byId<HTMLVideoElement>('video');
const fileInput = byId<HTMLInputElement>('file-input');
const playerSection = byId('player');
const errorBox = byId('error');
const notice = byId('notice');
const params = readParams(location.search);
let session: Session | undefined;
const saveControls = new SaveControls({
  saveGroup: byId('save-group'),
  recordGroup: byId('record-group'),
  saveButton: byId<HTMLButtonElement>('save-button'),
  recordButton: byId<HTMLButtonElement>('record-button'),
  stopButton: byId<HTMLButtonElement>('stop-button'),
  cancelButton: byId<HTMLButtonElement>('cancel-button'),
  layout: byId<HTMLSelectElement>('layout-select'),
  target: byId<HTMLSelectElement>('target-select'),
  progress: byId<HTMLProgressElement>('save-progress'),
  status: byId('save-status'),
});
const inspectorPanel = byId('inspector');
const inspectorToggle = byId<HTMLButtonElement>('inspector-toggle');
/**
 * The inspector (DOM, three uPlot charts) is built once playback has started, not before: its
 * construction would otherwise delay the first frame. Outputs that arrive earlier are kept and handed
 * over, so opening it still shows the whole history.
 */
let inspectorInstance: Inspector | undefined;
let earlyOutputs: (readonly TransmuxerOutput[])[] = [];
function inspector(): Inspector {
  if (!inspectorInstance) {
    inspectorInstance = new Inspector(inspectorPanel);
    for (const outputs of earlyOutputs) inspectorInstance.addOutputs(outputs);
    earlyOutputs = [];
  }
  return inspectorInstance;
}
/** Errors raised before a session exists (e.g. a bad `?src=`). */
const pageErrors: SessionError[] = [];

Object.defineProperty(window, '__h264mux', {
  value: Object.freeze({
    get state() {
      return session?.state ?? (pageErrors.length > 0 ? 'error' : 'idle');
    },
    get stats() {
      return session?.stats;
    },
    get errors() {
      return [...pageErrors, ...(session?.errors ?? [])].map((e) => ({ ...e }));
    },
    get warnings() {
      return (session?.warnings ?? []).map((w) => ({ ...w }));
    },
    get save() {
      return { ...saveControls.status };
    },
    get inspector() {
      return inspector().snapshot();
    },
  } satisfies DebugHook),
});

function fillForm(p: PageParams): void {
  byId<HTMLInputElement>('src-input').value = p.src ?? '';
  const q = new URLSearchParams(location.search);
  byId<HTMLInputElement>('fps-input').value = q.get('fps') ?? '';
  byId<HTMLInputElement>('latency-input').value = q.get('latency') ?? '';
}

function sourceForUrl(src: string, p: PageParams): ByteSource {
  let url: URL;
  try {
    url = new URL(src, location.href);
  } catch {
    throw new SourceError('BAD_URL', `Not a valid URL: ${src}`);
  }
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

function play(source: ByteSource, file?: File): void {
  session?.stop();
  pageErrors.length = 0;
  const s = new Session(video, source, {
    fps: params.fps,
    targetLatency: params.latency,
    playbackRate: params.rate,
  });
  session = s;
  s.onChange = render;
  inspectorInstance?.reset();
  earlyOutputs = [];
  s.onOutputs = (outputs) => {
    if (inspectorInstance) inspectorInstance.addOutputs(outputs);
    else earlyOutputs.push(outputs);
  };
  saveControls.attach(s, file, params.fps);
  playerSection.hidden = false;
  s.start();
  render();
  if (!inspectorInstance) {
    video.addEventListener('playing', () => inspector(), { once: true });
    setTimeout(() => inspector(), 1500);
  }
}

function render(): void {
  const errors = [...pageErrors, ...(session?.errors ?? [])];
  const last = errors[errors.length - 1];
  if (last) {
    const shown = describeError(last);
    byId('error-title').textContent = shown.title;
    byId('error-message').textContent = shown.message;
    errorBox.hidden = false;
  } else {
    errorBox.hidden = true;
  }
  const text = session?.notice ?? '';
  notice.textContent = text;
  notice.hidden = text === '';
  if (session) renderStats(byId('stats-list'), byId('warnings'), session.stats, session.warnings);
  saveControls.update();
}

function toggleInspector(): void {
  const open = inspectorPanel.hidden;
  playerSection.classList.toggle('inspecting', open);
  inspectorToggle.setAttribute('aria-pressed', String(open));
  inspector().setOpen(open);
}
inspectorToggle.addEventListener('click', toggleInspector);

// Latency and buffer sparklines: 4 samples a second from the running session.
setInterval(() => {
  const player = session?.stats.player;
  if (!player) return;
  inspectorInstance?.addLiveSample({
    latency: session?.stats.live ? player.latency : undefined,
    bufferedAhead: player.bufferedAhead,
  });
}, 250);

fileInput.addEventListener('change', () => {
  const file = fileInput.files?.[0];
  if (file) play(new FileSource(file), file);
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
  const file = event.dataTransfer?.files[0];
  if (file) play(new FileSource(file), file);
});

setInterval(render, 500);
fillForm(params);
if (params.src) {
  try {
    play(sourceForUrl(params.src, params));
  } catch (error) {
    pageErrors.push(toSessionError(error));
    render();
  }
}
