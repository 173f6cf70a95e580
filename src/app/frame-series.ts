/**
 * The inspector's data, without DOM or charts: each frame's bar colour, the bitrate over media time,
 * the GOP summary and the resolution changes among the frames held.
 */
import type { InitSegment, SampleInfo } from '../core/index.js';

export type BarKind = 'IDR' | 'recovery' | 'I' | 'P' | 'B';
export const BAR_KINDS: readonly BarKind[] = ['IDR', 'recovery', 'I', 'P', 'B'];
export const BAR_LABELS: Record<BarKind, string> = {
  IDR: 'IDR',
  recovery: 'Recovery point',
  I: 'I',
  P: 'P',
  B: 'B',
};
/** The bar colour of a frame: IDR, else recovery point (SEI), else its slice type. */
export function barKind(s: SampleInfo): BarKind {
  if (s.pictureType === 'IDR') return 'IDR';
  if (s.recoveryPoint) return 'recovery';
  if (s.pictureType === 'I' || s.pictureType === 'SI') return 'I';
  if (s.pictureType === 'B') return 'B';
  return 'P';
}

/** A frame held by the inspector, with the init segment it was decoded with. */
export interface Frame {
  readonly sample: SampleInfo;
  readonly timescale: number;
  readonly init: InitSegment | undefined;
}

/** kbit/s over the last second of media time (decode times in (t − 1 s, t]), at each frame. */
export function bitrateSeries(frames: readonly Frame[]): [number[], number[]] {
  const t: number[] = [];
  const kbps: number[] = [];
  const first = frames[0];
  if (!first) return [t, kbps];
  const origin = first.sample.dts / first.timescale;
  let start = 0;
  let sum = 0;
  let step = 0;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    if (!f) continue;
    const now = f.sample.dts / f.timescale;
    const previous = frames[i - 1];
    if (previous) step = now - previous.sample.dts / previous.timescale;
    sum += f.sample.size;
    for (let head = frames[start]; head && now - head.sample.dts / head.timescale >= 1;) {
      sum -= head.sample.size;
      head = frames[++start];
    }
    // Before a whole second of history, divide by the time the frames held cover.
    const covered = Math.min(1, now - origin + step) || 1;
    t.push(now);
    kbps.push((sum * 8) / 1000 / covered);
  }
  return [t, kbps];
}

/** GOP length and structure of the frames held: "GOP 30 frames (1.00 s): I P P P …". */
export function gopSummary(frames: readonly Frame[]): string {
  const starts: number[] = [];
  frames.forEach((f, i) => {
    if (f.sample.keyframe) starts.push(i);
  });
  if (starts.length === 0) return frames.length > 0 ? 'No keyframe among the frames shown.' : '';
  const lengths: number[] = [];
  for (let i = 1; i < starts.length; i++) lengths.push((starts[i] ?? 0) - (starts[i - 1] ?? 0));
  const first = starts.length >= 2 ? (starts[starts.length - 2] ?? 0) : (starts[0] ?? 0);
  const end = starts.length >= 2 ? (starts[starts.length - 1] ?? 0) : frames.length;
  const gop = frames.slice(first, end);
  const letter = (s: SampleInfo): string =>
    s.pictureType === 'IDR' ? 'I' : s.recoveryPoint ? 'R' : (s.pictureType[0] ?? '?');
  const pattern = gop.map((f) => letter(f.sample)).join('');
  const shown = pattern.length > 48 ? `${pattern.slice(0, 48)}…` : pattern;
  const f0 = gop[0];
  const seconds =
    f0 && gop.length > 1
      ? ((gop[gop.length - 1]?.sample.dts ?? 0) - f0.sample.dts) / f0.timescale +
        ((gop[1]?.sample.dts ?? 0) - f0.sample.dts) / f0.timescale
      : 0;
  const counts = BAR_KINDS.map(
    (k) => [k, gop.filter((f) => barKind(f.sample) === k).length] as const,
  )
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${BAR_LABELS[k]}`)
    .join(', ');
  const shortest = Math.min(...lengths);
  const longest = Math.max(...lengths);
  const range =
    lengths.length > 1
      ? `; GOPs shown: ${shortest === longest ? shortest : `${shortest}–${longest}`} frames`
      : '';
  const complete = starts.length >= 2 ? 'Last GOP' : 'Current GOP (open)';
  return `${complete}: ${gop.length} frames${seconds > 0 ? ` (${seconds.toFixed(2)} s)` : ''} — ${counts}${range}. Decode order: ${shown}`;
}

/** A frame whose picture size differs from the frame before it (a new SPS, e.g. p10's 360p → 720p). */
export interface ResolutionChange {
  /** Frame number (decode order, as the chart's x). */
  readonly frame: number;
  readonly from: string;
  readonly to: string;
}

function sizeOf(init: InitSegment | undefined): string | undefined {
  return init ? `${init.info.width}×${init.info.height}` : undefined;
}

export function resolutionChanges(frames: readonly Frame[]): ResolutionChange[] {
  const changes: ResolutionChange[] = [];
  let previous: Frame | undefined;
  for (const f of frames) {
    if (previous && f.init !== previous.init) {
      const from = sizeOf(previous.init);
      const to = sizeOf(f.init);
      if (from && to && from !== to) changes.push({ frame: f.sample.index, from, to });
    }
    previous = f;
  }
  return changes;
}
