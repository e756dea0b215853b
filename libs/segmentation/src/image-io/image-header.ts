import { ImageDecodeError } from '../errors';

export type ImageFormat = 'png' | 'jpeg';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Format and pixel dimensions read from the header alone, before any decoding (decompression-bomb guard). */
export function readImageHeader(bytes: Uint8Array): { format: ImageFormat; width: number; height: number } {
  if (bytes.length >= 24 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    // The first chunk must be IHDR: width and height are big-endian uint32 at bytes 16 and 20 (PNG spec §11.2.2).
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') throw new ImageDecodeError('Reading PNG header failed: first chunk is not IHDR');
    return { format: 'png', width: view.getUint32(16), height: view.getUint32(20) };
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) return { format: 'jpeg', ...readJpegSize(bytes) };
  throw new ImageDecodeError('Reading image header failed: not a PNG or JPEG file');
}

/** Walks JPEG marker segments to the first SOFn (ITU T.81 §B.2.2): height at +5, width at +7, big-endian. */
function readJpegSize(bytes: Uint8Array): { width: number; height: number } {
  let pos = 2;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) throw new ImageDecodeError(`Reading JPEG header failed: expected a marker at byte ${pos}`);
    const marker = bytes[pos + 1]!;
    if (marker === 0xff) {
      pos++; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      pos += 2;
      continue;
    }
    const length = (bytes[pos + 2]! << 8) | bytes[pos + 3]!;
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (pos + 9 > bytes.length) break;
      return { height: (bytes[pos + 5]! << 8) | bytes[pos + 6]!, width: (bytes[pos + 7]! << 8) | bytes[pos + 8]! };
    }
    if (marker === 0xda || length < 2) break;
    pos += 2 + length;
  }
  throw new ImageDecodeError('Reading JPEG header failed: no frame header (SOF) before the image data');
}
