/** The player's errors, with codes the page explains (src/app/messages.ts). */
import { CodedError } from '../core/errors.js';
import type { StreamInfo } from '../core/index.js';

export type PlayerErrorCode =
  /** No MediaSource nor ManagedMediaSource. */
  | 'NO_MSE'
  /** MediaSource.isTypeSupported says no to the stream's codec string. */
  | 'CODEC_UNSUPPORTED'
  /** appendBuffer, remove or another SourceBuffer call threw. */
  | 'APPEND_FAILED'
  /** The SourceBuffer stayed full and nothing behind the playhead could be removed. */
  | 'BUFFER_FULL'
  /** The media element reported an error (decode failure). */
  | 'MEDIA_ERROR'
  /** The WebCodecs renderer's VideoDecoder failed (or cannot decode this stream). */
  | 'DECODER_ERROR'
  /** The WebCodecs renderer's output (its canvas or video track) refused a decoded frame. */
  | 'RENDER_FAILED';

export class PlayerError extends CodedError<PlayerErrorCode> {
  override readonly name = 'PlayerError';
}

/** MediaError.MEDIA_ERR_DECODE (HTML §4.8.11.1): also what MSE's append error ends in. */
export const MEDIA_ERR_DECODE = 3;

/** The media element failed to decode (or rejected appended media): a new MediaSource may recover. */
export function isDecodeError(error: PlayerError): boolean {
  return error.code === 'MEDIA_ERROR' && error.detail['mediaErrorCode'] === MEDIA_ERR_DECODE;
}

/** What of a stream the codec messages name (a StreamInfo has it). */
export type CodecFacts = Pick<
  StreamInfo,
  'codec' | 'profile' | 'level' | 'levelIdc' | 'chromaFormatIdc' | 'bitDepthLuma' | 'bitDepthChroma'
>;

/**
 * The browser says no to the stream's codec (`by`: MediaSource.isTypeSupported, or a WebCodecs
 * decoder's configure). The message names the stream's profile and says what would play.
 */
export function unsupported(
  mimeType: string,
  facts: CodecFacts | undefined,
  by: 'MediaSource' | 'WebCodecs' = 'MediaSource',
): PlayerError {
  const said =
    by === 'MediaSource'
      ? 'MediaSource.isTypeSupported says no'
      : 'its WebCodecs decoder refused the configuration';
  return new PlayerError(
    'CODEC_UNSUPPORTED',
    facts
      ? `This browser cannot decode this stream: H.264 ${facts.profile}, level ${facts.level}, ${sampling(facts)} (${facts.codec}; ${said}). ${advice(facts)}`
      : `This browser cannot play ${mimeType} (${said}). Try another browser, or re-encode with a lower profile/level.`,
    { mimeType, ...(facts ? { codec: facts.codec } : {}) },
  );
}

const CHROMA = ['4:0:0', '4:2:0', '4:2:2', '4:4:4'];

function sampling(f: CodecFacts): string {
  const depth = Math.max(f.bitDepthLuma, f.bitDepthChroma);
  return `${CHROMA[f.chromaFormatIdc] ?? `chroma_format_idc ${f.chromaFormatIdc}`} ${depth}-bit`;
}

/** What would play: the format every H.264 decoder in a browser takes, or a decoder at all. */
function advice(f: CodecFacts): string {
  const reencode = 'ffmpeg -i in.h264 -c:v libx264 -pix_fmt yuv420p -profile:v high';
  if (f.bitDepthLuma > 8 || f.bitDepthChroma > 8 || f.chromaFormatIdc > 1) {
    return `Many browsers decode 8-bit 4:2:0 H.264 only: re-encode it so (${reencode} out.h264), or try another browser.`;
  }
  // Level 5.2 is 4096x2304 at 60 fps (Annex A, Table A-1); 6 and over go beyond what decoders commit to.
  if (f.levelIdc > 52) {
    return `Level ${f.level} is beyond what most decoders take (5.2 and under): re-encode at a lower resolution or frame rate (${reencode} -level 5.1 -vf scale=-2:2160 out.h264), or try another browser.`;
  }
  return "It seems to have no H.264 decoder at all: Firefox on Linux decodes H.264 with the system's FFmpeg libraries (install ffmpeg or libavcodec), and some Chromium builds leave H.264 out. Try another browser.";
}
