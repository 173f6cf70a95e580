/** Codes for errors the caller must act on. They cross worker/process boundaries as `{ code, message }`. */
export type H264MuxErrorCode =
  /** The input is not an H.264 Annex-B stream (`detail.container` names what it looks like, if known). */
  | 'NOT_H264'
  /** The stream ended without a single decodable access unit (no SPS/PPS, or no IDR/recovery point). */
  | 'NO_DECODABLE_FRAMES'
  /** A feature this transmuxer cannot carry into MP4 (e.g. SVC/MVC-only streams). */
  | 'UNSUPPORTED'
  /** An option passed by the caller is invalid. */
  | 'INVALID_OPTION';

/** Non-fatal conditions, reported as `warning` outputs; the stream goes on. */
export type H264MuxWarningCode =
  | 'NO_TIMING_INFO'
  | 'GARBAGE_SKIPPED'
  | 'WAITING_FOR_KEYFRAME'
  | 'MISSING_PARAMETER_SET'
  | 'CORRUPT_NAL'
  | 'TRUNCATED_FRAME_DROPPED'
  | 'LEADING_PICTURES_DROPPED'
  | 'REORDER_VIOLATION'
  | 'REORDER_DETECTED'
  | 'TIMING_OUT_OF_RANGE'
  /** An SPS or PPS with a field outside its range (§7.4.2) was skipped; the message names field and value. */
  | 'INVALID_PARAMETER_SET'
  /** A NAL unit longer than any picture of the stream can need (no start code for that long) was skipped. */
  | 'NAL_TOO_LARGE'
  /** An access unit with more NAL units or bytes than a picture can hold (it never ends) was dropped. */
  | 'ACCESS_UNIT_TOO_LARGE';

/** Plain detail of an error: survives postMessage and JSON. */
export type ErrorDetail = Readonly<Record<string, string | number | boolean>>;

/** An error as plain data, e.g. for postMessage. */
export interface ErrorData<C extends string = string> {
  code: C;
  message: string;
  detail: Record<string, string | number | boolean>;
}

/**
 * An error with a machine-readable code and plain detail: what every layer (core, player, sources,
 * workers) throws across its boundary, so callers branch on `code`, not on message text.
 */
export class CodedError<C extends string = string> extends Error {
  constructor(
    readonly code: C,
    message: string,
    readonly detail: ErrorDetail = {},
  ) {
    super(message);
  }

  /** Plain data for `postMessage` / JSON. */
  toJSON(): ErrorData<C> {
    return { code: this.code, message: this.message, detail: { ...this.detail } };
  }
}

export class H264MuxError extends CodedError<H264MuxErrorCode> {
  override readonly name = 'H264MuxError';
}

export function isH264MuxError(value: unknown): value is H264MuxError {
  return value instanceof H264MuxError;
}
