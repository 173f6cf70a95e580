/**
 * The page around the player, loaded by ./main.ts after the startup: shows the session's state,
 * statistics and errors, the save / record controls, the snapshot and share buttons, the recent
 * streams and the stream inspector. It takes over a session that may already be playing.
 *
 * What is shown follows one explicit state (./view-state.ts), derived on every render.
 */
import { download } from './download.js';
import type { Inspector, InspectorSnapshot } from './inspector.js';
import type { InspectorHistory } from './inspector-history.js';
import { codeSpans, describeError } from './messages.js';
import { FPS_RULE, parseFps, parseLatency } from './params.js';
import type { PageParams } from './params.js';
import { SaveControls } from './save-view.js';
import type { SaveStatus } from './save-view.js';
import type { HlsPlayback } from './hls-playback.js';
import type { Session, SessionError } from './session.js';
import {
  forgetRecent,
  loadRecent,
  loadSettings,
  rememberStream,
  saveSettings,
} from './settings.js';
import type { PlaybackSettings, RecentStream } from './settings.js';
import { copyText, streamLink } from './share.js';
import { installShortcuts, renderShortcutHelp } from './shortcuts.js';
import type { Shortcut } from './shortcuts.js';
import { videoSnapshot } from '../play/snapshot.js';
import { snapshotName } from './snapshot.js';
import { renderStats, statsRows } from './stats-view.js';
import type { StatsSource } from './stats-view.js';
import { normaliseStreamUrl } from './stream-url.js';
import { shownFor, viewState } from './view-state.js';
import type { SourceShape } from './view-state.js';

/** What ./main.ts shares with the page. */
export interface PageHost {
  readonly params: PageParams;
  /** fps and latency for the next session (the page's boxes write them). */
  readonly settings: PlaybackSettings;
  readonly video: HTMLVideoElement;
  readonly session: Session | undefined;
  /** An HLS playlist playing without a session: shown like a live session, without save, record or inspector. */
  readonly hls: HlsPlayback | undefined;
  /** The picked file of the current session (offers Save as MP4). */
  readonly file: File | undefined;
  /** Errors raised before a session exists (e.g. a bad `?src=`). */
  readonly pageErrors: readonly SessionError[];
  /** What the inspector shows of the current session, kept from its start. */
  readonly history: InspectorHistory;
  /** Plays a picked file (again) with the current settings. */
  playFile(file: File): void;
  /** Plays a URL (absolute, or as typed) with the current settings. */
  playUrl(src: string): void;
}

export interface PageView {
  /** A new session was created (before its start): attach the controls and the inspector. */
  sessionStarted(): void;
  render(): void;
  readonly save: SaveStatus;
  /** Undefined until the inspector is first opened (its module loads then). */
  readonly inspector: InspectorSnapshot | undefined;
}

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html lacks #${id}`);
  return el as T;
}

const PAGE_TITLE = document.title;

/** A short name for what plays: the file name, or the URL's host and path. */
function streamLabel(file: File | undefined, src: string | undefined): string {
  if (file) return file.name;
  if (!src) return '';
  try {
    const url = new URL(src);
    return `${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return src;
  }
}

/** The session's source as the view knows it. */
function sourceShape(session: Session, file: File | undefined): SourceShape {
  if (file) return 'local-file';
  return session.stats.live ? 'live' : 'remote-file';
}

export function mountPage(host: PageHost): PageView {
  const { params, video, settings } = host;
  const playerSection = byId('player');
  const errorBox = byId('error');
  const notice = byId('notice');
  const toolbar = byId('toolbar');
  const stats = byId('stats');
  const srcInput = byId<HTMLInputElement>('src-input');
  const fpsInput = byId<HTMLInputElement>('fps-input');
  const latencyInput = byId<HTMLInputElement>('latency-input');
  const urlNote = byId('url-note');
  const toolStatus = byId('tool-status');
  const snapshotButton = byId<HTMLButtonElement>('snapshot-button');
  const shareButton = byId<HTMLButtonElement>('share-button');
  const shareField = byId<HTMLInputElement>('share-link');
  const layoutSelect = byId<HTMLSelectElement>('layout-select');
  const targetSelect = byId<HTMLSelectElement>('target-select');
  const saveControls = new SaveControls({
    saveGroup: byId('save-group'),
    recordGroup: byId('record-group'),
    options: byId('save-options'),
    saveButton: byId<HTMLButtonElement>('save-button'),
    recordButton: byId<HTMLButtonElement>('record-button'),
    stopButton: byId<HTMLButtonElement>('stop-button'),
    cancelButton: byId<HTMLButtonElement>('cancel-button'),
    layout: layoutSelect,
    target: targetSelect,
    progress: byId<HTMLProgressElement>('save-progress'),
    status: byId('save-status'),
  });
  const inspectorPanel = byId('inspector');
  const inspectorToggle = byId<HTMLButtonElement>('inspector-toggle');
  /**
   * The inspector (DOM, three uPlot charts) is loaded and built when first opened: uPlot and the Intl
   * data it loads take a long main-thread task, which at startup would hold the first frames of a
   * renderer on the main thread. It then draws the session's whole history (`host.history`).
   */
  let inspectorInstance: Inspector | undefined;
  let inspectorLoading: Promise<Inspector> | undefined;
  /** The inspector's state as the user last asked (it may still be loading). */
  let inspectorOpen = false;
  function loadInspector(): Promise<Inspector> {
    inspectorLoading ??= import('./inspector.js').then(({ Inspector }) => {
      inspectorInstance = new Inspector(inspectorPanel, host.history);
      return inspectorInstance;
    });
    return inspectorLoading;
  }

  /** The URL and the box values the current session was started with ('' for a file's src). */
  let started = { src: '', fps: '', latency: '', remembered: false };
  /** The error on screen: its live region is rewritten (and announced) only when it changes. */
  let shownError: SessionError | undefined;

  function render(): void {
    const session = host.session;
    const playback = session ?? host.hls;
    // The WebCodecs renderer paints a canvas next to the video, which then stays hidden (and empty).
    const canvas = session?.canvas;
    const painted = canvas !== undefined && (session?.stats.renderer?.painted ?? 0) > 0;
    const identified = (playback?.stats.initSegments ?? 0) > 0;
    const view = viewState({
      session: playback?.state,
      errors: [...host.pageErrors, ...(playback?.errors ?? [])],
      notice: playback?.notice ?? '',
      source: session ? sourceShape(session, host.file) : undefined,
      identified,
      // Nothing identified, no picture: the early renderer's track on the <video> has a current frame
      // (Chromium: 2x2, black) before any of the stream's.
      pictures: painted || (identified && video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA),
    });
    const shown = shownFor(view);
    if (shown.error && shown.error !== shownError) {
      const { title, message } = describeError(shown.error);
      byId('error-title').textContent = title;
      byId('error-message').replaceChildren(
        ...codeSpans(message).map((part) => {
          if (!part.code) return part.text;
          const code = document.createElement('code');
          code.textContent = part.text;
          return code;
        }),
      );
    }
    shownError = shown.error;
    errorBox.hidden = !shown.error;
    if (notice.textContent !== shown.notice) notice.textContent = shown.notice;
    notice.hidden = shown.notice === '';
    video.hidden = !shown.video || canvas !== undefined;
    if (canvas) canvas.hidden = !shown.video;
    if (video.controls !== shown.mediaControls) video.controls = shown.mediaControls;
    toolbar.hidden = !shown.toolbar;
    if (!shown.toolbar && !inspectorPanel.hidden) toggleInspector();
    snapshotButton.hidden = !shown.snapshot;
    shareButton.hidden = !shown.toolbar || started.src === '';
    if (shareButton.hidden) shareField.hidden = true;
    saveControls.show(shown.save, shown.record);
    stats.hidden = !shown.stats;
    if (playback && shown.stats) {
      renderStats(
        byId('stats-list'),
        byId('warnings'),
        statsRows(playback.stats, session ? statsSource(session) : { kind: 'live' }),
        playback.warnings,
      );
    }
    if (view.kind === 'active' || view.kind === 'failed') inspectorInstance?.setLive(isLive());
    // A URL that played is worth offering again next time (a typo or a dead host is not).
    if (view.kind === 'active' && view.phase === 'playing' && started.src && !started.remembered) {
      started.remembered = true;
      const entry: RecentStream = {
        src: started.src,
        ...(started.fps ? { fps: started.fps } : {}),
        ...(started.latency ? { latency: started.latency } : {}),
      };
      renderRecent(rememberStream(entry));
    }
  }

  function isLive(): boolean {
    return host.session?.stats.live === true;
  }

  function statsSource(session: Session): StatsSource {
    if (session.stats.live) return { kind: 'live' };
    return {
      kind: 'file',
      size: host.file?.size,
      readComplete: session.readComplete,
      position: video.currentTime,
      duration: video.duration,
    };
  }

  function sessionStarted(): void {
    const s = host.session;
    if (!s) return;
    // ./main.ts renders on the session's 'change' events.
    inspectorInstance?.reset();
    saveControls.attach(s, host.file, settings.fps);
    const src = host.file ? '' : s.stats.source;
    started = {
      src,
      fps: fpsInput.value.trim(),
      latency: latencyInput.value.trim(),
      remembered: false,
    };
    const label = streamLabel(host.file, src);
    document.title = label ? `${label} — h264mux` : PAGE_TITLE;
    toolStatus.textContent = '';
    shareField.hidden = true;
    playerSection.hidden = false;
  }

  function toggleInspector(): void {
    const open = (inspectorOpen = !inspectorOpen);
    playerSection.classList.toggle('inspecting', open);
    inspectorToggle.setAttribute('aria-pressed', String(open));
    loadInspector()
      .then((inspector) => {
        // The last click wins: clicks while it loaded only changed the wish.
        inspector.setOpen(inspectorOpen);
        if (inspectorOpen) inspector.setLive(isLive());
      })
      .catch((error: unknown) => {
        inspectorLoading = undefined;
        toolStatus.textContent = `The inspector did not load: ${String(error)}`;
      });
  }
  inspectorToggle.addEventListener('click', toggleInspector);
  // Disabled in the HTML until now: a click before the page UI had loaded did nothing.
  inspectorToggle.disabled = false;

  // ---- The form: URL as typed, fps and latency boxes -------------------------------------------

  /** Reads a box into the settings; an invalid value is reported at the box and not applied. */
  function readBox(
    input: HTMLInputElement,
    parse: (v: string) => number | undefined,
    what: string,
  ): boolean {
    const text = input.value.trim();
    const ok = text === '' || parse(text) !== undefined;
    input.setCustomValidity(ok ? '' : what);
    input.setAttribute('aria-invalid', String(!ok));
    if (!ok) input.reportValidity();
    return ok;
  }

  function readBoxes(): boolean {
    const fpsOk = readBox(fpsInput, parseFps, `fps: ${FPS_RULE}`);
    const latencyOk = readBox(
      latencyInput,
      parseLatency,
      'latency: auto, or seconds, 0 or more (e.g. 0.5)',
    );
    if (fpsOk && latencyOk) takeBoxes();
    return fpsOk && latencyOk;
  }

  /** The boxes' values become the settings of the next session (a file dropped now uses them). */
  function takeBoxes(): void {
    const fps = fpsInput.value.trim();
    const latency = latencyInput.value.trim();
    if (fps === '' || parseFps(fps) !== undefined) settings.fps = parseFps(fps);
    if (latency === '' || parseLatency(latency) !== undefined) {
      settings.latency = parseLatency(latency) ?? 0;
      saveSettings({ latency });
    }
  }

  /** Says in the page which scheme was assumed for a URL typed without one. */
  function noteUrl(text: string): void {
    try {
      const url = normaliseStreamUrl(text, location.href);
      urlNote.textContent = url.assumed
        ? `No scheme given: assuming ${url.assumed} (${url.href}).`
        : '';
    } catch {
      urlNote.textContent = '';
    }
  }

  /** Plays what the URL box holds and makes the address bar a link to it. */
  function playTyped(): void {
    const text = srcInput.value.trim();
    noteUrl(text);
    let src = text;
    try {
      src = normaliseStreamUrl(text, location.href).href;
      srcInput.value = src;
      history.pushState(null, '', streamLink(src, fpsInput.value, latencyInput.value));
    } catch {
      // host.playUrl reports the bad URL.
    }
    host.playUrl(src);
  }

  // Back and Forward through links pushed by Play: the page plays what the address says.
  window.addEventListener('popstate', () => location.reload());

  byId<HTMLFormElement>('url-form').addEventListener('submit', (event) => {
    event.preventDefault();
    if (!readBoxes()) return;
    if (srcInput.value.trim() !== '') playTyped();
    else if (host.file) host.playFile(host.file);
  });

  // A file restarts with a new frame rate at once; a URL takes it on the next Play.
  fpsInput.addEventListener('change', () => {
    if (!readBoxes()) return;
    if (host.file && fpsInput.value.trim() !== started.fps) host.playFile(host.file);
  });
  latencyInput.addEventListener('change', () => void readBoxes());
  for (const input of [fpsInput, latencyInput]) {
    input.addEventListener('input', () => {
      input.setCustomValidity('');
      input.removeAttribute('aria-invalid');
      takeBoxes();
    });
  }

  // ---- Recent streams -------------------------------------------------------------------------

  const recent = byId('recent');
  function renderRecent(list: readonly RecentStream[]): void {
    recent.hidden = list.length === 0;
    recent.querySelector('ul')?.replaceChildren(
      ...list.map((entry) => {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'link';
        button.textContent = streamLabel(undefined, entry.src);
        const extras = [
          entry.fps ? `fps ${entry.fps}` : '',
          entry.latency ? `latency ${entry.latency} s` : '',
        ]
          .filter(Boolean)
          .join(', ');
        button.title = `${entry.src}${extras ? ` (${extras})` : ''}`;
        button.addEventListener('click', () => {
          srcInput.value = entry.src;
          fpsInput.value = entry.fps ?? '';
          latencyInput.value = entry.latency ?? '';
          if (readBoxes()) playTyped();
        });
        const li = document.createElement('li');
        li.append(button);
        return li;
      }),
    );
  }
  byId('recent-forget').addEventListener('click', () => {
    forgetRecent();
    renderRecent([]);
    srcInput.focus();
  });

  // ---- Snapshot and share ---------------------------------------------------------------------

  function snapshot(): void {
    if (snapshotButton.hidden) return;
    // An HLS stream plays in the <video> alone.
    const shot = host.session ? host.session.snapshot() : videoSnapshot(video);
    shot.then(
      (shot) => {
        const name = snapshotName(streamLabel(host.file, started.src) || 'frame', shot.mediaTime);
        download(shot.png, name);
        toolStatus.textContent = `Saved ${name} (${shot.width}×${shot.height}).`;
      },
      (error: unknown) => {
        toolStatus.textContent = `No snapshot: ${error instanceof Error ? error.message : String(error)}.`;
      },
    );
  }
  snapshotButton.addEventListener('click', snapshot);

  shareButton.addEventListener('click', () => {
    const link = streamLink(started.src, started.fps, started.latency);
    void copyText(link, shareField).then((copied) => {
      toolStatus.textContent = copied
        ? 'Link copied.'
        : 'The browser did not allow copying here: the link is selected, copy it with Ctrl+C (⌘C).';
    });
  });

  // ---- Keyboard --------------------------------------------------------------------------------

  const shortcuts: Shortcut[] = [
    {
      keys: [' '],
      label: 'space',
      does: 'play/pause',
      run: () => {
        if (video.hidden || !host.session) return;
        if (video.paused) void video.play().catch(() => undefined);
        else video.pause();
      },
    },
    {
      keys: ['f', 'F'],
      label: 'f',
      does: 'fullscreen',
      run: () => {
        if (document.fullscreenElement) void document.exitFullscreen();
        else if (!video.hidden) void video.requestFullscreen().catch(() => undefined);
      },
    },
    {
      keys: ['i', 'I'],
      label: 'i',
      does: 'inspector',
      run: () => {
        if (!toolbar.hidden) toggleInspector();
      },
    },
    { keys: ['s', 'S'], label: 's', does: 'snapshot (PNG)', run: snapshot },
  ];
  installShortcuts(shortcuts);
  renderShortcutHelp(byId('shortcuts'), shortcuts);

  // ---- Startup ---------------------------------------------------------------------------------

  // Latency and buffer sparklines: 4 samples a second from the running session.
  setInterval(() => {
    const session = host.session;
    const player = session?.stats.player;
    if (!session || !player) return;
    host.history.addLiveSample(
      {
        latency: session.stats.live ? player.latency : undefined,
        bufferedAhead: player.bufferedAhead,
      },
      performance.now() / 1000,
    );
  }, 250);

  setInterval(render, 500);
  // The boxes: the address's values, else what was typed before this module loaded (kept, and taken
  // for the next session), else (latency) the remembered one.
  const q = new URLSearchParams(location.search);
  if (params.src) {
    srcInput.value = params.src;
    noteUrl(params.src);
  }
  const typed = fpsInput.value.trim() !== '' || latencyInput.value.trim() !== '';
  if (q.has('fps')) {
    const text = q.get('fps') ?? '';
    fpsInput.value = text;
    // A link's fps that is not one is said (the stream's own rate is used), not taken silently.
    if (text.trim() !== '' && parseFps(text) === undefined) {
      fpsInput.setCustomValidity(`fps: ${FPS_RULE}`);
      fpsInput.setAttribute('aria-invalid', 'true');
      urlNote.textContent =
        `${urlNote.textContent ?? ''} fps=${text} is not ${FPS_RULE}: ignored, the stream's own rate is used.`.trim();
    }
  }
  const stored = loadSettings();
  latencyInput.value = q.get('latency') ?? (latencyInput.value.trim() || stored.latency);
  if (typed) readBoxes();
  if (stored.layout) layoutSelect.value = stored.layout;
  const target = [...targetSelect.options].find((o) => o.value === stored.target);
  if (target && !target.disabled) targetSelect.value = target.value;
  layoutSelect.addEventListener('change', () =>
    saveSettings({ layout: layoutSelect.value === 'faststart' ? 'faststart' : 'fragmented' }),
  );
  targetSelect.addEventListener('change', () =>
    saveSettings({ target: targetSelect.value === 'disk' ? 'disk' : 'download' }),
  );
  renderRecent(loadRecent());

  sessionStarted();
  render();
  return {
    sessionStarted,
    render,
    get save() {
      return { ...saveControls.status };
    },
    get inspector() {
      return inspectorInstance?.snapshot();
    },
  };
}
