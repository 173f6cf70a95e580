/** What a non-H.264 input looks like, from its first bytes. */
export type ContainerGuess =
  | 'mp4'
  | 'mpegts'
  | 'matroska'
  | 'mpeg-ps'
  | 'hevc'
  | 'avi'
  | 'flv'
  | 'ogg'
  | 'html'
  | 'json'
  | 'image'
  | 'mjpeg';

const NAMES: Record<ContainerGuess, string> = {
  mp4: 'an MP4/ISO BMFF file',
  mpegts: 'an MPEG transport stream (.ts)',
  matroska: 'a Matroska/WebM file',
  'mpeg-ps': 'an MPEG program stream',
  hevc: 'an H.265/HEVC stream',
  avi: 'an AVI file',
  flv: 'an FLV file',
  ogg: 'an Ogg file',
  html: 'an HTML page',
  json: 'JSON text',
  image: 'an image',
  mjpeg: 'an MJPEG stream (JPEG pictures one after another, multipart/x-mixed-replace)',
};

export function containerName(guess: ContainerGuess): string {
  return NAMES[guess];
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  let s = '';
  for (let i = start; i < start + length && i < bytes.length; i++)
    s += String.fromCharCode(bytes[i] as number);
  return s;
}

/** Bytes `sniffContainer` wants to see before it can rule out MPEG-TS (three packets). */
export const SNIFF_BYTES = 377;

const TS_PACKET = 188;

/**
 * True when `bytes` read as text: printable ASCII, tab, CR, LF, or well-formed UTF-8 (a sequence cut
 * by the end of `bytes` counts). Random bytes almost never pass this for more than a few bytes.
 */
function isText(bytes: Uint8Array): boolean {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if ((b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d) {
      i++;
      continue;
    }
    // UTF-8 lead bytes (RFC 3629): C2..DF, E0..EF, F0..F4 with 1, 2, 3 continuation bytes.
    const extra =
      b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0;
    if (extra === 0) return false;
    for (let k = 1; k <= extra; k++) {
      const c = bytes[i + k];
      if (c === undefined) return true;
      if ((c & 0xc0) !== 0x80) return false;
    }
    i += extra + 1;
  }
  return true;
}

/** JSON text (RFC 8259): an object or array whose first member starts like a JSON value, all of it text. */
function looksLikeJson(text: string): boolean {
  const m = /^[{[][\t\n\r ]*(.)/.exec(text);
  if (!m) return text === '{' || text === '[';
  const next = m[1] as string;
  return text.startsWith('{') ? next === '"' || next === '}' : /["{[\]\-0-9tfn]/.test(next);
}

/** Recognizes common containers and look-alikes from the first bytes of an input (SNIFF_BYTES, or all). */
export function sniffContainer(head: Uint8Array): ContainerGuess | undefined {
  const box = ascii(head, 4, 4);
  if (['ftyp', 'moov', 'mdat', 'free', 'skip', 'styp', 'moof', 'wide', 'sidx'].includes(box))
    return 'mp4';
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3)
    return 'matroska';
  // A sync byte at the start of every 188-byte packet seen (three in SNIFF_BYTES).
  if (head[0] === 0x47 && head.length > TS_PACKET) {
    let sync = true;
    for (let at = TS_PACKET; at < head.length; at += TS_PACKET) sync &&= head[at] === 0x47;
    if (sync) return 'mpegts';
  }
  if (head[0] === 0 && head[1] === 0 && head[2] === 1 && head[3] === 0xba) return 'mpeg-ps';
  const start = ascii(head, 0, 4);
  if (start === 'RIFF') return 'avi';
  if (start === 'FLV\x01') return 'flv';
  if (start === 'OggS') return 'ogg';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image'; // JPEG SOI, a marker
  if (start === '\x89PNG' || start === 'GIF8') return 'image';
  // Motion JPEG over HTTP, as IP cameras and mjpg-streamer send it: multipart parts (RFC 2046 §5.1.1:
  // "--boundary", headers) each holding a JPEG.
  const part = ascii(head, 0, 300);
  if (/^(?:\r?\n)?--\S*\r?\n(?:[^\r\n]*\r?\n)*?content-type:[ \t]*image\/jpe?g/i.test(part))
    return 'mjpeg';
  // Text from a web server: an HTML page or a JSON API response (after a UTF-8 byte-order mark, if any).
  const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  const body = head.subarray(bom);
  if (isText(body)) {
    const text = ascii(body, 0, 64).trimStart().toLowerCase();
    if (text.startsWith('<!doctype') || text.startsWith('<html') || text.startsWith('<?xml'))
      return 'html';
    if (looksLikeJson(text)) return 'json';
  }
  // H.265 Annex B: a start code then a VPS/SPS/PPS/AUD NAL header (types 32-35, layer 0).
  const sc = head[2] === 1 ? 3 : head[3] === 1 ? 4 : 0;
  if (sc && head[0] === 0 && head[1] === 0) {
    const b0 = head[sc] ?? 0;
    const b1 = head[sc + 1] ?? 0;
    if ([0x40, 0x42, 0x44, 0x46].includes(b0) && b1 === 0x01) return 'hevc';
  }
  return undefined;
}
