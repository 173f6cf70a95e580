// dist-lib (the library and the bundled `h264mux` bin) rebuilt when a source is newer than it, so that
// a local bench or test never runs a stale build (`npm ci` builds it in CI).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const LIB_CORE = join(ROOT, 'dist-lib/core/index.js');
export const LIB_CLI = join(ROOT, 'dist-lib/bin/main.js');

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
 * Runs `npm run build:lib` when dist-lib's core or bin is missing or older than src/core or src/cli.
 * Returns true when it built.
 * @param {{ log?: (line: string) => void }} [options]
 */
export function ensureLibBuilt(options = {}) {
  const sources = Math.max(newestTs(join(ROOT, 'src/core')), newestTs(join(ROOT, 'src/cli')));
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
