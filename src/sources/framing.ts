/**
 * WebSocket framing: how a server tells the player that message boundaries are access-unit boundaries.
 *
 * Definition (h264mux relay <-> player, version 1):
 * - A server MAY send, before any binary message, one text message holding the JSON object
 *   `{"framing":"access-unit"}`. From then on every binary message carries exactly one complete H.264
 *   access unit (or the two access units of a complementary field pair: one coded frame) in Annex-B form (start codes included; parameter sets and SEI that belong to the
 *   access unit travel in the same message). The player then pushes each message with
 *   `{ endOfAccessUnit: true }`, so a frame is muxed as soon as it arrives instead of when the next
 *   start code shows up (one frame of latency less).
 * - Without that text message (or with `{"framing":"none"}`), binary messages are arbitrary slices
 *   of the byte stream (RFC 6455 §5.6 data frames with no meaning at their edges), and frame ends
 *   are found from the next start code, as for HTTP.
 * - The announcement MAY carry `"fps": N` (0 < N <= 1000): the frame rate the server times the stream
 *   by because its operator chose it (an h264mux relay's `--fps`, as its HTTP header X-Relay-Fps,
 *   ./relay-protocol.ts). A stream without timing info then plays at N, not at an assumed 30. A relay
 *   with such a rate sends `{"framing":"none","fps":N}` to a `?framing=none` viewer.
 * - A viewer can force access-unit framing with the page option `?framing=au` (for a server that
 *   sends one access unit per message but does not announce it); `?framing=none` ignores an
 *   announcement. Other text messages: a relay's word on its camera (./relay-protocol.ts); anything
 *   else is ignored, and does not count as data (a server that sends only such text stalls).
 */

import { parseObject, plausibleFps } from './relay-protocol.js';

/** Message boundaries carry no meaning / every binary message is one whole access unit. */
export type WsFraming = 'none' | 'access-unit';

/** The JSON a server sends as its first (text) message to announce its framing (and rate). */
export interface FramingAnnouncement {
  readonly framing: WsFraming;
  readonly fps?: number;
}

/** The announcement's text message: `framing`, with the operator's `fps` when there is one. */
export function announcement(framing: WsFraming, fps?: number): string {
  return JSON.stringify({
    framing,
    ...(fps !== undefined ? { fps } : {}),
  } satisfies FramingAnnouncement);
}

/** The announcement in a text message, or undefined when the text is not one. */
export function parseAnnouncement(text: string): FramingAnnouncement | undefined {
  const value = parseObject(text);
  const framing = value?.['framing'];
  if (framing !== 'access-unit' && framing !== 'none') return undefined;
  const fps = plausibleFps(value?.['fps']);
  return fps !== undefined ? { framing, fps } : { framing };
}

/** The page option `framing=` as a forced framing, or undefined for "as the server announces". */
export function parseFramingOption(value: string | null): WsFraming | undefined {
  if (value === null) return undefined;
  const v = value.toLowerCase();
  if (v === 'au' || v === 'access-unit') return 'access-unit';
  if (v === 'none' || v === 'bytes') return 'none';
  return undefined;
}
