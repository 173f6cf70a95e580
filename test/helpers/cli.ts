// The `h264mux` command as users run it: the bundled bin of package.json, started as a program (its
// shebang and execute bit, as npx and a shell start it). Call ensureLibBuilt() from scripts/lib-build.mjs
// first, so that a local run never tests a stale build.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LIB_CLI } from '../../scripts/lib-build.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = LIB_CLI;

export interface CliResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/**
 * Runs `h264mux …args` with `stdin` piped in (or nothing), collecting everything it prints. `stdoutFd`:
 * its stdout goes to that file descriptor instead (e.g. /dev/full), and `stdout` is empty.
 */
export function runCli(
  args: readonly string[],
  options: { stdin?: Uint8Array; cwd?: string; closeStdoutAfter?: number; stdoutFd?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(CLI, args, {
      cwd: options.cwd ?? ROOT,
      stdio: ['pipe', options.stdoutFd ?? 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    let got = 0;
    child.stdout?.on('data', (b: Buffer) => {
      out.push(b);
      got += b.length;
      // A reader that goes away early, as `| head -c N` does.
      if (options.closeStdoutAfter !== undefined && got >= options.closeStdoutAfter)
        child.stdout?.destroy();
    });
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    // The CLI may exit before reading all of stdin (e.g. on a usage error): that is not a test failure.
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(options.stdin);
  });
}
