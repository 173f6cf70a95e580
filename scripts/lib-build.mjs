// dist-lib: the library and the `h264mux` command. `node scripts/lib-build.mjs` (npm run build:lib)
// builds it; ensureLibBuilt() rebuilds it when a source is newer, so that a local bench or test never
// runs a stale build.
//
// - tsc (tsconfig.build.json): dist-lib/core/ (the package's library: JS and .d.ts without @internal
//   declarations) and dist-lib/cli/ (the CLI unbundled, for the benches; not published).
// - tsc (tsconfig.player.build.json, with the DOM lib): dist-lib/play/ (h264mux/player) and what it
//   uses, dist-lib/player/, sources/, worker/ (the transmuxer worker, loaded from next to it).
// - rolldown: the command as one bundle in dist-lib/bin/ (the CLI, the core and ws, so that the package
//   has no dependencies; `serve` is a chunk loaded only when used), made executable: npx runs the file.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const LIB_CORE = join(ROOT, 'dist-lib/core/index.js');
export const LIB_CLI = join(ROOT, 'dist-lib/bin/main.js');

/** Builds dist-lib from scratch (files of deleted sources must not linger and be published). */
export async function buildLib() {
  rmSync(join(ROOT, 'dist-lib'), { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  for (const config of ['tsconfig.build.json', 'tsconfig.player.build.json']) {
    const r = spawnSync(process.execPath, [tsc, '-p', config], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`tsc -p ${config} failed (exit ${r.status})`);
  }
  const { build } = await import('rolldown');
  await build({
    cwd: ROOT,
    input: join(ROOT, 'dist-lib/cli/main.js'),
    platform: 'node',
    // ws's optional native add-ons: required inside a try, used when the user has them installed.
    external: ['bufferutil', 'utf-8-validate'],
    logLevel: 'warn',
    output: { dir: join(ROOT, 'dist-lib/bin'), format: 'esm', chunkFileNames: '[name].js' },
  });
  // The bin must be executable: `npx h264mux` in this checkout runs the file itself (installs of the
  // package get the bit from npm, a rebuild here would otherwise leave it 0644: exit 127).
  chmodSync(LIB_CLI, 0o755);
}

/** Newest modification time of the .ts files under `dir` (0 when none or no such folder). */
function newestTs(dir) {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.ts'))
      newest = Math.max(newest, statSync(join(e.parentPath ?? e.path, e.name)).mtimeMs);
  }
  return newest;
}

/**
 * Runs `npm run build:lib` when dist-lib's core or bin is missing or older than src/core, src/cli or
 * src/sources (the relay's framing).
 * Returns true when it built.
 * @param {{ log?: (line: string) => void }} [options]
 */
export function ensureLibBuilt(options = {}) {
  const sources = Math.max(
    ...['src/core', 'src/cli', 'src/sources'].map((dir) => newestTs(join(ROOT, dir))),
  );
  const stale = (f) => !existsSync(f) || statSync(f).mtimeMs < sources;
  if (!stale(LIB_CORE) && !stale(LIB_CLI)) return false;
  options.log?.(
    'dist-lib is missing or older than src/core, src/cli: running `npm run build:lib` first',
  );
  const r = spawnSync('npm', ['run', 'build:lib'], {
    cwd: ROOT,
    stdio: options.log ? 'inherit' : 'ignore',
  });
  if (r.status !== 0) throw new Error(`npm run build:lib failed (exit ${r.status})`);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildLib();
