/**
 * The LL-HLS media playlist as text: pure functions from a plain model, no state, no I/O. Section numbers
 * are those of RFC 8216bis (draft-pantos-hls-rfc8216bis, "HTTP Live Streaming 2nd Edition").
 */

export interface PlaylistPart {
  readonly uri: string;
  /** Seconds. */
  readonly duration: number;
  /** The part starts with a sync sample (IDR or recovery point). */
  readonly independent: boolean;
}

export interface PlaylistSegment {
  /** undefined: the segment in progress (only its parts are listed). */
  readonly uri: string | undefined;
  /** Seconds (complete segments). */
  readonly duration: number;
  /** Listed parts (empty for segments older than the part window). */
  readonly parts: readonly PlaylistPart[];
  /** URI of the init segment when this segment starts a new one (or is the first listed). */
  readonly map: string | undefined;
  readonly discontinuity: boolean;
  /** Wall-clock time of the first sample, ms since the epoch. */
  readonly programDateTime: number;
}

export interface MediaPlaylist {
  /** Whole seconds, ≥ every segment's duration. */
  readonly targetDuration: number;
  /** Seconds, ≥ every part's duration. */
  readonly partTarget: number;
  readonly partHoldBack: number;
  readonly mediaSequence: number;
  readonly discontinuitySequence: number;
  /** Every segment starts with a sync sample. */
  readonly independentSegments: boolean;
  /** Oldest first; the last one may be in progress. */
  readonly segments: readonly PlaylistSegment[];
  /** URI of the next part, before it exists. */
  readonly preloadHint: string | undefined;
  readonly ended: boolean;
}

/** EXT-X-VERSION 6: EXT-X-MAP in a media playlist without EXT-X-I-FRAMES-ONLY (§7); nothing here needs more. */
export const PLAYLIST_VERSION = 6;

/** Decimal seconds as the playlist writes them: up to 5 decimals, trailing zeros dropped. */
export function seconds(value: number): string {
  return String(Math.round(value * 100_000) / 100_000);
}

/** The media playlist text. */
export function mediaPlaylist(p: MediaPlaylist): string {
  const lines = [
    '#EXTM3U', // §4.4.1.1
    `#EXT-X-VERSION:${PLAYLIST_VERSION}`, // §4.4.1.2
    `#EXT-X-TARGETDURATION:${p.targetDuration}`, // §4.4.3.1
    `#EXT-X-MEDIA-SEQUENCE:${p.mediaSequence}`, // §4.4.3.2
  ];
  if (p.discontinuitySequence > 0)
    lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${p.discontinuitySequence}`); // §4.4.3.3
  if (p.independentSegments) lines.push('#EXT-X-INDEPENDENT-SEGMENTS'); // §4.4.2.1
  lines.push(
    `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${seconds(p.partHoldBack)}`, // §4.4.3.8
    `#EXT-X-PART-INF:PART-TARGET=${seconds(p.partTarget)}`, // §4.4.3.7
  );
  for (const s of p.segments) lines.push(...segmentLines(s));
  if (p.preloadHint !== undefined && !p.ended)
    lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${p.preloadHint}"`); // §4.4.5.3
  if (p.ended) lines.push('#EXT-X-ENDLIST'); // §4.4.3.4
  return lines.join('\n') + '\n';
}

function segmentLines(s: PlaylistSegment): string[] {
  const lines: string[] = [];
  if (s.discontinuity) lines.push('#EXT-X-DISCONTINUITY'); // §4.4.4.3
  if (s.map !== undefined) lines.push(`#EXT-X-MAP:URI="${s.map}"`); // §4.4.4.5
  lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s.programDateTime).toISOString()}`); // §4.4.4.6
  for (const part of s.parts) {
    // §4.4.4.9
    lines.push(
      `#EXT-X-PART:DURATION=${seconds(part.duration)},URI="${part.uri}"${part.independent ? ',INDEPENDENT=YES' : ''}`,
    );
  }
  if (s.uri !== undefined) lines.push(`#EXTINF:${seconds(s.duration)},`, s.uri); // §4.4.4.1
  return lines;
}
