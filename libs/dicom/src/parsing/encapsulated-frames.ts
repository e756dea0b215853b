import { DicomParseError } from '../errors';

function join(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

/** True when a fragment starts a JPEG/JPEG-LS (SOI, FF D8) or JPEG 2000 (SOC + SIZ, FF 4F FF 51) codestream. */
function startsCodestream(part: Uint8Array): boolean {
  return part[0] === 0xff && (part[1] === 0xd8 || (part[1] === 0x4f && part[2] === 0xff && part[3] === 0x51));
}

/**
 * Maps the fragments dcmjs returns for encapsulated PixelData (PS3.5 A.4) to frames. dcmjs already
 * joins the fragments of each frame when the Basic Offset Table is present; without it, it returns
 * every fragment. So: one part per frame is taken as is; a single frame split in several fragments is
 * joined; several frames without an offset table are grouped at fragments that open a new codestream
 * (how PS3.5 A.4 lets a decoder find frames). Anything that does not give exactly NumberOfFrames frames
 * is refused rather than guessed.
 */
export function splitEncapsulatedFrames(parts: readonly Uint8Array[], numberOfFrames: number, sopInstanceUID: string): Uint8Array[] {
  const nonEmpty = parts.filter((part) => part.length > 0);
  if (nonEmpty.length === 0) {
    throw new DicomParseError(`Parsing SOP Instance ${sopInstanceUID} failed: the encapsulated PixelData has no fragments (truncated file?)`, sopInstanceUID);
  }
  if (nonEmpty.length === numberOfFrames) return nonEmpty;
  if (numberOfFrames === 1) return [join(nonEmpty)];
  const groups: Uint8Array[][] = [];
  for (const part of nonEmpty) {
    if (groups.length === 0 || startsCodestream(part)) groups.push([part]);
    else groups[groups.length - 1]!.push(part);
  }
  if (groups.length === numberOfFrames && startsCodestream(nonEmpty[0]!)) return groups.map(join);
  throw new DicomParseError(
    `Parsing SOP Instance ${sopInstanceUID} failed: ${nonEmpty.length} fragments cannot be mapped to ${numberOfFrames} frames (no Basic Offset Table, ${groups.length} codestream starts)`,
    sopInstanceUID,
  );
}
