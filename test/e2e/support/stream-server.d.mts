export type Transport = 'http' | 'ws' | 'ws-au';
export function nowMs(): number;
export function prng(seed: number): () => number;
export function splitAccessUnits(buf: Uint8Array): { data: Uint8Array; keyframe: boolean }[];
export interface StreamServer {
  readonly port: number;
  readonly httpUrl: string;
  readonly fileUrl: string;
  readonly wsUrl: string;
  readonly wsFramedUrl: string;
  readonly units: readonly { data: Uint8Array; keyframe: boolean }[];
  readonly connections: number;
  currentFrame(): number;
  stop(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}
export function startStreamServer(options: {
  file: string | Uint8Array;
  fps: number;
  port?: number;
  loop?: boolean;
  clock?: 'shared' | 'per-client';
  randomChunks?: boolean;
  seed?: number;
  cors?: boolean;
  /** Each frame leaves a random 0..jitterMs ms after it is due, in order (seeded per client). */
  jitterMs?: number;
  /**
   * A camera that drops frames while its stream goes on: of every `every` frames, the last `frames`
   * are never sent (the frame clock goes on).
   */
  lose?: { every: number; frames: number } | undefined;
  /**
   * `frame`: index in the file; `timeMs`: its last byte handed to the socket; `dueMs`: when the frame
   * clock made it due (before jitter). Both on the wall clock of nowMs().
   */
  onFrameSent?: (
    client: number,
    frame: number,
    timeMs: number,
    transport: Transport,
    dueMs: number,
  ) => void;
}): Promise<StreamServer>;
