import { describe, expect, it } from 'vitest';
import { BitReader, EndOfDataError, unescapeRbsp } from '../../src/core/bytes/bit-reader.js';

/** Writes Exp-Golomb codes (§9.1) the textbook way, to check the reader against. */
function expGolomb(values: readonly number[]): Uint8Array {
  let bits = '';
  for (const v of values) {
    const code = (v + 1).toString(2);
    bits += '0'.repeat(code.length - 1) + code;
  }
  bits += '1'; // stop bit
  while (bits.length % 8) bits += '0';
  const out = new Uint8Array(bits.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  return out;
}

describe('BitReader', () => {
  it('reads fixed-width fields MSB first, across byte boundaries', () => {
    const r = new BitReader(new Uint8Array([0b10110011, 0b01011100, 0xff, 0xff, 0xff, 0xff]));
    expect(r.bits(3)).toBe(0b101);
    expect(r.bits(7)).toBe(0b1001101);
    expect(r.flag()).toBe(false);
    expect(r.bits(5)).toBe(0b11100);
    expect(r.bits(32)).toBe(0xffffffff);
    expect(r.bitsLeft).toBe(0);
  });

  it('decodes ue(v) and se(v) per Table 9-1 and 9-3', () => {
    const values = [0, 1, 2, 3, 4, 7, 8, 254, 255, 65535, 2 ** 20];
    const r = new BitReader(expGolomb(values));
    for (const v of values) expect(r.ue()).toBe(v);
    const signed = new BitReader(expGolomb([0, 1, 2, 3, 4, 5, 6]));
    expect([0, 1, 2, 3, 4, 5, 6].map(() => signed.se())).toEqual([0, 1, -1, 2, -2, 3, -3]);
  });

  it('throws EndOfDataError past the end instead of reading garbage', () => {
    const r = new BitReader(new Uint8Array([0x00]));
    expect(() => r.ue()).toThrow(EndOfDataError);
    expect(() => new BitReader(new Uint8Array(1)).bits(9)).toThrow(EndOfDataError);
  });

  it('finds the rbsp_stop_one_bit for more_rbsp_data()', () => {
    const r = new BitReader(new Uint8Array([0b11000000]));
    expect(r.moreRbspData()).toBe(true);
    r.bits(1);
    expect(r.moreRbspData()).toBe(false);
  });
});

describe('unescapeRbsp', () => {
  it('removes emulation-prevention bytes only after two zeros (§7.4.1)', () => {
    expect([...unescapeRbsp(new Uint8Array([0x67, 0, 0, 3, 1, 0, 0, 3, 0, 3, 5]))]).toEqual([
      0x67, 0, 0, 1, 0, 0, 0, 3, 5,
    ]);
    expect([...unescapeRbsp(new Uint8Array([0, 3, 0, 0, 0, 3]))]).toEqual([0, 3, 0, 0, 0]);
  });

  it('returns a view when there is nothing to remove, and honours the limit', () => {
    const nal = new Uint8Array([0x65, 1, 2, 3, 4, 5]);
    const out = unescapeRbsp(nal, 3);
    expect(out.buffer).toBe(nal.buffer);
    expect([...out]).toEqual([0x65, 1, 2]);
  });
});
