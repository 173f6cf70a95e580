// `node --import ./bench/peak-rss-hook.mjs …`: prints the process's peak RSS in KiB as stderr's last line
// ("peak-rss N") when it exits. VmHWM starts afresh at exec; getrusage's ru_maxrss keeps the parent's
// high-water mark from before the fork, so it is only the fallback where /proc is missing.
import { existsSync, readFileSync } from 'node:fs';

process.on('exit', () => {
  const status = existsSync('/proc/self/status') ? readFileSync('/proc/self/status', 'utf8') : '';
  const hwm = /VmHWM:\s+(\d+)/.exec(status)?.[1];
  process.stderr.write(`\npeak-rss ${hwm ?? process.resourceUsage().maxRSS}\n`);
});
