// Top-level MP4 box walk with no dependency (the fuzz target runs it outside this repository's node_modules).

/** Top-level box layout by our own walk (size/type only), to split a file into init and fragments. */
export function topLevelBoxes(data: Uint8Array): { type: string; start: number; end: number }[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: { type: string; start: number; end: number }[] = [];
  let i = 0;
  while (i + 8 <= data.byteLength) {
    let size = view.getUint32(i);
    const type = String.fromCharCode(...data.subarray(i + 4, i + 8));
    if (size === 1) size = Number(view.getBigUint64(i + 8));
    else if (size === 0) size = data.byteLength - i;
    if (size < 8 || i + size > data.byteLength)
      throw new Error(`bad ${type} box size ${size} at ${i}`);
    out.push({ type, start: i, end: i + size });
    i += size;
  }
  if (i !== data.byteLength)
    throw new Error(`${data.byteLength - i} trailing bytes after the last box`);
  return out;
}
