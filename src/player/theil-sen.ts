/**
 * Theil-Sen: a line's slope as the median of the slopes between every two points far enough apart. A
 * point or two far off the line (a frame a busy machine held up) moves few of the pairs' slopes, where
 * it tilts a least-squares fit. The source's pace (./source-pace.ts) and the relay's camera rate
 * (../cli/rate-check.ts arrivalRate) are fitted so.
 */

/**
 * (times[j] - times[i]) / (values[j] - values[i]) for every two points whose times (ascending) are
 * `minApart` or more apart and whose values rise; values default to the points' indices. With `stride`,
 * every stride-th point from each end (the pairs grow as the square of the points).
 */
export function pairSlopes(
  times: readonly number[],
  values: readonly number[] | undefined,
  minApart: number,
  stride = 1,
): number[] {
  const value = (i: number): number => (values ? (values[i] as number) : i);
  const n = times.length;
  const slopes: number[] = [];
  for (let i = 0; i < n; i += stride) {
    const a = times[i] as number;
    for (let j = n - 1; j > i; j -= stride) {
      const b = times[j] as number;
      if (b - a < minApart) break;
      if (value(j) > value(i)) slopes.push((b - a) / (value(j) - value(i)));
    }
  }
  return slopes;
}

/** The median of `values` (sorted here), undefined when there are none. */
export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  values.sort((x, y) => x - y);
  const mid = values.length >> 1;
  return values.length % 2 === 1
    ? values[mid]
    : ((values[mid - 1] as number) + (values[mid] as number)) / 2;
}
