import { infectionClassOfType, type SegReadResult, SegmentCodes } from '@covseg/dicom';
import { CorrectionRejectedError } from '../review.errors';

/**
 * Keeps a corrected multi-class SEG consistent (docs/CONTRACTS.md §5: segment 1 is the union of the
 * Ground-glass opacity and Consolidation segments, and a voxel has one class):
 * - a voxel the reader paints into one class leaves the other (painting GGO over consolidation turns it into GGO);
 * - the union segment (type Lesion) is recomputed from the two classes whenever a class was edited;
 * - the union itself cannot be edited directly (what class would an added voxel be?): refused, naming the segments to edit.
 * SEGs without both class segments are returned untouched.
 * @param labelmaps the corrected labelmaps in `base.segments` order; an edited segment's entry is a new array
 *        (applyEdits), an untouched one is `base`'s own. Not modified: changed entries are replaced by new arrays.
 */
export function reconcileInfectionClasses(base: SegReadResult, labelmaps: readonly Uint8Array[]): Uint8Array[] {
  const result = [...labelmaps];
  const ggo = base.segments.findIndex((s) => infectionClassOfType(s.type) === 'ggo');
  const consolidation = base.segments.findIndex((s) => infectionClassOfType(s.type) === 'consolidation');
  if (ggo < 0 || consolidation < 0) return result;
  const union = base.segments.findIndex((s) => s.type?.CodeValue === SegmentCodes.lesion.CodeValue && s.type.CodingSchemeDesignator === SegmentCodes.lesion.CodingSchemeDesignator);
  const edited = (i: number) => i >= 0 && labelmaps[i] !== base.segments[i]!.labelmap && differs(labelmaps[i]!, base.segments[i]!.labelmap);
  if (edited(union)) {
    const s = base.segments;
    throw new CorrectionRejectedError(
      `Segment ${s[union]!.segmentNumber} (${s[union]!.label}) of a multi-class SEG is the union of segments ${s[ggo]!.segmentNumber} (${s[ggo]!.label}) and ${s[consolidation]!.segmentNumber} (${s[consolidation]!.label}): edit those instead`,
    );
  }
  const ggoEdited = edited(ggo);
  const consolidationEdited = edited(consolidation);
  if (!ggoEdited && !consolidationEdited) return result;
  const g = labelmaps[ggo]!;
  const c = labelmaps[consolidation]!;
  const baseG = base.segments[ggo]!.labelmap;
  const baseC = base.segments[consolidation]!.labelmap;
  const newG = ggoEdited ? g : g.slice();
  const newC = consolidationEdited ? c : c.slice();
  for (let i = 0; i < g.length; i++) {
    if (g[i] === 0 || c[i] === 0) continue;
    const paintedG = baseG[i] === 0;
    const paintedC = baseC[i] === 0;
    if (paintedG && paintedC) throw new CorrectionRejectedError(`Voxel ${i} was painted both ground-glass opacity and consolidation; a voxel has one class`);
    // The class painted last wins: the other loses the voxel.
    if (paintedG) newC[i] = 0;
    else if (paintedC) newG[i] = 0;
    else throw new CorrectionRejectedError(`Voxel ${i} is both ground-glass opacity and consolidation in the SEG being corrected; a voxel has one class`);
  }
  result[ggo] = newG;
  result[consolidation] = newC;
  if (union >= 0) {
    const u = new Uint8Array(g.length);
    for (let i = 0; i < u.length; i++) u[i] = newG[i]! | newC[i]!;
    result[union] = u;
  }
  return result;
}

function differs(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return true;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return true;
  return false;
}
