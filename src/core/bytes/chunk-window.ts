/**
 * The chunks of a byte stream still needed, each at its stream position: a reader that hands out
 * spans of the input as views (nothing copied) keeps the chunks those spans may still reach here, and
 * lets go of the older ones. Positions count every byte pushed since construction, across `clear`.
 * Do not modify a chunk after pushing it.
 */
export class ChunkWindow {
  private chunks: Uint8Array[] = [];
  private starts: number[] = [];
  private end = 0;

  /** The stream position after the last byte pushed. */
  get position(): number {
    return this.end;
  }

  /** Bytes held. */
  get heldBytes(): number {
    let n = 0;
    for (const chunk of this.chunks) n += chunk.length;
    return n;
  }

  /** Appends a chunk at the current position (an empty one changes nothing). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.starts.push(this.end);
    this.end += chunk.length;
  }

  /** Lets go of every chunk that ends at or before `position`. */
  releaseBefore(position: number): void {
    let drop = 0;
    while (drop < this.chunks.length && this.chunkEnd(drop) <= position) drop++;
    if (drop > 0) {
      this.chunks.splice(0, drop);
      this.starts.splice(0, drop);
    }
  }

  /** Lets go of every chunk; positions go on counting. */
  clear(): void {
    this.chunks = [];
    this.starts = [];
  }

  /** The byte at a stream position, or undefined when it is not held. */
  byteAt(position: number): number | undefined {
    for (let i = this.chunks.length - 1; i >= 0; i--) {
      const start = this.starts[i] as number;
      if (position >= start) return (this.chunks[i] as Uint8Array)[position - start];
    }
    return undefined;
  }

  /** The bytes [from, to) as views of the chunks (a whole chunk as itself); what is not held is left out. */
  span(from: number, to: number): Uint8Array[] {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < this.chunks.length; i++) {
      const start = this.starts[i] as number;
      const chunk = this.chunks[i] as Uint8Array;
      const a = Math.max(from, start);
      const b = Math.min(to, start + chunk.length);
      if (a < b)
        parts.push(
          a === start && b === start + chunk.length ? chunk : chunk.subarray(a - start, b - start),
        );
    }
    return parts;
  }

  private chunkEnd(i: number): number {
    return (this.starts[i] as number) + (this.chunks[i] as Uint8Array).length;
  }
}
