import { describe, expect, it } from 'vitest';
import { DicomParseError } from '../errors';
import { splitEncapsulatedFrames } from './encapsulated-frames';

const soi = (...rest: number[]) => Uint8Array.of(0xff, 0xd8, ...rest);
const body = (...bytes: number[]) => Uint8Array.of(...bytes);

describe('splitEncapsulatedFrames', () => {
  it('takes one fragment per frame as is', () => {
    const frames = splitEncapsulatedFrames([soi(1), soi(2)], 2, '1.2.3');
    expect(frames.map((f) => Array.from(f))).toEqual([
      [0xff, 0xd8, 1],
      [0xff, 0xd8, 2],
    ]);
  });

  it('joins every fragment of a single frame', () => {
    expect(Array.from(splitEncapsulatedFrames([soi(1), body(2, 3)], 1, '1.2.3')[0]!)).toEqual([0xff, 0xd8, 1, 2, 3]);
  });

  it('groups the fragments of several frames at each start of codestream when there is no offset table', () => {
    const frames = splitEncapsulatedFrames([soi(1), body(2), soi(3), body(4), body(5)], 2, '1.2.3');
    expect(frames.map((f) => Array.from(f))).toEqual([
      [0xff, 0xd8, 1, 2],
      [0xff, 0xd8, 3, 4, 5],
    ]);
  });

  it('refuses fragments that cannot be mapped to NumberOfFrames', () => {
    expect(() => splitEncapsulatedFrames([soi(1), body(2), body(3)], 2, '1.2.3')).toThrow(/3 fragments cannot be mapped to 2 frames/);
  });

  it('refuses encapsulated PixelData with no fragments', () => {
    expect(() => splitEncapsulatedFrames([new Uint8Array(0)], 1, '1.2.3')).toThrow(DicomParseError);
  });
});
