// The `h264mux` command as users run it: the bundled bin of package.json, rebuilt first when a source
// file is newer (so a local run never tests a stale build; CI builds it at `npm ci`).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist-lib', 'bin', 'main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.ts'))
      newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

/** Builds dist-lib (`npm run build:lib`) when the bin is missing or older than src/core or src/cli. */
export function ensureCliBuilt(): void {
  const sources = Math.max(
    newestSource(join(ROOT, 'src/core')),
    newestSource(join(ROOT, 'src/cli')),
  );
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= sources) return;
  execFileSync('npm', ['run', 'build:lib'], { cwd: ROOT, stdio: 'ignore' });
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs `h264mux …args` with `stdin` piped in (or nothing), collecting everything it prints. */
export function runCli(
  args: readonly string[],
  options: { stdin?: Uint8Array; cwd?: string; closeStdoutAfter?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    let got = 0;
    child.stdout.on('data', (b: Buffer) => {
      out.push(b);
      got += b.length;
      // A reader that goes away early, as `| head -c N` does.
      if (options.closeStdoutAfter !== undefined && got >= options.closeStdoutAfter)
        child.stdout.destroy();
    });
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    // The CLI may exit before reading all of stdin (e.g. on a usage error): that is not a test failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin);
  });
}
