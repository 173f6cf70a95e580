// A clock the test moves by hand: timers fire in time order when `advance` passes them.
import type { Clock, TimerId } from '../../../src/player/clock.js';

interface Timer {
  readonly id: number;
  at: number;
  readonly every: number | undefined;
  readonly callback: () => void;
}

export class FakeClock implements Clock {
  private time = 0;
  private nextId = 1;
  private timers: Timer[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): TimerId {
    return this.add(callback, ms, undefined);
  }

  setInterval(callback: () => void, ms: number): TimerId {
    return this.add(callback, ms, ms);
  }

  clearTimeout(id: TimerId | undefined): void {
    this.timers = this.timers.filter((t) => (t.id as unknown) !== id);
  }

  clearInterval(id: TimerId | undefined): void {
    this.clearTimeout(id);
  }

  /** Timers armed and not yet fired. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves the time on by `ms`, firing every timer due on the way, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers
        .filter((t) => t.at <= end)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.time = due.at;
      if (due.every === undefined) this.timers = this.timers.filter((t) => t !== due);
      else due.at += Math.max(1, due.every);
      due.callback();
    }
    this.time = end;
  }

  private add(callback: () => void, ms: number, every: number | undefined): TimerId {
    const id = this.nextId++;
    this.timers.push({ id, at: this.time + Math.max(0, ms), every, callback });
    return id as unknown as TimerId;
  }
}
