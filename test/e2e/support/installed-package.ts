// The package as its users get it: `npm pack` of this checkout, installed from the tarball into a fresh
// project under os.tmpdir() (outside this repository, so that nothing resolves to its node_modules).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './fixtures.js';

export interface PackedFile {
  readonly path: string;
  readonly size: number;
}

export interface InstalledPackage {
  /** The consumer project; its node_modules/h264mux is the installed tarball. */
  readonly dir: string;
  readonly tarball: string;
  /** What `npm pack --json` reports. */
  readonly packed: {
    readonly size: number;
    readonly unpackedSize: number;
    readonly files: readonly PackedFile[];
  };
  /** Runs `npx …args` in the consumer project and waits for it. */
  npx(args: readonly string[], options?: { stdoutFd?: number }): Promise<ProcessResult>;
  /** Starts `npx …args` in the consumer project (its own process group: `stop()` ends all of it). */
  start(args: readonly string[]): RunningProcess;
  remove(): Promise<void>;
}

export interface ProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunningProcess {
  readonly child: ChildProcess;
  /** Everything printed so far, stdout and stderr together. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Our environment without what `npm run` adds (npm_config_*, npm_package_*, npm_lifecycle_*): npm in the
 * consumer project must see its own configuration, not this checkout's.
 */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^npm_(config|package|lifecycle)_/i.test(k)),
  );
}

/** Runs `command args` in `cwd` and collects its output; never rejects on a non-zero exit. */
export function runIn(
  cwd: string,
  command: string,
  args: readonly string[],
  options: { stdoutFd?: number } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: cleanEnv(),
      stdio: ['ignore', options.stdoutFd ?? 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function runOk(cwd: string, command: string, args: readonly string[]): Promise<string> {
  const r = await runIn(cwd, command, args);
  if (r.code !== 0)
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited with ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

/**
 * Packs this checkout and installs the tarball into a new project. Packs with --ignore-scripts: the
 * e2e run has just built dist/ and dist-lib/ (`npm run test:e2e`), and prepack's rebuild would replace
 * dist/ under the feet of the tests running beside this one.
 */
export async function packAndInstall(): Promise<InstalledPackage> {
  for (const built of ['dist/index.html', 'dist-lib/bin/main.js', 'dist-lib/core/index.d.ts']) {
    if (!existsSync(join(ROOT, built)))
      throw new Error(`${built} is missing: run \`npm run build\` (npm run test:e2e does it).`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'h264mux-installed-'));
  try {
    const report = JSON.parse(
      await runOk(ROOT, 'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir]),
    ) as { filename: string; size: number; unpackedSize: number; files: PackedFile[] }[];
    const packed = report[0]!;
    const tarball = join(dir, packed.filename);
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'h264mux-consumer', private: true, type: 'module' }, null, 2),
    );
    await runOk(dir, 'npm', ['install', '--no-audit', '--no-fund', tarball]);
    return {
      dir,
      tarball,
      packed: { size: packed.size, unpackedSize: packed.unpackedSize, files: packed.files },
      npx: (args, options) => runIn(dir, 'npx', ['--no-install', ...args], options),
      start: (args) => startIn(dir, ['--no-install', ...args]),
      remove: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function startIn(dir: string, args: readonly string[]): RunningProcess {
  // npx runs the bin through npm and a shell: a process group of its own lets stop() end them all.
  const child = spawn('npx', args, {
    cwd: dir,
    env: cleanEnv(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        process.kill(-child.pid, 'SIGTERM');
        await exited;
      }
    },
  };
}
