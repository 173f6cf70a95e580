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
 *   source is down, its body four zero bytes (leading_zero_8bits, which H.264 readers skip: Firefox's
 *   fetch() resolves only with body bytes); the stream starts at the next keyframe once it is back.
 * - WebSocket receipts: after its announcements the relay asks `{"receipts":{"everyMs":250}}`; a player
 *   that knows this answers with a text message `{"received":N}`, N the binary payload bytes it has
 *   received on this connection, at most once every `everyMs`, and `everyMs` after its last receipt
 *   when bytes came since (the last ones are always told: a relay that skipped the viewer resumes
 *   it once they have arrived). The relay then knows how far behind live the player is (its own queue says nothing of
 *   the bytes the network still holds) and skips a viewer on a link slower than the stream to the next
 *   keyframe. Any other message from a viewer ends its connection.
 * - WebSocket skips: when the relay starts a viewer it had skipped again, it first sends
 *   `{"skipped":{"frames":90,"ms":3000,"linkKbps":560,"streamKbps":850}}`: the frames it left out, over
 *   how long, what the viewer's link took while it was sent to, and the stream's bitrate. The next
 *   binary message is a keyframe.
 * - WebSocket source rate: `{"sourceFps":30}`, the access units a second the relay's own source (the
 *   camera) delivered lately, at connect time once known and every 2 s while the source streams
 *   steadily. Frames arriving at a viewer slower than that are the viewer's link, not the
 *   camera: a player then does not take the slower arrivals for a camera off its timeline. HTTP: the
 *   response header `X-Relay-Source-Fps: 30` at connect time, once known.
 * A player that knows nothing of this loses nothing: the text message is ignored as any other, and
 * the headers are extra.
 */

export type UpstreamNotice =
  { readonly upstream: 'up' } | { readonly upstream: 'down'; readonly reason: string };

/** Repeat of a `down` notice on WebSocket while the source stays down (ms). */
export const UPSTREAM_REPEAT_MS = 2000;

/**
 * WebSocket close code of a relay that refuses a page for its origin (`--allow-origin`; 4000-4999 are
 * private, RFC 6455 §7.4.2): it takes the handshake and closes at once with this code and the reason
 * (what to do). A browser tells a page a close's code and reason, but nothing of a refused handshake.
 */
export const ORIGIN_REFUSED_CODE = 4403;

export const UPSTREAM_HEADER = 'X-Relay-Upstream';
export const UPSTREAM_REASON_HEADER = 'X-Relay-Upstream-Reason';

/** The WebSocket text message for `notice`. */
export function upstreamMessage(notice: UpstreamNotice): string {
  return JSON.stringify(notice);
}

/** The notice in a WebSocket text message, or undefined when the text is something else. */
export function parseUpstreamMessage(text: string): UpstreamNotice | undefined {
  const value = parseObject(text);
  if (value?.['upstream'] === 'up') return { upstream: 'up' };
  if (value?.['upstream'] !== 'down') return undefined;
  const reason = value['reason'];
  return { upstream: 'down', reason: typeof reason === 'string' ? reason : '' };
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

/** How often (ms) the relay asks WebSocket viewers for receipts. */
export const RECEIPT_EVERY_MS = 250;

/** The relay's request for receipts (a WebSocket text message). */
export function receiptRequest(everyMs: number = RECEIPT_EVERY_MS): string {
  return JSON.stringify({ receipts: { everyMs } });
}

/** The receipt interval a relay asks for (ms, within 50..5000), or undefined when the text is not that. */
export function parseReceiptRequest(text: string): number | undefined {
  const value = parseObject(text);
  const receipts = value?.['receipts'];
  if (typeof receipts !== 'object' || receipts === null || !('everyMs' in receipts))
    return undefined;
  const everyMs = receipts.everyMs;
  if (typeof everyMs !== 'number' || !Number.isFinite(everyMs)) return undefined;
  return Math.min(5000, Math.max(50, everyMs));
}

/** A viewer's receipt: binary payload bytes received on this connection. */
export function receiptMessage(received: number): string {
  return JSON.stringify({ received });
}

/** The byte count in a viewer's receipt, or undefined when the text is not one. */
export function parseReceipt(text: string): number | undefined {
  const received = parseObject(text)?.['received'];
  return typeof received === 'number' && Number.isSafeInteger(received) && received >= 0
    ? received
    : undefined;
}

/** The JSON object in a text message, or undefined when the text is not one. */
export function parseObject(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The relay left frames out for this viewer: its link carries less than the stream (see above). */
export interface SkipNotice {
  readonly frames: number;
  readonly ms: number;
  /** What the viewer's link took while the relay sent to it (kbit/s). */
  readonly linkKbps: number;
  /** The stream's bitrate (kbit/s). */
  readonly streamKbps: number;
}

/** The WebSocket text message for `notice`. */
export function skipMessage(notice: SkipNotice): string {
  return JSON.stringify({ skipped: notice });
}

/** The skip notice in a WebSocket text message, or undefined when the text is something else. */
export function parseSkipMessage(text: string): SkipNotice | undefined {
  const skipped = parseObject(text)?.['skipped'];
  if (typeof skipped !== 'object' || skipped === null) return undefined;
  const figures = skipped as Record<string, unknown>;
  const number = (key: string): number => {
    const value = figures[key];
    return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
  };
  return {
    frames: number('frames'),
    ms: number('ms'),
    linkKbps: number('linkKbps'),
    streamKbps: number('streamKbps'),
  };
}

export const SOURCE_FPS_HEADER = 'X-Relay-Source-Fps';

/**
 * The frame rate the relay times its stream by when its operator set it (`--fps`; a relay chained
 * after one takes it from its upstream's header): a stream without timing info plays at it downstream
 * too, where it was timed at an assumed 30.
 */
export const STREAM_FPS_HEADER = 'X-Relay-Fps';

interface Headers {
  get(name: string): string | null;
}

/** The source's rate in a response's header (as parseSourceFpsMessage), undefined without one. */
export function sourceFpsFromHeaders(headers: Headers): number | undefined {
  return fpsHeader(headers, SOURCE_FPS_HEADER);
}

/** The rate the relay's operator times the stream by (STREAM_FPS_HEADER), undefined without one. */
export function streamFpsFromHeaders(headers: Headers): number | undefined {
  return fpsHeader(headers, STREAM_FPS_HEADER);
}

function fpsHeader(headers: Headers, name: string): number | undefined {
  const text = headers.get(name);
  if (text === null) return undefined;
  return plausibleFps(Number(text));
}

/** `value` when it is a frame rate a relay may tell (a number, 0 < fps <= 1000), else undefined. */
export function plausibleFps(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= 1000
    ? value
    : undefined;
}

/** The relay's word on its source's rate (frames a second), a WebSocket text message. */
export function sourceFpsMessage(fps: number): string {
  return JSON.stringify({ sourceFps: Math.round(fps * 100) / 100 });
}

/** The source's rate in a WebSocket text message (0 < fps <= 1000), or undefined when it is not that. */
export function parseSourceFpsMessage(text: string): number | undefined {
  return plausibleFps(parseObject(text)?.['sourceFps']);
}
