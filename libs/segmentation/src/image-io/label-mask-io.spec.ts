import { describe, expect, it } from 'vitest';
import { encodePalettePng } from '../../../../tests/factories/palette-png.factory';
import { ImageDecodeError } from '../errors';
import { encodePng } from './gray-image-io';
import { decodeLabelMask } from './label-mask-io';

const labels = Uint8Array.from({ length: 6 * 4 }, (_, i) => i % 3);

describe('decodeLabelMask', () => {
  it('reads palette indices, whatever the palette colours', async () => {
    for (const palette of [undefined, [[10, 10, 10], [255, 255, 255], [0, 0, 255]] as const]) {
      const mask = await decodeLabelMask(encodePalettePng(labels, 6, 4, palette), 2);
      expect([mask.width, mask.height]).toEqual([6, 4]);
      expect(Array.from(mask.labels)).toEqual(Array.from(labels));
    }
  });

  it('reads an 8-bit grey PNG of class values', async () => {
    expect(Array.from((await decodeLabelMask(await encodePng(labels, 6, 4, 1), 2)).labels)).toEqual(Array.from(labels));
  });

  it('refuses classes above the highest label, palette colours shared by two classes, and an RGB picture', async () => {
    await expect(decodeLabelMask(encodePalettePng(labels.map((v) => (v === 2 ? 3 : v)), 6, 4), 2)).rejects.toThrow(/palette index 3, classes are 0\.\.2/);
    await expect(decodeLabelMask(encodePalettePng(labels, 6, 4, [[0, 0, 0], [9, 9, 9], [9, 9, 9]]), 2)).rejects.toThrow(/palette entries 1 and 2 have the same colour/);
    await expect(decodeLabelMask(await encodePng(new Uint8Array(6 * 4 * 3), 6, 4, 3), 2)).rejects.toThrow(ImageDecodeError);
  });
});
