/** The picture formats uploads may use; anything else (SVG, GIF, HEIF, …) never reaches the decoder. */
export type ImageFormat = 'png' | 'jpeg' | 'tiff' | 'webp';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const startsWith = (bytes: Uint8Array, signature: readonly number[], at = 0) => bytes.length >= at + signature.length && signature.every((b, i) => bytes[at + i] === b);
const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

/**
 * The format by its file signature alone (PNG §5.2, JPEG SOI, TIFF 6.0 §2 byte-order header, WebP
 * RIFF container), without decoding. Only these formats are handed to the decoder, so a libvips
 * loader we do not need (SVG, PDF, HEIF, …) is never exposed to an upload.
 */
export function detectImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'webp';
  return undefined;
}
