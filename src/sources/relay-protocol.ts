/**
 * What an h264mux relay (`h264mux serve`) tells its viewers besides the stream: whether its own source
 * (the camera) is up. A relay can be reachable while the camera behind it is not; a player then keeps
 * its connection and says so, instead of taking the silence for a dead connection.
 *
 * Definition (h264mux relay <-> player, version 1):
 * - WebSocket: a text message holding `{"upstream":"down","reason":"..."}` when the source is down (at
 *   connect time, on the change, and again every UPSTREAM_REPEAT_MS while it stays down, which also
 *   shows that the connection is alive), and `{"upstream":"up"}` when the source streams again; the
 *   stream then resumes at the next keyframe. It follows the framing announcement (./framing.ts).
 * - HTTP (`/stream.h264`): the response header `X-Relay-Upstream: up` or `down`, and with `down`
 *   `X-Relay-Upstream-Reason` (percent-encoded), at connect time. The response stays open while the
 *   source is down; the stream starts at the next keyframe once it is back.
 * A player that knows nothing of this loses nothing: the text message is ignored as any other, and
 * the headers are extra.
 */

export type UpstreamNotice =
  { readonly upstream: 'up' } | { readonly upstream: 'down'; readonly reason: string };

/** Repeat of a `down` notice on WebSocket while the source stays down (ms). */
export const UPSTREAM_REPEAT_MS = 2000;

export const UPSTREAM_HEADER = 'X-Relay-Upstream';
export const UPSTREAM_REASON_HEADER = 'X-Relay-Upstream-Reason';

/** The WebSocket text message for `notice`. */
export function upstreamMessage(notice: UpstreamNotice): string {
  return JSON.stringify(notice);
}

/** The notice in a WebSocket text message, or undefined when the text is something else. */
export function parseUpstreamMessage(text: string): UpstreamNotice | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || !('upstream' in value)) return undefined;
  if (value.upstream === 'up') return { upstream: 'up' };
  if (value.upstream !== 'down') return undefined;
  const reason = 'reason' in value && typeof value.reason === 'string' ? value.reason : '';
  return { upstream: 'down', reason };
}

/** Response headers for `notice` (header values are Latin-1: the reason is percent-encoded). */
export function upstreamHeaders(notice: UpstreamNotice): Record<string, string> {
  return notice.upstream === 'up'
    ? { [UPSTREAM_HEADER]: 'up' }
    : {
        [UPSTREAM_HEADER]: 'down',
        [UPSTREAM_REASON_HEADER]: encodeURIComponent(notice.reason),
      };
}

/** The notice in a response's headers, or undefined when the server sends none (not a relay). */
export function upstreamFromHeaders(headers: {
  get(name: string): string | null;
}): UpstreamNotice | undefined {
  const state = headers.get(UPSTREAM_HEADER);
  if (state === 'up') return { upstream: 'up' };
  if (state !== 'down') return undefined;
  let reason = '';
  try {
    reason = decodeURIComponent(headers.get(UPSTREAM_REASON_HEADER) ?? '');
  } catch {
    // A malformed reason is left out.
  }
  return { upstream: 'down', reason };
}
