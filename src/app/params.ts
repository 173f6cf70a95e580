/**
 * Page options from the query string: `?src=`, `?fps=`, `?latency=`, `?renderer=`, `?framing=`,
 * `?rate=`, `?stall=`, `?live=`.
 */
import { MAX_FPS, MIN_FPS } from '../core/h264/timing.js';
import type { RendererChoice } from '../play/player.js';
import { parseFramingOption } from '../sources/framing.js';
import type { WsFraming } from '../sources/framing.js';

export interface PageParams {
  /** Stream URL to play at once. */
  readonly src: string | undefined;
  /** Frame rate override. */
  readonly fps: number | undefined;
  /** Live: the playout delay in seconds (0, also written `auto`: adaptive). */
  readonly latency: number;
  /** Live: the renderer (`mse`, `webcodecs`, `webcodecs-canvas`, `auto`; default auto). */
  readonly renderer: RendererChoice | undefined;
  /** WebSocket framing override (see src/sources/framing.ts). */
  readonly framing: WsFraming | undefined;
  /** File playback rate. */
  readonly rate: number;
  /** Reconnect after this many seconds without data. */
  readonly stallSeconds: number;
  /** Force live/file handling of an HTTP URL. */
  readonly live: boolean | undefined;
}

/** The query parameters, in the order a link writes them. */
export const PARAM_NAMES = [
  'src',
  'fps',
  'latency',
  'renderer',
  'framing',
  'live',
  'stall',
  'rate',
] as const;
export type ParamName = (typeof PARAM_NAMES)[number];

/** A positive number or a ratio such as "30000/1001"; undefined when empty or invalid. */
export function parsePositive(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const parts = value.split('/');
  const n = parts.length === 2 ? Number(parts[0]) / Number(parts[1]) : Number(value);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** What a frame rate may be, for the page's words. */
export const FPS_RULE = `a frame rate from ${MIN_FPS} to ${MAX_FPS}, such as 25 or 30000/1001`;

/**
 * A frame rate (MIN_FPS..MAX_FPS, a number or a ratio such as "30000/1001"); undefined when empty or
 * invalid. Out of range it was taken, and the transmuxer refused it: a fatal "Error" for a typo in a link.
 */
export function parseFps(value: string | null): number | undefined {
  const n = parsePositive(value);
  return n !== undefined && n >= MIN_FPS && n <= MAX_FPS ? n : undefined;
}

/** A latency in seconds (0 or more; `auto` is 0: adaptive); undefined when empty or invalid. */
export function parseLatency(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (value.trim().toLowerCase() === 'auto') return 0;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** A renderer choice; undefined when absent or unknown. */
export function parseRenderer(value: string | null): RendererChoice | undefined {
  const v = value?.trim().toLowerCase();
  return v === 'mse' || v === 'webcodecs' || v === 'webcodecs-canvas' || v === 'auto'
    ? v
    : undefined;
}

export function readParams(search: string): PageParams {
  const q = new URLSearchParams(search);
  const src = q.get('src')?.trim();
  const live = q.get('live');
  return {
    src: src ? src : undefined,
    fps: parseFps(q.get('fps')),
    latency: parseLatency(q.get('latency')) ?? 0,
    renderer: parseRenderer(q.get('renderer')),
    framing: parseFramingOption(q.get('framing')),
    rate: Math.min(16, parsePositive(q.get('rate')) ?? 1),
    stallSeconds: parsePositive(q.get('stall')) ?? 5,
    live:
      live === '1' || live === 'true' ? true : live === '0' || live === 'false' ? false : undefined,
  };
}

/**
 * The query of a link to a stream (`?src=…&fps=…`), in PARAM_NAMES order. Empty values are left out:
 * a link carries only what was set.
 */
export function linkQuery(values: Readonly<Partial<Record<ParamName, string>>>): string {
  const q = new URLSearchParams();
  for (const name of PARAM_NAMES) {
    const value = values[name]?.trim();
    if (value) q.set(name, value);
  }
  const query = q.toString();
  return query === '' ? '' : `?${query}`;
}

/** The raw reading options (`renderer`, `framing`, `live`, `stall`, `rate`) of a query, for a link that keeps them. */
export function readingOptions(search: string): Partial<Record<ParamName, string>> {
  const q = new URLSearchParams(search);
  const kept: Partial<Record<ParamName, string>> = {};
  for (const name of ['renderer', 'framing', 'live', 'stall', 'rate'] as const) {
    const value = q.get(name);
    if (value !== null) kept[name] = value;
  }
  return kept;
}
