/** `clip-12.345s.png` for `clip.h264` at 12.345 s; a URL label keeps its host and last path part. */
export function snapshotName(label: string, seconds: number): string {
  const base =
    label
      .replace(/\.(h264|264|avc|h26l|jsv|bin)$/i, '')
      .replace(/[^\w.-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'frame';
  return `${base}-${seconds.toFixed(3)}s.png`;
}
