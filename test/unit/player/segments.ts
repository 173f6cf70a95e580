// Real init and media segments of the fixtures, from the core Transmuxer, for the player's tests.
import { AccessUnitReader } from '../../../src/core/access-unit-reader.js';
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

/**
 * The fixture whose name starts with `prefix` as a live player gets it over a connection that drops
 * after `atFrame` access units, and a new one from there (`reset()` between them): its frames' init
 * and media segments in stream order, the new connection's init segment a discontinuity.
 */
export function reconnectedSegments(
  prefix: string,
  atFrame: number,
): readonly (InitSegment | MediaSegment)[] {
  const reader = new AccessUnitReader();
  const data = readFixture(fixture(prefix).name);
  const units = [...reader.push(data), ...reader.flush()];
  const t = new Transmuxer({ fragment: 'frame' });
  const outputs = [
    ...units.slice(0, atFrame).flatMap((u) => t.push(u.data, { endOfAccessUnit: true })),
    ...t.reset(),
    ...units.slice(atFrame).flatMap((u) => t.push(u.data, { endOfAccessUnit: true })),
    ...t.flush(),
  ];
  return outputs.filter(
    (o): o is InitSegment | MediaSegment => o.type === 'init' || o.type === 'media',
  );
}
