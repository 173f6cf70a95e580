/**
 * What the page remembers between visits (localStorage): the latency target, the save layout and
 * target, and the last few stream URLs with their fps and latency. Only these small values: never a
 * file's contents or name. The fps box is not remembered on its own: it overrides the timing of every
 * stream, so a rate left from an earlier visit would silently retime the next file; it comes back
 * with the recent URL it was used with.
 *
 * Storage may be missing or refuse writes (private windows, a full quota): the page then works as
 * if nothing was stored.
 */
import { parseLatency } from './params.js';
import type { PageParams } from './params.js';

export interface StoredSettings {
  /** The latency box as typed ('' when empty). */
  readonly latency: string;
  readonly layout: 'fragmented' | 'faststart' | undefined;
  readonly target: 'disk' | 'download' | undefined;
}

export interface RecentStream {
  readonly src: string;
  readonly fps?: string;
  readonly latency?: string;
}

export const MAX_RECENT = 5;
const SETTINGS_KEY = 'h264mux.settings';
const RECENT_KEY = 'h264mux.recent';

const NO_SETTINGS: StoredSettings = { latency: '', layout: undefined, target: undefined };

function storage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

function read(key: string): string | null {
  try {
    return storage()?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

function write(key: string, value: string | undefined): void {
  try {
    if (value === undefined) storage()?.removeItem(key);
    else storage()?.setItem(key, value);
  } catch {
    // Not stored: the page goes on without remembering.
  }
}

function parseJson(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Settings from their stored JSON; anything unexpected reads as not set. */
export function parseSettings(text: string | null): StoredSettings {
  const value = parseJson(text);
  if (typeof value !== 'object' || value === null) return NO_SETTINGS;
  const v = value as Record<string, unknown>;
  const layout = str(v['layout']);
  const target = str(v['target']);
  return {
    latency: str(v['latency']) ?? '',
    layout: layout === 'fragmented' || layout === 'faststart' ? layout : undefined,
    target: target === 'disk' || target === 'download' ? target : undefined,
  };
}

/** Recent streams from their stored JSON, at most MAX_RECENT; malformed entries are dropped. */
export function parseRecent(text: string | null): RecentStream[] {
  const value = parseJson(text);
  if (!Array.isArray(value)) return [];
  const list: RecentStream[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const entry = item as Record<string, unknown>;
    const src = str(entry['src']);
    if (!src) continue;
    const fps = str(entry['fps']);
    const latency = str(entry['latency']);
    list.push({ src, ...(fps ? { fps } : {}), ...(latency ? { latency } : {}) });
  }
  return list.slice(0, MAX_RECENT);
}

/** `entry` first, any older entry for the same URL removed, at most MAX_RECENT. */
export function withRecent(list: readonly RecentStream[], entry: RecentStream): RecentStream[] {
  return [entry, ...list.filter((e) => e.src !== entry.src)].slice(0, MAX_RECENT);
}

export function loadSettings(): StoredSettings {
  return parseSettings(read(SETTINGS_KEY));
}

export function saveSettings(patch: Partial<StoredSettings>): void {
  write(SETTINGS_KEY, JSON.stringify({ ...loadSettings(), ...patch }));
}

export function loadRecent(): RecentStream[] {
  return parseRecent(read(RECENT_KEY));
}

/** Puts a stream that played at the top of the recent list; returns the new list. */
export function rememberStream(entry: RecentStream): RecentStream[] {
  const list = withRecent(loadRecent(), entry);
  write(RECENT_KEY, JSON.stringify(list));
  return list;
}

export function forgetRecent(): void {
  write(RECENT_KEY, undefined);
}

/** The options a new session is started with; the page's fps and latency boxes change them. */
export interface PlaybackSettings {
  fps: number | undefined;
  latency: number;
}

/** At load: the query's fps and latency; without `?latency=`, the remembered one. */
export function initialSettings(params: PageParams, search: string): PlaybackSettings {
  const remembered = new URLSearchParams(search).has('latency')
    ? undefined
    : parseLatency(loadSettings().latency);
  return { fps: params.fps, latency: remembered ?? params.latency };
}
