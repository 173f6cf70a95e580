// `npm start`: the one-command live demo. Builds the web app (dist/) and the library/CLI (dist-lib/)
// when either is missing or older than the sources, then relays the bundled demo clip in a loop with
// `h264mux serve` and prints the URL to open. Extra arguments go to serve: `npm start -- --port 9000`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const at = (...p) => join(root, ...p);

/** Newest modification time (ms) of a file or of every file under a directory. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

const appBuilt = at('dist', 'index.html');
const serveBuilt = at('dist-lib', 'cli', 'serve', 'index.js');
const sourcesTime = Math.max(
  newest(at('src')),
  newest(at('index.html')),
  newest(at('vite.config.ts')),
  newest(at('public')),
);
const stale = (file) => !existsSync(file) || statSync(file).mtimeMs < sourcesTime;
if (stale(appBuilt) || stale(serveBuilt)) {
  console.log('h264mux: building the app and the CLI (npm run build)...');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('h264mux: the build failed; see above.');
    process.exit(r.status ?? 1);
  }
}

const { runServe } = await import(pathToFileURL(serveBuilt).href);
const args = ['--file', at('public', 'demo.h264'), '--loop'];
if (process.env.PORT && !process.argv.includes('--port')) args.push('--port', process.env.PORT);
console.log('h264mux: live demo — open one of the URLs below (Ctrl+C stops)');
process.exitCode = await runServe([...args, ...process.argv.slice(2)]);
