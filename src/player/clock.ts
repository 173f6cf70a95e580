/**
 * Time and timers as a dependency: the player's units read the time and arm timers only through a
 * Clock, so that tests drive them with a fake one and no unit waits on the wall clock.
 */
export type TimerId = ReturnType<typeof setTimeout>;

export interface Clock {
  /** Milliseconds, monotonic (performance.now() in a page or a worker). */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId | undefined): void;
  setInterval(callback: () => void, ms: number): TimerId;
  clearInterval(id: TimerId | undefined): void;
}

/** The global clock of a page, a worker or Node (looked up at each call). */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (id) => clearTimeout(id),
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (id) => clearInterval(id),
};
