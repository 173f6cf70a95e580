#!/usr/bin/env node
import { isH264MuxError } from '../core/index.js';
import { runConvert } from './convert.js';
import { CommandError, describeSystemError, isSystemError, UsageError } from './errors.js';
import { packageJson } from './package-root.js';
import { runProbe } from './probe.js';

const HELP = `h264mux — raw H.264 (Annex B) to fragmented MP4, in the browser and in Node

Usage:
  h264mux convert <in.h264|-> -o <out.mp4|-> [-y] [--fps N] [--fragment gop|frame]
  h264mux probe <in.h264|->... [--json] [--frames]
  h264mux serve (--stdin | --exec "camera command" | --tcp host:port | --file x.h264 [--loop] |
                 --url http://...) [--port 8080]
  h264mux <command> --help
  h264mux --version

Exit codes: 0 ok, 1 the input cannot be converted or the output not written (the message says why),
2 usage error, 130 Ctrl-C (convert and probe: the input ends there, what was read is written out; a
second Ctrl-C stops at once), 141 the reader of the output went away (e.g. | head).
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'convert':
      return runConvert(rest);
    case 'probe':
      return runProbe(rest);
    case 'serve': {
      const { runServe } = await import('./serve/index.js');
      return runServe(rest);
    }
    case undefined:
      // No command is a usage error: the usage goes where errors go, as with other CLIs.
      process.stderr.write(HELP);
      return 2;
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(HELP);
      return 0;
    case '-V':
    case '-v':
    case '--version':
      process.stdout.write(`${packageJson().version}\n`);
      return 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // 128 + a signal's number: its output is written, but a read may still wait on a pipe whose
    // writer lives on (kill -INT of this process alone): end now.
    if (code > 128) process.exit(code);
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`h264mux: ${error.message}\nRun "h264mux --help" for usage.\n`);
      process.exitCode = 2;
    } else if (error instanceof CommandError) {
      process.stderr.write(`h264mux: ${error.message}\n`);
      process.exitCode = 1;
    } else if (isH264MuxError(error)) {
      process.stderr.write(`h264mux: ${error.message} [${error.code}]\n`);
      process.exitCode = 1;
    } else if (isSystemError(error) && error.code === 'EPIPE') {
      // The reader of our output went away (e.g. `| head`): quiet, with the status a shell reports
      // for a process that SIGPIPE ended (128 + 13), as `cat` would.
      process.exitCode = 141;
    } else if (isSystemError(error)) {
      // File-system errors (ENOENT, EACCES, EISDIR, ENOSPC...), as `cat` words them.
      process.stderr.write(`h264mux: ${describeSystemError(error)}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(
        `h264mux: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    }
  },
);
