import { createHash } from 'node:crypto';
import type { CodedConcept } from '@covseg/dicom';
import { CorrectionRejectedError } from '../review.errors';

/** SCT 49755003 "Morphologically abnormal structure": the category of lesion segments (ours and any multi-class split). */
const LESION_CATEGORY = '49755003';
/** SCT 39607008 "Lung". */
const LUNG_TYPE = '39607008';

/**
 * Decodes one corrected slice from the overlays codec (base64 of uint32 LE run lengths, alternating
 * 0-runs and 1-runs, starting with 0) into `target` at `offset`. Strict, unlike the viewer's decoder:
 * the runs must cover exactly `length` pixels, so a truncated or padded upload is refused, never guessed.
 * @param target slice-major 0/1 labelmap, written in place (owned by the caller).
 */
export function decodeCorrectionRuns(base64: string, target: Uint8Array, offset: number, length: number, what: string): void {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length % 4 !== 0) throw new CorrectionRejectedError(`${what}: ${bytes.length} bytes of runs is not a whole number of uint32`);
  target.fill(0, offset, offset + length);
  let position = 0;
  for (let i = 0; i < bytes.length / 4; i++) {
    const run = bytes.readUInt32LE(i * 4);
    if (position + run > length) throw new CorrectionRejectedError(`${what}: the runs cover more than the ${length} pixels of a slice`);
    if (i % 2 === 1) target.fill(1, offset + position, offset + position + run);
    position += run;
  }
  if (position !== length) throw new CorrectionRejectedError(`${what}: the runs cover ${position} of the ${length} pixels of a slice`);
}

/** Voxels where two 0/1 labelmaps of the same size differ. */
export function countDifferences(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

/**
 * SHA-256 (hex) that names a correction: the SEG it corrects and every segment's number and labelmap.
 * Equal edits give equal digests, so saving the same edit twice is recognised.
 */
export function correctionDigest(derivedFromSopInstanceUID: string, segments: ReadonlyArray<{ segmentNumber: number; labelmap: Uint8Array }>): string {
  const hash = createHash('sha256').update(`covseg-correction-v1\0${derivedFromSopInstanceUID}\0`);
  for (const segment of segments) {
    hash.update(`${segment.segmentNumber}\0`);
    hash.update(segment.labelmap);
  }
  return hash.digest('hex');
}

/** A DICOM UID under 2.25 (PS3.5 B.2) from 128 bits of a digest, so the same correction gets the same UIDs. */
export function uidFromDigest(hex: string, purpose: string): string {
  const bits = createHash('sha256').update(`${purpose}\0${hex}`).digest('hex').slice(0, 32);
  return `2.25.${BigInt(`0x${bits}`).toString()}`;
}

export interface QuantifiedSegment {
  segmentNumber: number;
  label: string;
  category: CodedConcept | undefined;
  type: CodedConcept | undefined;
  /** 0/1 voxels; only read. */
  labelmap: Uint8Array;
}

/**
 * Volumes of a corrected SEG, mL: each segment's, the infection as the union of lesion segments
 * (category SCT 49755003, so a multi-class split into ground glass and consolidation adds up) and the
 * lung as the union of lung segments (type SCT 39607008), and involvement = infection / lung x 100.
 * @param voxelVolumeMm3 of the source series.
 */
export function quantifyCorrection(segments: readonly QuantifiedSegment[], voxelVolumeMm3: number) {
  const ml = (voxels: number) => (voxels * voxelVolumeMm3) / 1000;
  const perSegment = segments.map((s) => {
    let voxelCount = 0;
    for (let i = 0; i < s.labelmap.length; i++) voxelCount += s.labelmap[i]!;
    return { segmentNumber: s.segmentNumber, label: s.label, voxelCount, volumeMl: ml(voxelCount) };
  });
  const union = (members: readonly QuantifiedSegment[]): number | null => {
    if (members.length === 0) return null;
    if (members.length === 1) return perSegment[segments.indexOf(members[0]!)]!.voxelCount;
    let count = 0;
    for (let i = 0; i < members[0]!.labelmap.length; i++) if (members.some((m) => m.labelmap[i])) count++;
    return count;
  };
  const infection = union(segments.filter((s) => s.category?.CodeValue === LESION_CATEGORY));
  const lung = union(segments.filter((s) => s.type?.CodeValue === LUNG_TYPE));
  return {
    segments: perSegment,
    infectionMl: infection === null ? null : ml(infection),
    lungMl: lung === null ? null : ml(lung),
    involvementPercent: infection !== null && lung ? (infection / lung) * 100 : null,
    voxelVolumeMm3,
  };
}
