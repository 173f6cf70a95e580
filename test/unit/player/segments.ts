// Real init and media segments of the fixtures, from the core Transmuxer, for the player's tests.
import { Transmuxer } from '../../../src/core/index.js';
import type { InitSegment, MediaSegment, TransmuxerOptions } from '../../../src/core/index.js';
import { fixture, readFixture } from '../../helpers/fixtures.js';

export interface Segments {
  readonly init: InitSegment;
  readonly inits: readonly InitSegment[];
  readonly media: readonly MediaSegment[];
  /** Every output in stream order (init and media). */
  readonly all: readonly (InitSegment | MediaSegment)[];
}

const cache = new Map<string, Segments>();

/** The fixture whose name starts with `prefix`, transmuxed whole. */
export function segmentsOf(prefix: string, options: TransmuxerOptions = {}): Segments {
  const key = `${prefix} ${JSON.stringify(options)}`;
  const known = cache.get(key);
  if (known) return known;
  const name = fixture(prefix).name;
  const t = new Transmuxer(options);
  const data = readFixture(name);
  const outputs = [...t.push(data), ...t.flush()];
  const all = outputs.filter(
    (o): o is InitSegment | MediaSegment => o.type === 'init' || o.type === 'media',
  );
  const inits = all.filter((o): o is InitSegment => o.type === 'init');
  const init = inits[0];
  if (!init) throw new Error(`${name}: no init segment`);
  const segments = {
    init,
    inits,
    media: all.filter((o): o is MediaSegment => o.type === 'media'),
    all,
  };
  cache.set(key, segments);
  return segments;
}
