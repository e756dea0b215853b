import type { GrayImage } from '../pipeline/segment-gray-image';

/**
 * The results picture of the original prototype: three panels side by side, `3 * width x height` RGB:
 * the image | the truth mask (white) | the image with the prediction tinted red and the truth outlined green.
 * A multi-class prediction's consolidation (label 2) is tinted magenta, its ground glass (1) red.
 * @param truth, prediction masks of the image's size (non-zero = infection); not modified. @returns new RGB bytes.
 */
export function composeSideBySide(image: GrayImage, truth: Uint8Array, prediction: Uint8Array): { rgb: Uint8Array; width: number; height: number } {
  const { pixels, width, height } = image;
  const outWidth = 3 * width;
  const rgb = new Uint8Array(outWidth * height * 3);
  const put = (x: number, y: number, r: number, g: number, b: number) => {
    const o = (y * outWidth + x) * 3;
    rgb[o] = r;
    rgb[o + 1] = g;
    rgb[o + 2] = b;
  };
  const isEdge = (i: number, x: number, y: number) =>
    truth[i] !== 0 && (x === 0 || y === 0 || x === width - 1 || y === height - 1 || !truth[i - 1] || !truth[i + 1] || !truth[i - width] || !truth[i + width]);
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      const v = pixels[i]!;
      put(x, y, v, v, v);
      const t = truth[i] ? 255 : 0;
      put(width + x, y, t, t, t);
      if (isEdge(i, x, y)) put(2 * width + x, y, 0, 255, 0);
      else if (prediction[i] === 2) put(2 * width + x, y, Math.round(v / 2 + 127.5), Math.round(v / 2), Math.round(v / 2 + 127.5));
      else if (prediction[i]) put(2 * width + x, y, Math.round(v / 2 + 127.5), Math.round(v / 2), Math.round(v / 2));
      else put(2 * width + x, y, v, v, v);
    }
  }
  return { rgb, width: outWidth, height };
}
