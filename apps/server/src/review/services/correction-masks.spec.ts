import { describe, expect, it } from 'vitest';
import { SegmentCodes } from '@covseg/dicom';
import { encodeSliceRuns } from './mask-rle';
import { CorrectionRejectedError } from '../review.errors';
import { correctionDigest, decodeCorrectionRuns, quantifyCorrection, uidFromDigest } from './correction-masks';

const runs = (values: number[]) => {
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => bytes.writeUInt32LE(v, i * 4));
  return bytes.toString('base64');
};

describe('correction masks', () => {
  it('decodes the overlays codec into the slice it names, and nowhere else', () => {
    const mask = new Uint8Array(30);
    mask.fill(1, 12, 17);
    const target = new Uint8Array(90).fill(1);
    decodeCorrectionRuns(encodeSliceRuns(mask, 0, 30)!, target, 30, 30, 'slice');
    expect(Array.from(target.subarray(30, 60))).toEqual(Array.from(mask));
    expect(target[29]).toBe(1);
    expect(target[60]).toBe(1);
  });

  it('refuses runs that do not cover the slice exactly, or are not whole uint32', () => {
    const target = new Uint8Array(30);
    expect(() => decodeCorrectionRuns(runs([10, 5]), target, 0, 30, 'slice')).toThrow(/cover 15 of the 30/);
    expect(() => decodeCorrectionRuns(runs([10, 25]), target, 0, 30, 'slice')).toThrow(CorrectionRejectedError);
    expect(() => decodeCorrectionRuns(Buffer.from([1, 2, 3]).toString('base64'), target, 0, 30, 'slice')).toThrow(/whole number/);
  });

  it('names equal edits alike and different edits apart, with valid 2.25 UIDs', () => {
    const a = new Uint8Array([0, 1, 1, 0]);
    const digest = correctionDigest('1.2.3', [{ segmentNumber: 1, labelmap: a }]);
    expect(correctionDigest('1.2.3', [{ segmentNumber: 1, labelmap: a.slice() }])).toBe(digest);
    expect(correctionDigest('1.2.3', [{ segmentNumber: 1, labelmap: new Uint8Array([0, 1, 0, 0]) }])).not.toBe(digest);
    expect(correctionDigest('1.2.4', [{ segmentNumber: 1, labelmap: a }])).not.toBe(digest);
    const uid = uidFromDigest(digest, 'sop');
    expect(uid).toMatch(/^2\.25\.[1-9]\d*$/);
    expect(uid.length).toBeLessThanOrEqual(64);
    expect(uidFromDigest(digest, 'series')).not.toBe(uid);
  });

  it('quantifies infection as the union of lesion segments and lung by type, in mL', () => {
    const lesion = { category: SegmentCodes.morphologicallyAbnormalStructure, type: SegmentCodes.lesion };
    const q = quantifyCorrection(
      [
        { segmentNumber: 1, label: 'Ground glass', ...lesion, labelmap: new Uint8Array([1, 1, 0, 0, 0, 0, 0, 0]) },
        { segmentNumber: 2, label: 'Consolidation', ...lesion, labelmap: new Uint8Array([0, 1, 1, 0, 0, 0, 0, 0]) },
        { segmentNumber: 3, label: 'Lung', category: SegmentCodes.anatomicalStructure, type: SegmentCodes.lung, labelmap: new Uint8Array([1, 1, 1, 1, 1, 1, 0, 0]) },
      ],
      500,
    );
    expect(q.segments.map((s) => s.volumeMl)).toEqual([1, 1, 3]);
    expect(q.infectionMl).toBe(1.5);
    expect(q.lungMl).toBe(3);
    expect(q.involvementPercent).toBe(50);
  });
});
