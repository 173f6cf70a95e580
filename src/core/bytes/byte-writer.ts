/** Big-endian writer into a buffer whose size was computed up front (ISO BMFF boxes). */
export class ByteWriter {
  readonly bytes: Uint8Array<ArrayBuffer>;
  private readonly view: DataView;
  offset = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  u8(value: number): this {
    this.view.setUint8(this.offset, value);
    this.offset += 1;
    return this;
  }

  u16(value: number): this {
    this.view.setUint16(this.offset, value);
    this.offset += 2;
    return this;
  }

  u24(value: number): this {
    this.view.setUint8(this.offset, (value >>> 16) & 0xff);
    this.view.setUint16(this.offset + 1, value & 0xffff);
    this.offset += 3;
    return this;
  }

  u32(value: number): this {
    this.view.setUint32(this.offset, value >>> 0);
    this.offset += 4;
    return this;
  }

  i32(value: number): this {
    this.view.setInt32(this.offset, value);
    this.offset += 4;
    return this;
  }

  /** 64-bit unsigned from a safe integer. */
  u64(value: number): this {
    this.view.setUint32(this.offset, Math.floor(value / 2 ** 32));
    this.view.setUint32(this.offset + 4, value >>> 0);
    this.offset += 8;
    return this;
  }

  /** Four-character code. */
  fourcc(code: string): this {
    for (let i = 0; i < 4; i++) this.view.setUint8(this.offset + i, code.charCodeAt(i));
    this.offset += 4;
    return this;
  }

  bytesOf(data: Uint8Array): this {
    this.bytes.set(data, this.offset);
    this.offset += data.length;
    return this;
  }

  zeros(count: number): this {
    this.offset += count; // the buffer starts zero-filled
    return this;
  }

  /** Box header: size and type (ISO/IEC 14496-12 §4.2). */
  box(size: number, type: string): this {
    return this.u32(size).fourcc(type);
  }

  /** FullBox header: size, type, version and flags (§4.2). */
  fullBox(size: number, type: string, version: number, flags: number): this {
    return this.u32(size).fourcc(type).u8(version).u24(flags);
  }
}
