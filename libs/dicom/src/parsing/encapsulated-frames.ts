import { DicomParseError } from '../errors';

/**
 * Maps the fragments dcmjs returns for encapsulated PixelData (PS3.5 A.4) to frames. dcmjs already
 * joins the fragments of each frame when the Basic Offset Table is present; without it, it returns
 * every fragment. So: one part per frame is taken as is; a single frame split in several fragments is
 * joined; anything else is ambiguous without an offset table and refused rather than guessed.
 */
export function splitEncapsulatedFrames(parts: readonly Uint8Array[], numberOfFrames: number, sopInstanceUID: string): Uint8Array[] {
  const nonEmpty = parts.filter((part) => part.length > 0);
  if (nonEmpty.length === 0) {
    throw new DicomParseError(`Parsing SOP Instance ${sopInstanceUID} failed: the encapsulated PixelData has no fragments (truncated file?)`, sopInstanceUID);
  }
  if (nonEmpty.length === numberOfFrames) return nonEmpty;
  if (numberOfFrames === 1) {
    const joined = new Uint8Array(nonEmpty.reduce((sum, part) => sum + part.length, 0));
    let offset = 0;
    for (const part of nonEmpty) {
      joined.set(part, offset);
      offset += part.length;
    }
    return [joined];
  }
  throw new DicomParseError(
    `Parsing SOP Instance ${sopInstanceUID} failed: ${nonEmpty.length} fragments cannot be mapped to ${numberOfFrames} frames without a Basic Offset Table`,
    sopInstanceUID,
  );
}
