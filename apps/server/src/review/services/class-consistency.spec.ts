import { describe, expect, it } from 'vitest';
import { SegmentCodes, type SegReadResult } from '@covseg/dicom';
import { CorrectionRejectedError } from '../review.errors';
import { reconcileInfectionClasses } from './class-consistency';

/** A multi-class SEG of 8 voxels: 1 union, 2 lung, 3 GGO, 4 consolidation. */
function base(): SegReadResult {
  const segment = (segmentNumber: number, label: string, type: (typeof SegmentCodes)[keyof typeof SegmentCodes], labelmap: number[]) =>
    ({ segmentNumber, label, type, category: SegmentCodes.morphologicallyAbnormalStructure, labelmap: Uint8Array.from(labelmap) }) as unknown as SegReadResult['segments'][number];
  return {
    segments: [
      segment(1, 'COVID-19 infection', SegmentCodes.lesion, [1, 1, 1, 0, 0, 0, 0, 0]),
      segment(2, 'Lung', SegmentCodes.lung, [1, 1, 1, 1, 1, 1, 1, 0]),
      segment(3, 'Ground-glass opacity', SegmentCodes.groundGlassOpacity, [1, 1, 0, 0, 0, 0, 0, 0]),
      segment(4, 'Consolidation', SegmentCodes.consolidation, [0, 0, 1, 0, 0, 0, 0, 0]),
    ],
  } as SegReadResult;
}
const maps = (seg: SegReadResult) => seg.segments.map((s) => s.labelmap);

describe('reconcileInfectionClasses', () => {
  it('moves a voxel painted GGO out of consolidation and recomputes the union', () => {
    const seg = base();
    const edited = maps(seg);
    edited[2] = Uint8Array.from([1, 1, 1, 1, 0, 0, 0, 0]); // GGO painted over the consolidation voxel 2 and onto 3
    const out = reconcileInfectionClasses(seg, edited);
    expect(Array.from(out[2]!)).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    expect(Array.from(out[3]!)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(out[0]!)).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    expect(out[1]).toBe(seg.segments[1]!.labelmap);
    // The SEG being corrected is not modified.
    expect(Array.from(seg.segments[3]!.labelmap)).toEqual([0, 0, 1, 0, 0, 0, 0, 0]);
  });

  it('shrinks the union when a class is erased', () => {
    const seg = base();
    const edited = maps(seg);
    edited[3] = new Uint8Array(8);
    expect(Array.from(reconcileInfectionClasses(seg, edited)[0]!)).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
  });

  it('refuses an edit of the union itself, naming the class segments to edit', () => {
    const seg = base();
    const edited = maps(seg);
    edited[0] = Uint8Array.from([1, 1, 1, 1, 1, 0, 0, 0]);
    expect(() => reconcileInfectionClasses(seg, edited)).toThrow(CorrectionRejectedError);
    expect(() => reconcileInfectionClasses(seg, edited)).toThrow(/Segment 1 \(COVID-19 infection\) of a multi-class SEG is the union of segments 3 \(Ground-glass opacity\) and 4 \(Consolidation\): edit those instead/);
  });

  it('refuses a voxel painted into both classes at once', () => {
    const seg = base();
    const edited = maps(seg);
    edited[2] = Uint8Array.from([1, 1, 0, 0, 0, 1, 0, 0]);
    edited[3] = Uint8Array.from([0, 0, 1, 0, 0, 1, 0, 0]);
    expect(() => reconcileInfectionClasses(seg, edited)).toThrow(/painted both/);
  });

  it('leaves a SEG without class segments alone', () => {
    const seg = base();
    seg.segments.splice(2, 2);
    const edited = maps(seg);
    edited[0] = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(reconcileInfectionClasses(seg, edited)).toEqual(edited);
  });
});
