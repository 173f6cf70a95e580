/**
 * The page around the player, loaded by ./main.ts after the startup: shows the session's state,
 * statistics and errors, the save / record controls and the stream inspector. It takes over a session
 * that may already be playing.
 */
import type { TransmuxerOutput } from '../core/index.js';
import { Inspector } from './inspector.js';
import type { InspectorSnapshot } from './inspector.js';
import { describeError } from './messages.js';
import type { PageParams } from './params.js';
import { SaveControls } from './save-view.js';
import type { SaveStatus } from './save-view.js';
import type { Session, SessionError } from './session.js';
import { renderStats } from './stats-view.js';

/** What ./main.ts shares with the page. */
export interface PageHost {
  readonly params: PageParams;
  readonly video: HTMLVideoElement;
  readonly session: Session | undefined;
  /** The picked file of the current session (offers Save as MP4). */
  readonly file: File | undefined;
  /** Errors raised before a session exists (e.g. a bad `?src=`). */
  readonly pageErrors: readonly SessionError[];
  /** The current session's transmuxer outputs so far, handed over once. */
  takeEarlyOutputs(): (readonly TransmuxerOutput[])[];
}

export interface PageView {
  /** A new session was created (before its start): attach the controls and the inspector. */
  sessionStarted(): void;
  render(): void;
  readonly save: SaveStatus;
  readonly inspector: InspectorSnapshot;
}

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html lacks #${id}`);
  return el as T;
}

export function mountPage(host: PageHost): PageView {
  const { params, video } = host;
  // Chromium's media controls (a shadow tree of SVG icons) cost a long style pass: added only now,
  // after the startup.
  video.controls = true;
  byId('toolbar').hidden = false;
  const playerSection = byId('player');
  const errorBox = byId('error');
  const notice = byId('notice');
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
   * construction would otherwise delay the first frame. Outputs that arrive earlier are kept and
   * handed over, so opening it still shows the whole history.
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

  function render(): void {
    const session = host.session;
    const errors = [...host.pageErrors, ...(session?.errors ?? [])];
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

  function sessionStarted(): void {
    const s = host.session;
    if (!s) return;
    s.onChange = render;
    inspectorInstance?.reset();
    earlyOutputs = host.takeEarlyOutputs();
    if (inspectorInstance) {
      for (const outputs of earlyOutputs) inspectorInstance.addOutputs(outputs);
      earlyOutputs = [];
    }
    s.onOutputs = (outputs) => {
      if (inspectorInstance) inspectorInstance.addOutputs(outputs);
      else earlyOutputs.push(outputs);
    };
    saveControls.attach(s, host.file, params.fps);
    playerSection.hidden = false;
    if (!inspectorInstance) {
      if (s.state === 'playing') inspector();
      else {
        video.addEventListener('playing', () => inspector(), { once: true });
        setTimeout(() => inspector(), 1500);
      }
    }
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
    const session = host.session;
    const player = session?.stats.player;
    if (!session || !player) return;
    inspectorInstance?.addLiveSample({
      latency: session.stats.live ? player.latency : undefined,
      bufferedAhead: player.bufferedAhead,
    });
  }, 250);

  setInterval(render, 500);
  byId<HTMLInputElement>('src-input').value = params.src ?? '';
  const q = new URLSearchParams(location.search);
  byId<HTMLInputElement>('fps-input').value = q.get('fps') ?? '';
  byId<HTMLInputElement>('latency-input').value = q.get('latency') ?? '';

  sessionStarted();
  render();
  return {
    sessionStarted,
    render,
    get save() {
      return { ...saveControls.status };
    },
    get inspector() {
      return inspector().snapshot();
    },
  };
}
