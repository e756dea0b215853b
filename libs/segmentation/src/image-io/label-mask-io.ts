import sharp from 'sharp';
import { ImageDecodeError } from '../errors';
import { decodeGrayImage } from './gray-image-io';
import { detectImageFormat } from './image-header';

/** A label image: one class index per pixel, row-major `width x height`. */
export interface LabelMask {
  labels: Uint8Array;
  width: number;
  height: number;
}

const PNG_SIGNATURE_BYTES = 8;
const COLOUR_TYPE_GREY = 0;
const COLOUR_TYPE_PALETTE = 3;

/** IHDR's colour type and bit depth, and the PLTE entries (RGB triplets) when present. */
function readPngChunks(bytes: Uint8Array): { colourType: number; bitDepth: number; palette?: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let colourType = -1;
  let bitDepth = -1;
  let palette: Uint8Array | undefined;
  for (let at = PNG_SIGNATURE_BYTES; at + 8 <= bytes.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!);
    const data = at + 8;
    if (data + length > bytes.length) throw new ImageDecodeError(`Reading a label mask failed: PNG chunk ${type} runs past the end of the file`);
    if (type === 'IHDR' && length >= 10) {
      bitDepth = bytes[data + 8]!;
      colourType = bytes[data + 9]!;
    } else if (type === 'PLTE') {
      palette = bytes.slice(data, data + length);
    } else if (type === 'IDAT' || type === 'IEND') {
      break; // PLTE comes before the first IDAT (PNG spec, 5.6)
    }
    at = data + length + 4; // + CRC
  }
  return { colourType, bitDepth, ...(palette ? { palette } : {}) };
}

/**
 * Reads a class-label mask: a palette PNG whose palette INDEX is the class (0 background, 1 ground-glass
 * opacity, 2 consolidation, as the doctor-labelled train-multiclass masks are), or an 8-bit grey PNG whose
 * grey value is the class. Palette colours are mapped back to their indices (sharp expands palettes to
 * RGB), so the colours themselves do not matter, only that the indices in use have distinct colours.
 * @param maxLabel highest class index allowed; a pixel above it is refused (a 0/255 binary mask, or an
 *        RGB picture, is not a label mask).
 * @throws ImageDecodeError naming what is wrong, never guessing.
 */
export async function decodeLabelMask(bytes: Uint8Array, maxLabel: number): Promise<LabelMask> {
  if (detectImageFormat(bytes) !== 'png') throw new ImageDecodeError('Reading a label mask failed: not a PNG (a palette or 8-bit grey PNG of class indices is needed)');
  const { colourType, bitDepth, palette } = readPngChunks(bytes);
  if (colourType === COLOUR_TYPE_GREY && bitDepth === 8) {
    const grey = await decodeGrayImage(bytes);
    checkLabels(grey.pixels, maxLabel, 'grey value');
    return { labels: grey.pixels, width: grey.width, height: grey.height };
  }
  if (colourType !== COLOUR_TYPE_PALETTE || !palette) {
    throw new ImageDecodeError(`Reading a label mask failed: PNG colour type ${colourType} (bit depth ${bitDepth}); a palette PNG or an 8-bit grey PNG of class indices is needed`);
  }
  // Colour -> first palette index with that colour; indices up to maxLabel must have distinct colours.
  const indexOf = new Map<number, number>();
  for (let i = 0; 3 * i + 2 < palette.length; i++) {
    const key = (palette[3 * i]! << 16) | (palette[3 * i + 1]! << 8) | palette[3 * i + 2]!;
    if (!indexOf.has(key)) indexOf.set(key, i);
    else if (i <= maxLabel) throw new ImageDecodeError(`Reading a label mask failed: palette entries ${indexOf.get(key)} and ${i} have the same colour, so the classes cannot be told apart`);
  }
  let raw: { data: Buffer; info: sharp.OutputInfo };
  try {
    raw = await sharp(bytes, { failOn: 'warning' }).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  } catch (cause) {
    throw new ImageDecodeError('Decoding a palette label mask failed', { cause });
  }
  const { width, height, channels } = raw.info;
  const labels = new Uint8Array(width * height);
  for (let i = 0, j = 0; i < labels.length; i++, j += channels) {
    const index = indexOf.get((raw.data[j]! << 16) | (raw.data[j + 1]! << 8) | raw.data[j + 2]!);
    if (index === undefined) throw new ImageDecodeError(`Reading a label mask failed: pixel ${i} has a colour that is not in the palette`);
    labels[i] = index;
  }
  checkLabels(labels, maxLabel, 'palette index');
  return { labels, width, height };
}

function checkLabels(labels: Uint8Array, maxLabel: number, what: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! > maxLabel) throw new ImageDecodeError(`Reading a label mask failed: pixel ${i} has ${what} ${labels[i]}, classes are 0..${maxLabel}`);
  }
}
