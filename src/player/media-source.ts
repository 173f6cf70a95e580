/**
 * MediaSource / ManagedMediaSource selection (iOS Safari has only ManagedMediaSource, which opens
 * only when remote playback is disabled or an alternative source is given).
 */

export interface MediaSourceKind {
  readonly name: 'MediaSource' | 'ManagedMediaSource';
  readonly ctor: typeof MediaSource;
}

interface MaybeManagedWindow {
  readonly MediaSource?: typeof MediaSource;
  readonly ManagedMediaSource?: typeof MediaSource;
}

/** The MediaSource constructor to use, or undefined when the browser has no MSE at all. */
export function findMediaSource(): MediaSourceKind | undefined {
  const w = globalThis as unknown as MaybeManagedWindow;
  if (typeof w.MediaSource === 'function') return { name: 'MediaSource', ctor: w.MediaSource };
  if (typeof w.ManagedMediaSource === 'function') {
    return { name: 'ManagedMediaSource', ctor: w.ManagedMediaSource };
  }
  return undefined;
}

/** MediaSource.isTypeSupported through whichever constructor exists. */
export function isTypeSupported(mimeType: string): boolean {
  const kind = findMediaSource();
  return kind !== undefined && kind.ctor.isTypeSupported(mimeType);
}
