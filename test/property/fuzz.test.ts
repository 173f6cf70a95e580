// The fuzz target, bounded for CI: 2,000 mutated inputs from fixed seeds (test/helpers/fuzz.ts) through
// the step-counted core (scripts/fuzz-target.mjs). No throw but H264MuxError, no hang (a case that spends
// its loop-iteration budget), only ftyp+moov / moof+mdat segments, and the output of a single push
// whatever the chunking. A failure names the seed and case and writes the input to replay:
// `npm run fuzz -- --seed S --index I`. Longer runs: `npm run fuzz -- --minutes 10`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureCorpus, loadFuzzTarget, type FuzzTarget } from '../../scripts/fuzz-target.mjs';
import type { FuzzCase, FuzzResult } from '../helpers/fuzz.js';

const SEEDS = [1, 2, 3, 4];
const CASES_PER_SEED = 500;

let target: FuzzTarget;
let corpus: Uint8Array[];
beforeAll(async () => {
  target = await loadFuzzTarget();
  corpus = [...fixtureCorpus(), ...target.engine.syntheticCorpus()];
}, 60_000);
afterAll(() => target.dispose());

/** Writes the input of a failed case and says how to run it again. */
function describeFailure(c: FuzzCase, r: FuzzResult): string {
  const dir = join(tmpdir(), 'h264mux-fuzz-failures');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `seed${c.seed}-case${c.index}.h264`);
  writeFileSync(file, c.input);
  return [
    `${r.outcome} at seed ${c.seed} case ${c.index} (${c.input.length} bytes; ${c.recipe.join(', ')})`,
    r.detail,
    `input: ${file}; again: npm run fuzz -- --seed ${c.seed} --index ${c.index}`,
  ].join('\n');
}

describe('fuzz: mutated streams in random chunks', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: ${CASES_PER_SEED} cases, no untyped throw, hang, bad segment or chunking difference`, () => {
      const failures: string[] = [];
      const outcomes = new Map<string, number>();
      let maxShare = 0;
      for (let index = 0; index < CASES_PER_SEED; index++) {
        const c = target.engine.makeCase(seed, index, corpus);
        const r = target.engine.runCase(c, target.meter);
        outcomes.set(r.outcome, (outcomes.get(r.outcome) ?? 0) + 1);
        maxShare = Math.max(maxShare, r.steps / target.engine.stepBudget(c.input.length));
        if (target.engine.failed(r)) failures.push(describeFailure(c, r));
      }
      expect(failures).toEqual([]);
      // The cases must reach the muxer, not only its error paths.
      expect(outcomes.get('ok') ?? 0).toBeGreaterThan(CASES_PER_SEED / 3);
      // The budget leaves a wide margin over what the cases take.
      expect(maxShare).toBeLessThan(0.1);
    });
  }

  it('a case that spends its step budget is a hang, not a stuck test or an error', () => {
    const c = target.engine.makeCase(1, 0, corpus);
    expect(target.engine.runCase(c, target.meter, 1_000).outcome).toBe('hang');
  });
});
