/**
 * Run-length encodes one slice of a 0/1 labelmap for the overlays API: alternating background and
 * foreground runs, starting with background (possibly 0 long), as little-endian uint32, base64.
 * The viewer's loaders/mask-codec.ts decodes it; change both together (docs/CONTRACTS.md §5).
 * @param labelmap slice-major 0/1 voxels; only read. @param offset first voxel of the slice; @param length voxels per slice.
 * @returns undefined when the slice has no foreground (the API leaves empty slices out).
 */
export function encodeSliceRuns(labelmap: Uint8Array, offset: number, length: number): string | undefined {
  const runs: number[] = [];
  let current = 0;
  let run = 0;
  let any = false;
  for (let i = offset; i < offset + length; i++) {
    const value = labelmap[i] ? 1 : 0;
    if (value !== current) {
      runs.push(run);
      current = value;
      run = 0;
    }
    if (value) any = true;
    run++;
  }
  if (!any) return undefined;
  runs.push(run);
  const bytes = Buffer.alloc(runs.length * 4);
  runs.forEach((r, i) => bytes.writeUInt32LE(r, i * 4));
  return bytes.toString('base64');
}

/** Inverse of {@link encodeSliceRuns}, for tests and the server's own checks. Returns a new buffer. */
export function decodeSliceRuns(base64: string, length: number): Uint8Array {
  const bytes = Buffer.from(base64, 'base64');
  const mask = new Uint8Array(length);
  let position = 0;
  for (let i = 0; i < bytes.length / 4; i++) {
    const run = bytes.readUInt32LE(i * 4);
    if (i % 2 === 1) mask.fill(1, position, position + run);
    position += run;
  }
  return mask;
}
