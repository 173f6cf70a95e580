/** The player's errors, with codes the page explains (src/app/messages.ts). */
import { CodedError } from '../core/errors.js';

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

export function unsupported(mimeType: string): PlayerError {
  return new PlayerError(
    'CODEC_UNSUPPORTED',
    `This browser cannot play ${mimeType} (MediaSource.isTypeSupported says no). Try another browser, or re-encode with a lower profile/level.`,
    { mimeType },
  );
}
