/** The CLI's own errors and the wording of Node's system errors, for every command. */

/** The command line is wrong: the message says what to fix. Exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The command refuses or cannot go on for a reason the message gives in full (e.g. the output exists). Exit status 1. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

export interface SystemError extends Error {
  readonly code: string;
  readonly path?: string;
}

/** A Node system error (ENOENT, EACCES, ENOSPC, EPIPE...). */
export function isSystemError(error: unknown): error is SystemError {
  return (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'string' &&
    /^E[A-Z]+$/.test(error.code)
  );
}

/** "nope.h264: no such file or directory" from Node's "ENOENT: no such file or directory, stat 'nope.h264'". */
export function describeSystemError(error: SystemError): string {
  const match = /^[A-Z0-9_]+: ([^,]+)/.exec(error.message);
  const reason = match?.[1] ?? error.message;
  return error.path !== undefined ? `${error.path}: ${reason}` : reason;
}
