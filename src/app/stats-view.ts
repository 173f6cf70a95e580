/**
 * The statistics panel: a definition list rebuilt from a SessionStats snapshot, with the fields that fit
 * the source. A file has a duration, a position, frames read and a read progress; a live stream has a
 * bitrate, a latency, a received frame rate and reconnects.
 */
import { fpsText } from '../player/source-pace.js';
import type { SessionStats, SessionWarning } from './session.js';

/** What the panel knows beyond the session's stats. */
export type StatsSource =
  | {
      readonly kind: 'file';
      /** Bytes of the file, when known (a picked file; not a file URL). */
      readonly size: number | undefined;
      /** The whole file has been read. */
      readonly readComplete: boolean;
      /** The video's currentTime and duration, in seconds. */
      readonly position: number;
      readonly duration: number;
    }
  | { readonly kind: 'live' };

function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '∞';
}

function mb(bytes: number): string {
  return `${fmt(bytes / 1e6, 2)} MB`;
}

const FPS_SOURCES = {
  vui: 'stream VUI',
  option: "fps setting (?fps=, or the relay's --fps)",
  default: 'default: no timing in the stream; set the fps box',
} as const;

function fileRows(stats: SessionStats, file: StatsSource & { kind: 'file' }): [string, string][] {
  const fps = stats.info?.fps;
  const duration = Number.isFinite(file.duration) && file.duration > 0;
  // The frame on screen; at the very end currentTime equals the duration, past the last frame's start.
  const index = fps
    ? Math.min(
        Math.floor(file.position * fps + 1e-6),
        duration ? Math.ceil(file.duration * fps - 1e-6) - 1 : Infinity,
      )
    : undefined;
  const frame = index !== undefined ? ` (frame ${Math.max(0, index)})` : '';
  // How far the file has been read: a seek's re-reads are not counted again (a 1.59 MB file read
  // "complete, 3.05 MB" after a few seeks back).
  const bytes = stats.fileBytesRead ?? stats.bytesReceived;
  const read = file.readComplete
    ? `complete, ${mb(bytes)}`
    : file.size
      ? `${mb(bytes)} of ${mb(file.size)} (${fmt(Math.min(100, (bytes / file.size) * 100), 0)}%)`
      : mb(bytes);
  return [
    [
      'Duration',
      duration ? `${fmt(file.duration, 2)} s${file.readComplete ? '' : ' (estimated)'}` : '—',
    ],
    ['Position', `${fmt(file.position, 2)} s${frame}`],
    ['Frames', `${stats.framesMuxed} read${file.readComplete ? '' : ' so far'}`],
    ['Read', read],
  ];
}

const RENDERER_NAMES = {
  video: 'MSE (<video>)',
  canvas: 'WebCodecs (<canvas>)',
  track: 'WebCodecs from the worker (<video>)',
} as const;

function liveRows(stats: SessionStats): [string, string][] {
  const p = stats.player;
  const r = stats.renderer;
  const rows: [string, string][] = [['Bitrate', `${fmt(stats.bitrate / 1000, 0)} kbit/s`]];
  if (p)
    rows.push([
      'Live latency',
      `${fmt(p.latency * 1000, 0)} ms (playback rate ${fmt(p.playbackRate, 2)})`,
    ]);
  if (r)
    rows.push(
      ['Renderer', RENDERER_NAMES[r.output]],
      [
        'Playout delay',
        `${fmt(r.targetDelayMs, 0)} ms target (jitter p99 ${fmt(r.jitterMs, 0)} ms)`,
      ],
      ['Stalls', `${fmt(r.stallsPerMinute, 1)} per minute`],
      ['Late / skipped', `${r.late} late, ${r.skipped} skipped frames`],
    );
  // A source off its timeline's pace, which the playout follows.
  if (r && stats.info && Math.abs(r.sourcePace - 1) > 0.01)
    rows.push([
      'Source pace',
      `${fmt(stats.info.fps * r.sourcePace, 1)} fps arriving, played so (timeline ${fpsText(stats.info.fps)} fps)`,
    ]);
  rows.push(
    ['Frame rate', `${fmt(stats.receivedFps)} received, ${fmt(stats.presentedFps)} decoded per s`],
    ['Received', `${mb(stats.bytesReceived)}, ${stats.framesMuxed} frames`],
    [
      'Reconnects',
      `${stats.reconnects}${stats.reconnectAttempts > stats.reconnects ? ` (${stats.reconnectAttempts} attempt${stats.reconnectAttempts === 1 ? '' : 's'})` : ''}`,
    ],
  );
  return rows;
}

export function statsRows(stats: SessionStats, source: StatsSource): [string, string][] {
  const info = stats.info;
  const p = stats.player;
  const rows: [string, string][] = [
    ['State', stats.state],
    [
      'Source',
      `${stats.sourceKind}${source.kind === 'live' ? ' (live)' : ''}${stats.accessUnitFraming ? ', access-unit framing' : ''}`,
    ],
  ];
  if (info) {
    const display =
      info.displayWidth !== info.width || info.displayHeight !== info.height
        ? ` (display ${info.displayWidth}×${info.displayHeight})`
        : '';
    rows.push(
      [
        'Resolution',
        `${info.width}×${info.height}${display}${info.interlaced ? ' interlaced' : ''}`,
      ],
      ['Profile / level', `${info.profile} / ${info.level}`],
      ['Codec', info.codec],
      ['fps (nominal)', `${fmt(info.fps, 3)} from ${FPS_SOURCES[info.fpsSource]}`],
      ['B-frames', info.hasBFrames ? 'yes' : 'no'],
    );
  }
  rows.push(...(source.kind === 'file' ? fileRows(stats, source) : liveRows(stats)));
  if (p) {
    rows.push(
      ['Decoded', `${p.decodedFrames} frames, ${p.droppedFrames} dropped`],
      [
        'Buffered',
        `${fmt(p.bufferedAhead, 2)} s ahead (${fmt(p.bufferedStart, 1)}–${fmt(p.bufferedEnd, 1)} s)`,
      ],
      ['MSE', `${p.mediaSource}, ${p.appendedSegments} segments, ${p.evictions} evictions`],
    );
  }
  return rows;
}

export function renderStats(
  list: HTMLElement,
  warningList: HTMLElement,
  rows: readonly (readonly [string, string])[],
  warnings: readonly SessionWarning[],
): void {
  const fragment = document.createDocumentFragment();
  for (const [key, value] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = key;
    const dd = document.createElement('dd');
    dd.textContent = value;
    fragment.append(dt, dd);
  }
  list.replaceChildren(fragment);
  warningList.replaceChildren(
    ...warnings.map((w) => {
      const li = document.createElement('li');
      li.textContent = `${w.message}${w.count > 1 ? ` (×${w.count})` : ''}`;
      li.dataset['code'] = w.code;
      return li;
    }),
  );
}
