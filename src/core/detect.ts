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
  | 'image';

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

/** Bytes `sniffContainer` wants to see before it can rule out MPEG-TS (two packets). */
export const SNIFF_BYTES = 189;

/** Recognizes common containers and look-alikes from the first bytes of an input. */
export function sniffContainer(head: Uint8Array): ContainerGuess | undefined {
  const box = ascii(head, 4, 4);
  if (['ftyp', 'moov', 'mdat', 'free', 'skip', 'styp', 'moof', 'wide', 'sidx'].includes(box))
    return 'mp4';
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3)
    return 'matroska';
  if (head[0] === 0x47 && (head.length <= 188 || head[188] === 0x47))
    return head.length > 188 ? 'mpegts' : undefined;
  if (head[0] === 0 && head[1] === 0 && head[2] === 1 && head[3] === 0xba) return 'mpeg-ps';
  const start = ascii(head, 0, 4);
  if (start === 'RIFF') return 'avi';
  if (start.startsWith('FLV')) return 'flv';
  if (start === 'OggS') return 'ogg';
  if (head[0] === 0xff && head[1] === 0xd8) return 'image';
  if (start === '\x89PNG' || start === 'GIF8') return 'image';
  const text = ascii(head, 0, 64).trimStart().toLowerCase();
  if (text.startsWith('<!doctype') || text.startsWith('<html') || text.startsWith('<?xml'))
    return 'html';
  if (text.startsWith('{') || text.startsWith('[')) return 'json';
  // H.265 Annex B: a start code then a VPS/SPS/PPS/AUD NAL header (types 32-35, layer 0).
  const sc = head[2] === 1 ? 3 : head[3] === 1 ? 4 : 0;
  if (sc && head[0] === 0 && head[1] === 0) {
    const b0 = head[sc] ?? 0;
    const b1 = head[sc + 1] ?? 0;
    if ([0x40, 0x42, 0x44, 0x46].includes(b0) && b1 === 0x01) return 'hevc';
  }
  return undefined;
}
