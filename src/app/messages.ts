/** Error texts for the page: what happened and what to do, never only a code, each thing said once. */
import type { SessionError } from './session.js';

export interface ShownError {
  readonly title: string;
  /** May hold `code spans` (backquoted commands), shown as code. */
  readonly message: string;
}

/** Where `h264mux serve` streams, for "check the path" hints. */
const RELAY_PATHS = 'h264mux serve streams at /stream.h264 (HTTP) and /stream (WebSocket)';

function urlParts(detail: SessionError['detail']): { host: string; path: string } | undefined {
  const url = detail['url'];
  if (typeof url !== 'string') return undefined;
  try {
    const u = new URL(url);
    return { host: u.host, path: `${u.pathname}${u.search}` };
  } catch {
    return undefined;
  }
}

/** A non-2xx answer to the stream request (HTTP) or to the WebSocket's URL (WS_REFUSED). */
function statusError(error: SessionError): ShownError {
  const status = error.detail['status'];
  const where = urlParts(error.detail);
  if (!where) return { title: 'Server error', message: error.message };
  const { host, path } = where;
  const websocket = error.code === 'WS_REFUSED';
  const statusText = error.detail['statusText'];
  const answer =
    typeof status === 'number'
      ? ` (${websocket ? 'HTTP ' : ''}${status}${typeof statusText === 'string' && statusText !== '' ? ` ${statusText}` : ''})`
      : '';
  if (status === 404 || status === 410) {
    return {
      title: 'Not found',
      message: `${host} is running but has no ${websocket ? 'WebSocket stream' : 'stream'} at ${path}${answer}. Check the path: ${RELAY_PATHS}.`,
    };
  }
  if (status === 401 || status === 403 || status === 407) {
    return {
      title: 'Access denied',
      message: `${host} refused ${path}${answer}: the stream needs a login, or the server does not share it with this page.`,
    };
  }
  if (typeof status === 'number' && status >= 500) {
    return {
      title: 'Server error',
      message: `${host} failed to serve ${path}${answer}: the problem is on the server. The page tries again while it may come up.`,
    };
  }
  if (websocket) {
    return {
      title: 'WebSocket refused',
      message: `${host} answers${answer} but did not accept a WebSocket at ${path}. Check the path (${RELAY_PATHS}), and that any proxy in between passes WebSocket upgrades.`,
    };
  }
  return {
    title: 'Request refused',
    message: `${host} refused ${path}${answer}. Check the URL.`,
  };
}

export function describeError(error: SessionError): ShownError {
  switch (error.code) {
    case 'NOT_H264': {
      // The core names what the input looks like (detail.container) and what to do.
      const container = error.detail['container'];
      const playable = container === 'mp4' || container === 'matroska';
      return {
        title: 'Not an H.264 stream',
        message: `${error.message}${playable ? ' (A browser plays such files directly; this page is for raw .h264 streams.)' : ''}`,
      };
    }
    case 'NO_DECODABLE_FRAMES':
      if (error.detail['empty'] === true)
        return { title: 'Empty input', message: 'The file or stream had no bytes at all.' };
      // The title says it; the core's message starts with the same words (the CLI prints it alone).
      return {
        title: 'No decodable frames',
        message: sentence(error.message.replace(/^No decodable frames: /, '')),
      };
    case 'UNSUPPORTED':
      return { title: 'Unsupported stream', message: error.message };
    case 'CODEC_UNSUPPORTED':
      return { title: 'Codec not supported by this browser', message: error.message };
    case 'NO_MSE':
      return { title: 'No Media Source Extensions', message: error.message };
    case 'MEDIA_ERROR':
    case 'APPEND_FAILED':
    case 'DECODER_ERROR':
    case 'RENDER_FAILED':
      return { title: 'Playback error', message: error.message };
    case 'UNREACHABLE':
      return { title: 'URL unreachable', message: error.message };
    case 'CORS':
      return { title: 'Blocked by CORS', message: error.message };
    case 'MIXED_CONTENT':
      return { title: 'Blocked: mixed content', message: error.message };
    case 'HTTP_STATUS':
    case 'WS_REFUSED':
      return statusError(error);
    case 'BAD_URL':
      return {
        title: 'Bad URL',
        message: `${error.message}. Use http(s)://host/path or ws(s)://host/path.`,
      };
    case 'READ_FAILED':
      return { title: 'Read error', message: error.message };
    default:
      return { title: 'Error', message: error.message };
  }
}

/** Text cut at backquotes: odd pieces are code (`ffmpeg -i …`), shown as such and without the quotes. */
export function codeSpans(text: string): { readonly text: string; readonly code: boolean }[] {
  const parts = text.split('`');
  // An unmatched backquote is kept as text.
  if (parts.length % 2 === 0) return [{ text, code: false }];
  return parts
    .map((part, i) => ({ text: part, code: i % 2 === 1 }))
    .filter((part) => part.text !== '');
}

/** `text` with a capital first letter. */
function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
