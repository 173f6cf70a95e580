/**
 * Ctrl-C (SIGINT) or SIGTERM while a command reads a stream that may never end (a camera piped in): the
 * first signal ends the input as its end would, so that what was read is written out whole (a recording
 * stopped with Ctrl-C is a playable file, as with ffmpeg); a second one ends the process at once.
 */
import { constants } from 'node:os';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
/** The signals that end a command's input. */
export type InterruptSignal = (typeof SIGNALS)[number];

export class Interrupt {
  /** The first signal received, if any. */
  signal: InterruptSignal | undefined;
  private readonly stopped: Promise<undefined>;
  private stop: () => void = () => undefined;
  private readonly onSignal = (signal: InterruptSignal): void => {
    if (this.signal !== undefined) {
      // The second: the default action (the process ends, as the shell expects of a second Ctrl-C).
      this.dispose();
      process.kill(process.pid, signal);
      return;
    }
    this.signal = signal;
    this.stop();
  };

  constructor() {
    this.stopped = new Promise<undefined>((resolve) => {
      this.stop = () => resolve(undefined);
    });
    for (const signal of SIGNALS) process.on(signal, this.onSignal);
  }

  /** The status a shell reports for a process the signal ended: 128 + its number (130 for SIGINT). */
  get exitCode(): number | undefined {
    return this.signal === undefined ? undefined : 128 + constants.signals[this.signal];
  }

  /** Stops listening: signals have their default action again. */
  dispose(): void {
    for (const signal of SIGNALS) process.off(signal, this.onSignal);
  }

  /**
   * The chunks of `source` until it ends or the first signal. A read still waiting then (a pipe whose
   * writer stalls) is abandoned, not awaited: the caller finishes with what it has, and exits.
   */
  async *until(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    const chunks = source[Symbol.asyncIterator]();
    let waiting = false;
    try {
      while (this.signal === undefined) {
        waiting = true;
        const next = await Promise.race([chunks.next(), this.stopped]);
        waiting = next === undefined;
        if (next === undefined || next.done === true) return;
        yield next.value;
      }
    } finally {
      const done = chunks.return?.();
      if (!waiting) await done;
      else void Promise.resolve(done).catch(() => undefined);
    }
  }
}
