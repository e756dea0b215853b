/**
 * Decodes a run-length mask from the overlays API: base64 of little-endian uint32 run lengths,
 * alternating background and foreground, starting with background, over rows x columns in row-major
 * order (row 0 is the top row of the image, as in the DICOM frame).
 * Returns a new Uint8Array (0/1) the caller owns.
 */
export function decodeRunLengths(base64: string, length: number): Uint8Array {
  const binary = atob(base64);
  if (binary.length % 4 !== 0) throw new MaskCodecError(`Decoding an overlay mask failed: ${binary.length} bytes is not a whole number of runs`);
  const mask = new Uint8Array(length);
  let position = 0;
  for (let i = 0; i < binary.length; i += 4) {
    const run = (binary.charCodeAt(i) | (binary.charCodeAt(i + 1) << 8) | (binary.charCodeAt(i + 2) << 16) | (binary.charCodeAt(i + 3) << 24)) >>> 0;
    if (position + run > length) throw new MaskCodecError(`Decoding an overlay mask failed: runs exceed ${length} pixels`);
    if ((i / 4) % 2 === 1) mask.fill(1, position, position + run);
    position += run;
  }
  return mask;
}

export class MaskCodecError extends Error {
  override name = 'MaskCodecError';
}

/**
 * Inverse of {@link decodeRunLengths}: a 0/1 mask (rows x columns, row-major) as base64 of
 * little-endian uint32 run lengths, alternating background and foreground, starting with background,
 * covering every pixel (the server refuses runs that do not). Returns undefined for an empty mask.
 */
export function encodeRunLengths(mask: Uint8Array): string | undefined {
  const runs: number[] = [];
  let current = 0;
  let start = 0;
  let any = false;
  for (let i = 0; i < mask.length; i++) {
    const value = mask[i] ? 1 : 0;
    if (value === current) continue;
    runs.push(i - start);
    start = i;
    current = value;
    any = true;
  }
  if (!any) return undefined;
  runs.push(mask.length - start);
  const bytes = new Uint8Array(runs.length * 4);
  const view = new DataView(bytes.buffer);
  runs.forEach((run, i) => view.setUint32(i * 4, run, true));
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
