import { describe, expect, it } from 'vitest';
import { decodeRunLengths, MaskCodecError } from './mask-codec';

/** Runs as the overlays API sends them: uint32 little endian, base64 (docs/CONTRACTS.md §6). */
function encode(runs: number[]): string {
  const bytes = new Uint8Array(runs.length * 4);
  const view = new DataView(bytes.buffer);
  runs.forEach((run, i) => view.setUint32(i * 4, run, true));
  return btoa(String.fromCharCode(...bytes));
}

describe('decoding an overlay mask', () => {
  it('alternates background and foreground runs, starting with background', () => {
    expect(Array.from(decodeRunLengths(encode([2, 3, 1, 2]), 8))).toEqual([0, 0, 1, 1, 1, 0, 1, 1]);
  });

  it('reads a leading empty background run as a mask that starts with foreground', () => {
    expect(Array.from(decodeRunLengths(encode([0, 2, 2]), 4))).toEqual([1, 1, 0, 0]);
  });

  it('leaves unlisted trailing pixels as background', () => {
    expect(Array.from(decodeRunLengths(encode([1, 1]), 4))).toEqual([0, 1, 0, 0]);
  });

  it('refuses runs longer than the slice and a body that is not whole uint32 values', () => {
    expect(() => decodeRunLengths(encode([3, 3]), 4)).toThrow(MaskCodecError);
    expect(() => decodeRunLengths(btoa('abc'), 4)).toThrow(MaskCodecError);
  });
});
