// Types of scripts/fuzz-target.mjs.
import type * as Engine from '../test/helpers/fuzz.js';

export interface FuzzTarget {
  /** test/helpers/fuzz.ts, running against the step-counted core. */
  readonly engine: typeof Engine;
  /** The core's step counter: runCase sets and reads it. */
  readonly meter: Engine.Meter;
  /** Where the target was written. */
  readonly dir: string;
  /** Removes `dir`. */
  dispose(): void;
}

export declare function loadFuzzTarget(): Promise<FuzzTarget>;
export declare function fixtureCorpus(): Uint8Array[];
