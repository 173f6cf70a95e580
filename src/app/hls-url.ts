/** A `?src=` that names an HLS playlist (`.m3u8`, query and fragment aside): played by ./hls-playback.ts. */
export function isHlsUrl(src: string): boolean {
  return /\.m3u8(?:[?#]|$)/i.test(src);
}
