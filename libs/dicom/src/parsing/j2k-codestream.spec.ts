import { describe, expect, it } from 'vitest';
import { readJ2kCodestream } from './j2k-codestream';

/** A minimal codestream: SOC, SIZ (one component), a COD-like segment, one tile-part of `body` bytes, EOC. */
function codestream(options: { width?: number; height?: number; ssiz?: number; body?: number; psot?: number; eoc?: boolean } = {}): Uint8Array {
  const { width = 512, height = 256, ssiz = 0x8f, body = 20, eoc = true } = options;
  const bytes: number[] = [];
  const u16 = (v: number) => bytes.push((v >> 8) & 0xff, v & 0xff);
  const u32 = (v: number) => (u16(v >>> 16), u16(v & 0xffff));
  u16(0xff4f);
  u16(0xff51);
  u16(41); // Lsiz = 38 + 3 x 1 component
  u16(0x4000); // Rsiz: HTJ2K capabilities
  u32(width + 7); // Xsiz, with an image offset of 7
  u32(height + 3);
  u32(7); // XOsiz
  u32(3);
  u32(width + 7); // one tile
  u32(height + 3);
  u32(0);
  u32(0);
  u16(1); // Csiz
  bytes.push(ssiz, 1, 1);
  u16(0xff52); // COD with 2 bytes of content
  u16(4);
  u16(0);
  const psot = options.psot ?? 12 + 2 + body;
  u16(0xff90);
  u16(10);
  u16(0); // Isot
  u32(psot);
  bytes.push(0, 1);
  u16(0xff93); // SOD
  for (let i = 0; i < body; i++) bytes.push(i & 0x7f);
  if (eoc) u16(0xffd9);
  return new Uint8Array(bytes);
}

describe('readJ2kCodestream', () => {
  it('reads the size (less the image offset), component count, bit depth and signedness from SIZ', () => {
    expect(readJ2kCodestream(codestream())).toEqual({ width: 512, height: 256, componentCount: 1, bitDepth: 16, isSigned: true });
    expect(readJ2kCodestream(codestream({ ssiz: 0x0b }))).toMatchObject({ bitDepth: 12, isSigned: false });
  });

  it('accepts a last tile-part whose Psot is 0 (it runs to EOC), with a DICOM pad byte after EOC', () => {
    const stream = codestream({ psot: 0 });
    expect(readJ2kCodestream(stream).width).toBe(512);
    const padded = new Uint8Array(stream.length + 1);
    padded.set(stream);
    expect(readJ2kCodestream(padded).width).toBe(512);
  });

  it('refuses what is not a codestream', () => {
    expect(() => readJ2kCodestream(new Uint8Array(0))).toThrow(/not a JPEG 2000 codestream/);
    expect(() => readJ2kCodestream(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0]))).toThrow(/not a JPEG 2000 codestream/);
  });

  it('refuses a stream cut anywhere: in SIZ, in the main header, in a tile-part or before EOC', () => {
    const whole = codestream();
    for (const cut of [10, 46, 52, 60, whole.length - 5, whole.length - 2]) {
      expect(() => readJ2kCodestream(whole.subarray(0, cut)), `cut at ${cut}`).toThrow(/truncated/);
    }
    expect(() => readJ2kCodestream(codestream({ psot: 0, eoc: false }))).toThrow(/does not end with EOC/);
  });

  it('refuses a tile-part length that runs past the end', () => {
    expect(() => readJ2kCodestream(codestream({ psot: 5000 }))).toThrow(/tile-part of 5000 bytes/);
  });
});
