import { ByteWriter } from '../bytes/byte-writer.js';

/**
 * Small ISO BMFF box serializers (ISO/IEC 14496-12). Each takes its payload, knows its size up front and
 * writes once. Container boxes take already-serialized children.
 */

/** A box whose payload is the concatenation of `children`. */
export function box(type: string, ...children: Uint8Array[]): Uint8Array<ArrayBuffer> {
  let size = 8;
  for (const child of children) size += child.length;
  const w = new ByteWriter(size).box(size, type);
  for (const child of children) w.bytesOf(child);
  return w.bytes;
}

/** A FullBox with version, flags and a raw payload. */
export function fullBox(
  type: string,
  version: number,
  flags: number,
  payload: Uint8Array,
): Uint8Array {
  const size = 12 + payload.length;
  return new ByteWriter(size).fullBox(size, type, version, flags).bytesOf(payload).bytes;
}

/** ftyp, §4.3 */
export function ftyp(major: string, minor: number, compatible: readonly string[]): Uint8Array {
  const size = 16 + 4 * compatible.length;
  const w = new ByteWriter(size).box(size, 'ftyp').fourcc(major).u32(minor);
  for (const brand of compatible) w.fourcc(brand);
  return w.bytes;
}

/** Unity transformation matrix used by mvhd and tkhd, §8.2.2. */
function matrix(w: ByteWriter): void {
  for (const v of [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000]) w.u32(v);
}

/** mvhd, §8.2.2: duration 0 means unknown (fragmented, live); version 1 when it needs 64 bits. */
export function mvhd(timescale: number, nextTrackId: number, duration = 0): Uint8Array {
  const v1 = duration > 0xffffffff;
  const size = v1 ? 120 : 108;
  const w = new ByteWriter(size).fullBox(size, 'mvhd', v1 ? 1 : 0, 0);
  if (v1) w.u64(0).u64(0).u32(timescale).u64(duration);
  else w.u32(0).u32(0).u32(timescale).u32(duration); // creation, modification, timescale, duration
  w.u32(0x00010000).u16(0x0100).zeros(10); // rate 1.0, volume 1.0, reserved
  matrix(w);
  w.zeros(24); // pre_defined
  w.u32(nextTrackId);
  return w.bytes;
}

/** tkhd, §8.3.2: flags 3 = enabled and in movie; width/height in 16.16 fixed point. */
export function tkhd(trackId: number, width: number, height: number, duration = 0): Uint8Array {
  const v1 = duration > 0xffffffff;
  const size = v1 ? 104 : 92;
  const w = new ByteWriter(size).fullBox(size, 'tkhd', v1 ? 1 : 0, 3);
  if (v1) w.u64(0).u64(0).u32(trackId).u32(0).u64(duration);
  else w.u32(0).u32(0).u32(trackId).u32(0).u32(duration); // creation, modification, track_ID, reserved, duration
  w.zeros(8); // reserved
  w.u16(0).u16(0).u16(0).u16(0); // layer, alternate_group, volume (0 for video), reserved
  matrix(w);
  w.u32(Math.round(width * 65536)).u32(Math.round(height * 65536));
  return w.bytes;
}

/** mdhd, §8.4.2: language 'und'. */
export function mdhd(timescale: number, duration = 0): Uint8Array {
  const v1 = duration > 0xffffffff;
  const size = v1 ? 44 : 32;
  const w = new ByteWriter(size).fullBox(size, 'mdhd', v1 ? 1 : 0, 0);
  if (v1) w.u64(0).u64(0).u32(timescale).u64(duration);
  else w.u32(0).u32(0).u32(timescale).u32(duration); // creation, modification, timescale, duration
  w.u16(0x55c4).u16(0); // language 'und' (ISO-639-2/T packed), pre_defined
  return w.bytes;
}

/** hdlr, §8.4.3 */
export function hdlr(handlerType: string, name: string): Uint8Array {
  const nameBytes = new Uint8Array(name.length + 1);
  for (let i = 0; i < name.length; i++) nameBytes[i] = name.charCodeAt(i) & 0x7f;
  const size = 32 + nameBytes.length;
  const w = new ByteWriter(size).fullBox(size, 'hdlr', 0, 0);
  w.u32(0).fourcc(handlerType).zeros(12).bytesOf(nameBytes);
  return w.bytes;
}

/** vmhd, §12.1.2: flags 1. */
export function vmhd(): Uint8Array {
  return new ByteWriter(20).fullBox(20, 'vmhd', 0, 1).zeros(8).bytes;
}

/** dinf with a self-contained url entry, §8.7.1-8.7.2. */
export function dinf(): Uint8Array {
  const url = new ByteWriter(12).fullBox(12, 'url ', 0, 1).bytes;
  const dref = new ByteWriter(16 + url.length)
    .fullBox(16 + url.length, 'dref', 0, 0)
    .u32(1)
    .bytesOf(url).bytes;
  return box('dinf', dref);
}

/** Empty sample tables of a fragmented file's stbl: stts, stsc, stco (entry_count 0) and stsz, §8.6-8.7. */
export function emptySampleTables(): Uint8Array[] {
  const empty = (type: string): Uint8Array =>
    new ByteWriter(16).fullBox(16, type, 0, 0).u32(0).bytes;
  const stsz = new ByteWriter(20).fullBox(20, 'stsz', 0, 0).u32(0).u32(0).bytes;
  return [empty('stts'), empty('stsc'), stsz, empty('stco')];
}

/** stsd with one sample entry, §8.5.2 */
export function stsd(entry: Uint8Array): Uint8Array {
  const size = 16 + entry.length;
  return new ByteWriter(size).fullBox(size, 'stsd', 0, 0).u32(1).bytesOf(entry).bytes;
}

/** mvex with trex for one track, §8.8.1, §8.8.3 (no mehd: duration unknown). */
export function mvex(trackId: number): Uint8Array {
  const trex = new ByteWriter(32)
    .fullBox(32, 'trex', 0, 0)
    .u32(trackId)
    .u32(1)
    .u32(0)
    .u32(0)
    .u32(0).bytes;
  return box('mvex', trex);
}

/** pasp, §12.1.4.2 */
export function pasp(hSpacing: number, vSpacing: number): Uint8Array {
  return new ByteWriter(16).box(16, 'pasp').u32(hSpacing).u32(vSpacing).bytes;
}
