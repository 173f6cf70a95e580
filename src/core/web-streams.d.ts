// The part of the WHATWG Streams API (https://streams.spec.whatwg.org/) that src/core/stream.ts uses, for
// type-checking src/core on its own (src/core/tsconfig.json: no DOM, no Node types). Browsers, workers and
// Node 18+ all provide these as globals; every other build of this project (and every user of the package)
// gets the full declarations from TypeScript's DOM lib or @types/node instead (tsconfig.json excludes
// this file).

interface ReadableStream<R> {
  readonly locked: boolean;
  /** Only there to use R, as the real interface does. */
  getReader(): { read(): Promise<{ done: boolean; value?: R }> };
}

interface WritableStream<W> {
  readonly locked: boolean;
  getWriter(): { write(chunk: W): Promise<void> };
}

interface TransformStreamDefaultController<O> {
  readonly desiredSize: number | null;
  enqueue(chunk: O): void;
  error(reason?: unknown): void;
  terminate(): void;
}

interface Transformer<I, O> {
  start?(controller: TransformStreamDefaultController<O>): void | PromiseLike<void>;
  transform?(chunk: I, controller: TransformStreamDefaultController<O>): void | PromiseLike<void>;
  flush?(controller: TransformStreamDefaultController<O>): void | PromiseLike<void>;
}

interface TransformStream<I, O> {
  readonly readable: ReadableStream<O>;
  readonly writable: WritableStream<I>;
}

// eslint-disable-next-line no-var -- a global, declared as the DOM lib and @types/node declare it
declare var TransformStream: {
  prototype: TransformStream<unknown, unknown>;
  new <I, O>(transformer?: Transformer<I, O>): TransformStream<I, O>;
};
