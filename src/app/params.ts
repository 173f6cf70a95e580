/** Page options from the query string: `?src=`, `?fps=`, `?latency=`, `?framing=`, `?rate=`, `?stall=`, `?live=`. */
import { parseFramingOption } from '../sources/framing.js';
import type { WsFraming } from '../sources/framing.js';

export interface PageParams {
  /** Stream URL to play at once. */
  readonly src: string | undefined;
  /** Frame rate override. */
  readonly fps: number | undefined;
  /** Live: seconds the playhead may lag the newest frame before catching up (0: at the edge). */
  readonly latency: number;
  /** WebSocket framing override (see src/sources/framing.ts). */
  readonly framing: WsFraming | undefined;
  /** File playback rate. */
  readonly rate: number;
  /** Reconnect after this many seconds without data. */
  readonly stallSeconds: number;
  /** Force live/file handling of an HTTP URL. */
  readonly live: boolean | undefined;
}

function positive(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  // "30000/1001" style rates are accepted too.
  const parts = value.split('/');
  const n = parts.length === 2 ? Number(parts[0]) / Number(parts[1]) : Number(value);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

function nonNegative(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

export function readParams(search: string): PageParams {
  const q = new URLSearchParams(search);
  const src = q.get('src')?.trim();
  const live = q.get('live');
  return {
    src: src ? src : undefined,
    fps: positive(q.get('fps')),
    latency: nonNegative(q.get('latency')) ?? 0,
    framing: parseFramingOption(q.get('framing')),
    rate: Math.min(16, positive(q.get('rate')) ?? 1),
    stallSeconds: positive(q.get('stall')) ?? 5,
    live:
      live === '1' || live === 'true' ? true : live === '0' || live === 'false' ? false : undefined,
  };
}
