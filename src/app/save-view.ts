/**
 * "Save as MP4" for a dropped file and Record / Stop for a live stream.
 *
 * Where the browser has the File System Access API (showSaveFilePicker + createWritable) the file is
 * streamed to disk by the save worker, so a multi-GB file never sits in memory; elsewhere it is built as
 * a Blob and downloaded, which this page refuses above DOWNLOAD_LIMIT_BYTES.
 */
import { fpsText } from '../player/source-pace.js';
import type { Mp4Layout } from '../worker/mp4-file.js';
import type { Recording } from '../worker/protocol.js';
import { SaveJob } from '../worker/save-client.js';
import type { SaveProgress, SaveResult, SaveTarget } from '../worker/save-protocol.js';
import { download } from './download.js';
import type { Session } from './session.js';

/** Largest MP4 built in memory for a download (Blob); bigger files need the File System Access API. */
export const DOWNLOAD_LIMIT_BYTES = 2 * 2 ** 30;
/** Largest recording held in memory (the worker stops keeping media beyond it). */
export const RECORD_LIMIT_BYTES = 512 * 2 ** 20;

interface SaveFilePickerOptions {
  readonly suggestedName?: string;
  readonly types?: readonly {
    readonly description: string;
    readonly accept: Readonly<Record<string, readonly string[]>>;
  }[];
}

interface PickerWindow {
  showSaveFilePicker?: (options?: SaveFilePickerOptions) => Promise<FileSystemFileHandle>;
}

const MP4_TYPES = [{ description: 'MP4 video', accept: { 'video/mp4': ['.mp4'] } }] as const;

export function hasFileSystemAccess(): boolean {
  return (
    typeof (window as PickerWindow).showSaveFilePicker === 'function' &&
    typeof FileSystemFileHandle !== 'undefined' &&
    'createWritable' in FileSystemFileHandle.prototype
  );
}

/** Opens the browser's save dialog; undefined when the user closes it. Must run in a click handler. */
function pickFile(suggestedName: string): Promise<FileSystemFileHandle | undefined> {
  const w = window as PickerWindow;
  if (!w.showSaveFilePicker) return Promise.resolve(undefined);
  return w.showSaveFilePicker({ suggestedName, types: MP4_TYPES }).catch((error: unknown) => {
    if (error instanceof DOMException && error.name === 'AbortError') return undefined;
    throw error;
  });
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1)} MB`;
}

export function mp4Name(fileName: string): string {
  const base = fileName.replace(/\.(h264|264|avc|h26l|jsv|bin)$/i, '');
  return `${base || 'video'}.mp4`;
}

function recordingName(date = new Date()): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `recording-${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}.mp4`;
}

export type SaveState = 'idle' | 'saving' | 'recording' | 'done' | 'cancelled' | 'error';

/** What the page shows and tests read (window.__h264mux.save). */
export interface SaveStatus {
  readonly state: SaveState;
  readonly message: string;
  readonly fileName: string | undefined;
  readonly bytes: number;
  readonly frames: number;
  readonly layout: Mp4Layout | undefined;
  readonly firstKeyframe: boolean | undefined;
}

export interface SaveControlsElements {
  readonly saveGroup: HTMLElement;
  readonly recordGroup: HTMLElement;
  /** The layout and target choices, shown with Save or Record. */
  readonly options: HTMLElement;
  readonly saveButton: HTMLButtonElement;
  readonly recordButton: HTMLButtonElement;
  readonly stopButton: HTMLButtonElement;
  readonly cancelButton: HTMLButtonElement;
  readonly layout: HTMLSelectElement;
  readonly target: HTMLSelectElement;
  readonly progress: HTMLProgressElement;
  readonly status: HTMLElement;
}

export class SaveControls {
  private file: File | undefined;
  private session: Session | undefined;
  private fps: number | undefined;
  private job: SaveJob | undefined;
  private recordStartBytes = 0;
  private recordStartTime = 0;
  /** The rate a recording is timed at and why, while it runs (shown with its progress). */
  private recordWhy = '';
  private recordTimer: ReturnType<typeof setInterval> | undefined;
  /** Object URL behind the "Download again" link (revoked when replaced). */
  private linkUrl: string | undefined;
  private current: SaveStatus = {
    state: 'idle',
    message: '',
    fileName: undefined,
    bytes: 0,
    frames: 0,
    layout: undefined,
    firstKeyframe: undefined,
  };

  constructor(private readonly ui: SaveControlsElements) {
    const fsa = hasFileSystemAccess();
    const disk = ui.target.querySelector<HTMLOptionElement>('option[value=disk]');
    if (disk && !fsa) {
      disk.disabled = true;
      disk.textContent += ' — not in this browser';
      ui.target.value = 'download';
    }
    ui.target.title = fsa
      ? 'Disk: streamed through the save dialog, any size. Download: built in memory, up to 2 GB.'
      : `This browser has no File System Access API: the MP4 is built in memory and downloaded, up to ${(DOWNLOAD_LIMIT_BYTES / 2 ** 30).toFixed(0)} GB.`;
    ui.saveButton.addEventListener('click', () => void this.save());
    ui.cancelButton.addEventListener('click', () => this.job?.cancel());
    ui.recordButton.addEventListener('click', () => void this.record());
    ui.stopButton.addEventListener('click', () => void this.stop('user'));
  }

  get status(): SaveStatus {
    return this.current;
  }

  /** A new playback: a File offers Save, a live session offers Record. */
  attach(session: Session, file: File | undefined, fps: number | undefined): void {
    this.job?.cancel();
    this.endRecordingUi();
    this.session = session;
    this.file = file;
    this.fps = fps;
    this.show(false, false);
    this.set({ state: 'idle', message: '' });
  }

  /**
   * Shows Save and Record as the page's state allows (a picked H.264 file, a live stream that plays);
   * a save or a recording under way keeps its controls. The layout and target choices show with them.
   */
  show(save: boolean, record: boolean): void {
    const saveShown = (save && this.file !== undefined) || this.job !== undefined;
    const recordShown = record || this.recordTimer !== undefined;
    this.ui.saveGroup.hidden = !saveShown;
    this.ui.recordGroup.hidden = !recordShown;
    this.ui.options.hidden = !saveShown && !recordShown;
  }

  private layout(): Mp4Layout {
    return this.ui.layout.value === 'faststart' ? 'faststart' : 'fragmented';
  }

  private toDisk(): boolean {
    return this.ui.target.value === 'disk' && hasFileSystemAccess();
  }

  private set(patch: Partial<SaveStatus>): void {
    this.current = { ...this.current, ...patch };
    this.ui.status.textContent = this.current.message;
    this.ui.status.dataset['state'] = this.current.state;
  }

  private async save(): Promise<void> {
    const file = this.file;
    if (!file || this.job) return;
    const layout = this.layout();
    const name = mp4Name(file.name);
    let target: SaveTarget;
    if (this.toDisk()) {
      const handle = await pickFile(name);
      if (!handle) {
        this.set({ state: 'cancelled', message: 'Save cancelled.' });
        return;
      }
      target = { kind: 'handle', handle };
    } else {
      if (file.size > DOWNLOAD_LIMIT_BYTES) {
        this.set({
          state: 'error',
          message: `${file.name} is ${mb(file.size)}: too big to build in memory for a download (limit ${(DOWNLOAD_LIMIT_BYTES / 2 ** 30).toFixed(0)} GB). Use Chrome or Edge (they stream to disk), or the CLI: h264mux convert ${file.name} -o ${name}${layout === 'faststart' ? ' --faststart' : ''}`,
        });
        return;
      }
      target = { kind: 'blob', maxBytes: DOWNLOAD_LIMIT_BYTES };
    }
    const job = new SaveJob({ file, layout, fps: this.fps, target }, (p) => this.onProgress(p));
    this.job = job;
    this.busy(true);
    this.set({
      state: 'saving',
      message: `Converting ${file.name} (${layout})…`,
      fileName: name,
      layout,
      bytes: 0,
      frames: 0,
      firstKeyframe: undefined,
    });
    let result: SaveResult;
    try {
      result = await job.result;
    } catch (error) {
      const code = (error as { code?: string }).code;
      this.set(
        code === 'CANCELLED'
          ? { state: 'cancelled', message: 'Save cancelled; nothing was kept.' }
          : {
              state: 'error',
              message: `Could not save: ${error instanceof Error ? error.message : String(error)}`,
            },
      );
      return;
    } finally {
      this.job = undefined;
      this.busy(false);
    }
    if (result.blob) download(result.blob, name);
    const where = result.blob ? 'downloaded' : 'written to disk';
    const warnings = result.warnings.length > 0 ? ` Warnings: ${result.warnings.join('; ')}.` : '';
    this.set({
      state: 'done',
      bytes: result.bytes,
      frames: result.frames,
      message: `${name} ${where}: ${result.frames} frames, ${result.durationSeconds.toFixed(2)} s, ${mb(result.bytes)}, ${layout}.${warnings}`,
    });
    if (result.blob) this.offerLink(result.blob, name);
  }

  private onProgress(p: SaveProgress): void {
    const done = (p.pass - 1 + p.bytesRead / Math.max(1, p.totalBytes)) / p.passes;
    this.ui.progress.value = done;
    const pass =
      p.passes > 1 ? ` pass ${p.pass}/${p.passes}${p.pass === 1 ? ' (sizing)' : ' (writing)'}` : '';
    this.set({
      message: `Converting${pass}: ${(done * 100).toFixed(0)}% — ${p.frames} frames, ${mb(p.bytesWritten)} written`,
      frames: p.frames,
      bytes: p.bytesWritten,
    });
  }

  private busy(on: boolean): void {
    this.ui.progress.hidden = !on;
    this.ui.cancelButton.hidden = !on;
    this.ui.saveButton.disabled = on;
    if (on) this.ui.progress.value = 0;
  }

  private async record(): Promise<void> {
    const session = this.session;
    if (!session || this.recordTimer !== undefined) return;
    const layout = this.layout();
    this.ui.recordButton.disabled = true;
    this.ui.stopButton.disabled = false;
    this.recordStartBytes = session.stats.bytesReceived;
    this.recordStartTime = performance.now();
    // The relay's --fps; else a camera off the rate its stream is timed by: the rate it arrives at.
    const relayFps = this.fps === undefined ? session.serverTimedFps : undefined;
    const arrival =
      this.fps === undefined && relayFps === undefined ? session.arrivalFps : undefined;
    const fps = this.fps ?? relayFps ?? arrival;
    const why =
      relayFps !== undefined
        ? ` (at ${fpsText(relayFps)} fps, the relay's)`
        : arrival !== undefined
          ? ` (at ${fpsText(arrival)} fps, the rate the stream arrives at)`
          : '';
    this.recordWhy = why;
    this.set({
      state: 'recording',
      message: `Recording from the next keyframe${why}…`,
      layout,
      fileName: undefined,
      bytes: 0,
      frames: 0,
      firstKeyframe: undefined,
    });
    this.recordTimer = setInterval(() => this.tickRecording(), 250);
    try {
      await session.recordStart({
        layout,
        maxBytes: RECORD_LIMIT_BYTES,
        ...(fps !== undefined ? { fps } : {}),
      });
    } catch (error) {
      this.endRecordingUi();
      this.set({ state: 'error', message: `Could not record: ${String(error)}` });
    }
  }

  private tickRecording(): void {
    const session = this.session;
    if (!session) return;
    const bytes = session.stats.bytesReceived - this.recordStartBytes;
    const seconds = (performance.now() - this.recordStartTime) / 1000;
    // The rate stays said (it was gone 250 ms after the click).
    this.set({
      message: `● Recording: ${seconds.toFixed(1)} s, ${mb(bytes)} received${this.recordWhy}`,
    });
    // The recording is held in memory: stop at the cap, whatever the user does.
    if (bytes > RECORD_LIMIT_BYTES) void this.stop('limit');
  }

  private endRecordingUi(): void {
    if (this.recordTimer !== undefined) clearInterval(this.recordTimer);
    this.recordTimer = undefined;
    this.ui.recordButton.disabled = false;
    this.ui.stopButton.disabled = true;
  }

  private async stop(reason: 'user' | 'limit'): Promise<void> {
    const session = this.session;
    if (!session || this.recordTimer === undefined) return;
    this.endRecordingUi();
    const name = recordingName();
    // The save dialog needs the click's user activation: open it before awaiting anything.
    const handle = reason === 'user' && this.toDisk() ? pickFile(name) : undefined;
    let recording: Recording;
    try {
      recording = await session.recordStop();
    } catch (error) {
      this.set({
        state: 'error',
        message: `Nothing saved: ${error instanceof Error ? error.message : String(error)}`,
      });
      return;
    }
    const limit =
      reason === 'limit' || recording.capped
        ? ` Stopped at the ${mb(RECORD_LIMIT_BYTES)} in-memory limit.`
        : '';
    let where = 'downloaded';
    const picked = handle ? await handle.catch(() => undefined) : undefined;
    if (picked) {
      try {
        await recording.blob.stream().pipeTo(await picked.createWritable());
        where = 'written to disk';
      } catch (error) {
        where = `not written to disk (${String(error)}); downloaded instead`;
        download(recording.blob, name);
      }
    } else {
      download(recording.blob, name);
    }
    this.set({
      state: 'done',
      fileName: name,
      bytes: recording.blob.size,
      frames: recording.frames,
      firstKeyframe: recording.firstKeyframe,
      message: `${name} ${where}: ${recording.frames} frames, ${recording.durationSeconds.toFixed(2)} s, ${mb(recording.blob.size)}, ${recording.layout}.${limit}`,
    });
    this.offerLink(recording.blob, name);
  }

  /** A visible link too, in case the browser blocked the automatic download. */
  private offerLink(blob: Blob, name: string): void {
    if (this.linkUrl !== undefined) URL.revokeObjectURL(this.linkUrl);
    this.linkUrl = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = this.linkUrl;
    a.download = name;
    a.textContent = 'Download again';
    a.className = 'again';
    this.ui.status.append(' ', a);
  }
}
