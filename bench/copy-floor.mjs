// The floor for any Node CLI converting a file: start Node, read every byte and write it out again, with
// the CLI's I/O pattern (2 MiB positioned reads, three in flight, positioned writes in the thread pool)
// and no muxing at all. `npm run bench` times this process beside `ffmpeg -c copy` and our CLI.
//   node bench/copy-floor.mjs <in> <out>
import { open } from 'node:fs/promises';

const CHUNK = 2 * 1024 * 1024;
const READ_AHEAD = 3;
const [input, output] = await Promise.all([open(process.argv[2], 'r'), open(process.argv[3], 'w')]);
const reads = [];
let position = 0;
const issue = () => {
  const buffer = Buffer.allocUnsafeSlow(CHUNK);
  reads.push({ buffer, at: position, done: input.read(buffer, 0, CHUNK, position) });
  position += CHUNK;
};
for (let i = 0; i < READ_AHEAD; i++) issue();
let writes = Promise.resolve();
for (;;) {
  const read = reads.shift();
  const { bytesRead } = await read.done;
  if (bytesRead === 0) break;
  issue();
  writes = writes.then(() => output.write(read.buffer, 0, bytesRead, read.at));
  if (bytesRead < CHUNK) break;
}
await Promise.all(reads.map((r) => r.done));
await writes;
await Promise.all([input.close(), output.close()]);
