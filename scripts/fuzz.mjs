// Fuzzes the core for a while: `npm run fuzz -- --minutes 10` (or --count N). Prints inputs/s, the
// outcomes, every untyped throw, hang, malformed segment and chunking difference with the seed and
// index that make the case again (`npm run fuzz -- --seed S --index I`), the slowest input and the peak
// memory. Failing inputs are written to a folder under the OS temp dir. Exit status 1 when any failed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fixtureCorpus, loadFuzzTarget } from './fuzz-target.mjs';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string' },
    count: { type: 'string' },
    seed: { type: 'string' },
    index: { type: 'string' },
  },
});
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 1_000_000;
const replay = values.index !== undefined ? Number(values.index) : undefined;
const count = values.count !== undefined ? Number(values.count) : Infinity;
const minutes =
  values.minutes !== undefined ? Number(values.minutes) : count === Infinity ? 1 : Infinity;
if (![seed, count, minutes].every((n) => n >= 0) || (replay !== undefined && !(replay >= 0))) {
  console.error('usage: npm run fuzz -- [--minutes N | --count N] [--seed S] [--index I]');
  process.exit(2);
}

const target = await loadFuzzTarget();
const { engine, meter } = target;
const corpus = [...fixtureCorpus(), ...engine.syntheticCorpus()];
const failDir = join(tmpdir(), 'h264mux-fuzz-failures');

/** Writes a failing case's input and prints how to make it again. */
function report(c, r) {
  mkdirSync(failDir, { recursive: true });
  const file = join(failDir, `seed${c.seed}-case${c.index}.h264`);
  writeFileSync(file, c.input);
  console.log(
    `\n${r.outcome.toUpperCase()} seed ${c.seed} case ${c.index} (${c.input.length} bytes, ${c.cuts.length} cuts)`,
  );
  console.log(`  mutations: ${c.recipe.join(', ')}`);
  console.log(`  ${r.detail.split('\n').slice(0, 12).join('\n  ')}`);
  console.log(`  input: ${file}`);
  console.log(`  again: npm run fuzz -- --seed ${c.seed} --index ${c.index}`);
}

if (replay !== undefined) {
  const c = engine.makeCase(seed, replay, corpus);
  const r = engine.runCase(c, meter);
  console.log(`seed ${seed} case ${replay}: ${r.outcome} ${r.detail} (${r.steps} steps)`);
  if (engine.failed(r)) report(c, r);
  target.dispose();
  process.exit(engine.failed(r) ? 1 : 0);
}

// Warm-up, not counted: the first cases of a run are slow while V8 compiles the core.
for (let i = 0; i < 50; i++) engine.runCase(engine.makeCase(seed + 1, i, corpus), meter);

console.log(
  `fuzzing the core: seed ${seed}, ${Number.isFinite(count) ? `${count} cases` : `${minutes} min`}, ${corpus.length} corpus streams`,
);
const start = performance.now();
const end = start + minutes * 60_000;
const outcomes = new Map();
const failures = [];
let slowest = { ms: -1, index: -1, bytes: 0, recipe: [] };
let peakRss = 0;
let bytes = 0;
let cpuMs = 0;
let lastPrint = start;
let index = 0;
for (; index < count && performance.now() < end; index++) {
  const c = engine.makeCase(seed, index, corpus);
  // CPU time, not wall time: on a shared machine the wall clock mostly measures the other processes.
  const cpu0 = process.cpuUsage();
  const r = engine.runCase(c, meter);
  const cpu = process.cpuUsage(cpu0);
  const ms = (cpu.user + cpu.system) / 1000;
  cpuMs += ms;
  bytes += c.input.length;
  const key = r.outcome === 'typed' ? `typed ${r.detail}` : r.outcome;
  outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  if (ms > slowest.ms)
    slowest = { ms, index, bytes: c.input.length, recipe: c.recipe, steps: r.steps };
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  if (engine.failed(r)) {
    failures.push({ index, outcome: r.outcome });
    report(c, r);
  }
  if (performance.now() - lastPrint > 10_000) {
    lastPrint = performance.now();
    const s = (lastPrint - start) / 1000;
    console.log(
      `  ${index + 1} inputs, ${((index + 1) / s).toFixed(0)}/s, ${failures.length} failures`,
    );
  }
}
const seconds = (performance.now() - start) / 1000;
const MiB = 1 << 20;
console.log(
  `\n${index} inputs (${(bytes / MiB).toFixed(0)} MiB) in ${seconds.toFixed(1)} s: ${(index / seconds).toFixed(0)} inputs/s` +
    ` (${(index / (cpuMs / 1000)).toFixed(0)} per CPU second)`,
);
for (const [key, n] of [...outcomes].sort((a, b) => b[1] - a[1])) console.log(`  ${key}: ${n}`);
console.log(`untyped throws: ${failures.filter((f) => f.outcome === 'untyped').length}`);
console.log(`hangs (step budget spent): ${failures.filter((f) => f.outcome === 'hang').length}`);
console.log(`malformed segments: ${failures.filter((f) => f.outcome === 'malformed').length}`);
console.log(`chunking differences: ${failures.filter((f) => f.outcome === 'chunking').length}`);
console.log(
  `slowest input: case ${slowest.index}, ${slowest.ms.toFixed(1)} ms of CPU, ${slowest.bytes} bytes, ${slowest.steps} steps (${slowest.recipe.join(', ')})`,
);
console.log(`peak RSS: ${(peakRss / MiB).toFixed(0)} MiB`);
target.dispose();
process.exit(failures.length > 0 ? 1 : 0);
