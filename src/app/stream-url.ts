/**
 * Stream URLs as people type them: `raspberrypi.local:8080/stream.h264` and `192.168.1.42:8080/stream`
 * have no scheme, and the URL parser reads the first as the scheme `raspberrypi.local:` and the second
 * as a path on this page's server. The rule, in order:
 *
 * 1. A scheme (`name:` not followed by a port number) is kept: `http(s)://` and `ws(s)://` play, any
 *    other scheme is refused later with BAD_URL.
 * 2. Text starting with `/`, `.`, `?` or `#` is a path on this page's server; the path `/stream` (the
 *    WebSocket of `h264mux serve`, whose page this may be) is its WebSocket: `ws://`, or `wss://` from
 *    an https page.
 * 3. Text whose part before the first `/` names a host is given a scheme: a host is `localhost`, an IPv4
 *    address, a bracketed IPv6 address, any name followed by `:port`, or a dotted name whose last label
 *    is letters only and not a video file extension (`stream.h264` and `clip.avc` are file names). The
 *    scheme is `ws://` when the path is `/stream` (the WebSocket endpoint of `h264mux serve`; its HTTP
 *    stream is `/stream.h264`) and `http://` otherwise.
 * 4. Anything else (`stream.h264`, `videos/a.264`) is a path relative to this page.
 */
import { SourceError } from '../sources/source.js';

export interface StreamUrl {
  /** The absolute URL to play. */
  readonly href: string;
  /** The scheme added to what was typed (rule 3), or undefined when none was. */
  readonly assumed: 'http://' | 'ws://' | 'wss://' | undefined;
}

/** Labels that end file names, not host names. */
const FILE_EXTENSIONS = new Set(['h264', '264', 'avc', 'h26l', 'jsv', 'bin', 'mp4', 'ts', 'mkv']);

/** `name:` at the start, unless what follows the colon is a port (`host:8080`, `host:8080/x`). */
const SCHEME = /^[a-z][a-z0-9+.-]*:(?!\d+(?:[/?#]|$))/i;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/i;
const DOTTED_NAME = /^[a-z0-9-]+(?:\.[a-z0-9-]+)+$/i;

function isHost(hostPort: string): boolean {
  const port = /^(.*):(\d+)$/.exec(hostPort);
  if (port) return port[1] !== '';
  if (hostPort.toLowerCase() === 'localhost' || IPV4.test(hostPort) || IPV6.test(hostPort))
    return true;
  if (!DOTTED_NAME.test(hostPort)) return false;
  const last = hostPort.slice(hostPort.lastIndexOf('.') + 1).toLowerCase();
  return /^[a-z]{2,}$/.test(last) && !FILE_EXTENSIONS.has(last);
}

/** Resolves typed text to the URL to play (see the rule above); `base` is the page's URL. */
export function normaliseStreamUrl(text: string, base: string): StreamUrl {
  const typed = text.trim();
  let candidate = typed;
  let assumed: StreamUrl['assumed'];
  if (typed !== '' && !SCHEME.test(typed) && !/^[/.?#]/.test(typed)) {
    const cut = typed.search(/[/?#]/);
    const hostPort = cut < 0 ? typed : typed.slice(0, cut);
    if (isHost(hostPort)) {
      const path = cut < 0 ? '' : typed.slice(cut);
      assumed = /^\/stream(?:[?#]|$)/.test(path) ? 'ws://' : 'http://';
      candidate = assumed + typed;
    }
  }
  try {
    if (/^\/stream(?:[?#]|$)/.test(typed)) {
      // The relay's WebSocket on this page's server: over http, a 404 (its HTTP stream is /stream.h264).
      const url = new URL(typed, base);
      if (url.protocol === 'http:' || url.protocol === 'https:') {
        assumed = url.protocol === 'https:' ? 'wss://' : 'ws://';
        url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
        return { href: url.href, assumed };
      }
    }
    return { href: new URL(candidate, base).href, assumed };
  } catch {
    throw new SourceError('BAD_URL', `Not a valid URL: ${typed}`, { url: typed });
  }
}
