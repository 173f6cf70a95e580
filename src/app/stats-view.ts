/** The statistics panel: a definition list rebuilt from a SessionStats snapshot. */
import type { SessionStats, SessionWarning } from './session.js';

function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '∞';
}

export function statsRows(stats: SessionStats): [string, string][] {
  const info = stats.info;
  const p = stats.player;
  const rows: [string, string][] = [
    ['State', stats.state],
    [
      'Source',
      `${stats.sourceKind}${stats.live ? ' (live)' : ''}${stats.accessUnitFraming ? ', access-unit framing' : ''}`,
    ],
  ];
  if (info) {
    const display =
      info.displayWidth !== info.width || info.displayHeight !== info.height
        ? ` (display ${info.displayWidth}×${info.displayHeight})`
        : '';
    rows.push([
      'Resolution',
      `${info.width}×${info.height}${display}${info.interlaced ? ' interlaced' : ''}`,
    ]);
    rows.push(['Profile / level', `${info.profile} / ${info.level}`]);
    rows.push(['Codec', info.codec]);
    rows.push([
      'fps (nominal)',
      `${fmt(info.fps, 3)} from ${info.fpsSource === 'vui' ? 'stream VUI' : info.fpsSource === 'option' ? '?fps=' : 'default (no timing in stream)'}`,
    ]);
    rows.push(['B-frames', info.hasBFrames ? 'yes' : 'no']);
  }
  rows.push([
    'fps (measured)',
    `${fmt(stats.presentedFps)} decoded, ${fmt(stats.receivedFps)} received`,
  ]);
  rows.push(['Bitrate', `${fmt(stats.bitrate / 1000, 0)} kbit/s`]);
  rows.push(['Received', `${fmt(stats.bytesReceived / 1e6, 2)} MB, ${stats.framesMuxed} frames`]);
  if (p) {
    rows.push([
      'Buffered',
      `${fmt(p.bufferedAhead, 2)} s ahead (${fmt(p.bufferedStart, 1)}–${fmt(p.bufferedEnd, 1)} s)`,
    ]);
    if (stats.live)
      rows.push([
        'Live latency',
        `${fmt(p.latency * 1000, 0)} ms (rate ${fmt(p.playbackRate, 2)})`,
      ]);
    rows.push(['Frames', `${p.decodedFrames} decoded, ${p.droppedFrames} dropped`]);
    rows.push([
      'MSE',
      `${p.mediaSource}, ${p.appendedSegments} segments, ${p.evictions} evictions`,
    ]);
  }
  rows.push([
    'Reconnects',
    `${stats.reconnects}${stats.reconnectAttempts > stats.reconnects ? ` (${stats.reconnectAttempts} attempts)` : ''}`,
  ]);
  return rows;
}

export function renderStats(
  list: HTMLElement,
  warningList: HTMLElement,
  stats: SessionStats,
  warnings: readonly SessionWarning[],
): void {
  const fragment = document.createDocumentFragment();
  for (const [key, value] of statsRows(stats)) {
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
