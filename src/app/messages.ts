/** Error texts for the page: what happened and what to do, never only a code. */
import type { SessionError } from './session.js';

const CONTAINERS: Readonly<Record<string, string>> = {
  mp4: 'an MP4/QuickTime file (it has an "ftyp" box)',
  mov: 'a QuickTime movie',
  mpegts: 'an MPEG transport stream (.ts)',
  matroska: 'a Matroska/WebM file',
  webm: 'a WebM file',
  flv: 'an FLV file',
  avi: 'an AVI file',
  hevc: 'an H.265/HEVC stream',
  h265: 'an H.265/HEVC stream',
  jpeg: 'a JPEG image',
  png: 'a PNG image',
  gzip: 'a gzip archive',
  zip: 'a ZIP archive',
  text: 'text',
  html: 'an HTML page',
};

export interface ShownError {
  readonly title: string;
  readonly message: string;
}

export function describeError(error: SessionError): ShownError {
  switch (error.code) {
    case 'NOT_H264': {
      const container = error.detail['container'];
      const looksLike =
        typeof container === 'string' && container !== ''
          ? `it looks like ${CONTAINERS[container] ?? container}.`
          : 'no H.264 start codes with valid NAL units were found.';
      const hint =
        container === 'mp4' || container === 'matroska' || container === 'webm'
          ? ' A browser plays such files directly; this page is for raw .h264 streams.'
          : '';
      return {
        title: 'Not an H.264 stream',
        message: `This is not a raw H.264 (Annex-B) stream: ${looksLike}${hint} (${error.message})`,
      };
    }
    case 'NO_DECODABLE_FRAMES':
      if (error.detail['empty'] === true)
        return { title: 'Empty input', message: 'The file or stream had no bytes at all.' };
      return {
        title: 'No decodable frames',
        message: `No frame could be decoded: ${error.message} A stream needs SPS and PPS and a keyframe (IDR or recovery point).`,
      };
    case 'UNSUPPORTED':
      return { title: 'Unsupported stream', message: error.message };
    case 'CODEC_UNSUPPORTED':
      return { title: 'Codec not supported by this browser', message: error.message };
    case 'NO_MSE':
      return { title: 'No Media Source Extensions', message: error.message };
    case 'MEDIA_ERROR':
    case 'APPEND_FAILED':
      return { title: 'Playback error', message: error.message };
    case 'UNREACHABLE':
      return { title: 'URL unreachable', message: error.message };
    case 'CORS':
      return { title: 'Blocked by CORS', message: error.message };
    case 'MIXED_CONTENT':
      return { title: 'Blocked: mixed content', message: error.message };
    case 'HTTP_STATUS':
      return { title: 'Server error', message: error.message };
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
