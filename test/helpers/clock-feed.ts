// A camera on a pipe, for the tests of what the CLI measures of a live input's rate: access units written
// at a frame rate by the clock. Each 10 ms timer tick writes the frames due by then, not one frame per
// tick: a loaded machine's late ticks would lower the rate the command measures.

/** Writes `units` (looping) at `fps` through `write` until `stop()`. */
export function feedByClock(
  units: readonly { readonly data: Uint8Array }[],
  fps: number,
  write: (data: Uint8Array) => void,
): { stop(): void } {
  const start = Date.now();
  let i = 0;
  const timer = setInterval(() => {
    while (i < ((Date.now() - start) * fps) / 1000) write(units[i++ % units.length]!.data);
  }, 10);
  return { stop: () => clearInterval(timer) };
}
