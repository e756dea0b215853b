import sharp from 'sharp';

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Burns text lines into an RGB picture: yellow on a dark band at the top and at the bottom.
 * `rgb` is raw interleaved 8-bit RGB, `width` x `height`, row-major; the caller keeps it (it is not modified).
 * Returns a new raw RGB buffer of the same size. Text is drawn by librsvg with DejaVu Sans (fonts-dejavu-core).
 */
export async function annotateRgb(rgb: Uint8Array, width: number, height: number, top: readonly string[], bottom: readonly string[]): Promise<Uint8Array> {
  const size = Math.max(10, Math.round(width / 40));
  const band = (lines: readonly string[], y0: number) =>
    `<rect x="0" y="${y0}" width="${width}" height="${lines.length * size * 1.4 + size * 0.4}" fill="black" fill-opacity="0.6"/>` +
    lines.map((line, i) => `<text x="${size / 2}" y="${y0 + size * 1.25 + i * size * 1.4}" font-family="DejaVu Sans, sans-serif" font-size="${size}" fill="#ffd400">${escapeXml(line)}</text>`).join('');
  const svg = `<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">${band(top, 0)}${band(bottom, height - bottom.length * size * 1.4 - size * 0.4)}</svg>`;
  const out = await sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width, height, channels: 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .removeAlpha()
    .raw()
    .toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
