/** The one command-line parser of every command (`node:util` parseArgs) and the values they share. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { MAX_FPS, MIN_FPS } from '../core/index.js';
import { UsageError } from './errors.js';

export type OptionTable = NonNullable<ParseArgsConfig['options']>;

/** What parseCommandArgs returns for `O`: `values` typed from the table, `positionals`. */
export type ParsedCommand<O extends OptionTable> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
>;

/**
 * Parses `argv` against `options` (long names, with `short` letters): `--fps 30`, `--fps=30`, `-o x`,
 * `-qy`, and positionals (`-` included). Anything unknown or a missing value is a UsageError worded
 * for the user.
 */
export function parseCommandArgs<const O extends OptionTable>(
  argv: readonly string[],
  options: O,
): ParsedCommand<O> {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw usageErrorFrom(error);
  }
}

/** Node's parseArgs errors (ERR_PARSE_ARGS_*) in the CLI's words. */
function usageErrorFrom(error: unknown): unknown {
  if (!(error instanceof Error) || !('code' in error)) return error;
  const option = /'(-[^' ]*)/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(`unknown option ${option ?? error.message}`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const name = option?.replace(/,$/, '');
      if (/does not take an argument/.test(error.message))
        return new UsageError(`${name} takes no value`);
      if (/ambiguous/.test(error.message))
        return new UsageError(
          `${name} needs a value (for a value that starts with "-", write ${name}=VALUE)`,
        );
      return new UsageError(`${name} needs a value`);
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(error.message);
    default:
      return error;
  }
}

/**
 * A frame rate as people write it: `30`, `29.97`, `30000/1001` (NTSC, as ffmpeg prints it). A UsageError
 * naming `flag` for anything else.
 */
export function parseFps(text: string, flag = '--fps'): number {
  const match = /^(\d+(?:\.\d+)?)(?:\/(\d+(?:\.\d+)?))?$/.exec(text.trim());
  const fps = match ? Number(match[1]) / (match[2] === undefined ? 1 : Number(match[2])) : NaN;
  if (!(fps >= MIN_FPS && fps <= MAX_FPS))
    throw new UsageError(
      `${flag} must be a frame rate from ${MIN_FPS} to ${MAX_FPS}, such as 30, 29.97 or 30000/1001; got "${text}"`,
    );
  return fps;
}

/** The value of a `--name` option restricted to `choices`. */
export function oneOf<const C extends readonly string[]>(
  value: string,
  flag: string,
  choices: C,
): C[number] {
  if (!choices.includes(value))
    throw new UsageError(`${flag} must be ${choices.join(' or ')}, got "${value}"`);
  return value;
}

/** An integer option within [min, max]. */
export function integer(text: string, flag: string, min: number, max: number): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got "${text}"`);
  return n;
}
