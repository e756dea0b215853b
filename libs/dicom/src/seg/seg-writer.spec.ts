import { data } from 'dcmjs';
import { describe, expect, it } from 'vitest';

import { SegmentCodes } from './seg-codes';
import { SegWriteError } from './seg-errors';
import { readSeg } from './seg-reader';
import type { SegWriteInput } from './seg-types';
import { SEGMENTATION_STORAGE, writeBinarySeg } from './seg-writer';

const CT = '1.2.840.10008.5.1.4.1.1.2';
// 5 x 7 = 35 pixels per frame: not a multiple of 8, so frames after the first start mid-byte.
const ROWS = 5;
const COLUMNS = 7;
const SLICES = 4;

function input(overrides: Partial<SegWriteInput> = {}): SegWriteInput {
  const voxels = SLICES * ROWS * COLUMNS;
  const infection = Uint8Array.from({ length: voxels }, (_, i) => (i % 5 === 0 && i < 2 * ROWS * COLUMNS ? 1 : 0));
  const lung = Uint8Array.from({ length: voxels }, (_, i) => (i % 3 === 1 ? 1 : 0));
  return {
    sourceSlices: Array.from({ length: SLICES }, (_, z) => ({ sopInstanceUID: `1.2.826.0.1.3.${z + 10}`, sopClassUID: CT, imagePositionPatient: [-100, -120.5, -50 + 2.5 * z] })),
    header: {
      PatientName: 'Test^Patient',
      PatientID: 'P-1',
      StudyInstanceUID: '1.2.826.0.1.1',
      SeriesInstanceUID: '1.2.826.0.1.2',
      FrameOfReferenceUID: '1.2.826.0.1.4',
      StudyDate: '20200101',
      Rows: ROWS,
      Columns: COLUMNS,
      PixelSpacing: [0.7, 0.8],
      ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
      SliceThickness: 2.5,
    },
    segments: [
      { label: 'COVID-19 infection', category: SegmentCodes.morphologicallyAbnormalStructure, type: SegmentCodes.lesion, recommendedDisplayRgb: [230, 80, 60], labelmap: infection },
      { label: 'Lung', category: SegmentCodes.anatomicalStructure, type: SegmentCodes.lung, recommendedDisplayRgb: [80, 160, 230], labelmap: lung },
    ],
    algorithm: { name: 'covseg-unet', version: '1.2.3' },
    now: new Date('2026-01-02T03:04:05Z'),
    ...overrides,
  };
}

function naturalized(bytes: Uint8Array): Record<string, any> {
  const dict = data.DicomMessage.readFile(bytes.slice().buffer as ArrayBuffer);
  return { ...data.DicomMetaDictionary.naturalizeDataset(dict.dict), _meta: data.DicomMetaDictionary.naturalizeDataset(dict.meta) };
}
const list = (value: unknown): any[] => (Array.isArray(value) ? value : [value]);

describe('writeBinarySeg', () => {
  it('reads back exactly the labelmaps it wrote, with frames starting mid-byte', () => {
    const written = input();
    const result = readSeg(writeBinarySeg(written).bytes, written.sourceSlices);
    expect(result.segmentationType).toBe('BINARY');
    result.segments.forEach((segment, s) => expect(Array.from(segment.labelmap)).toEqual(Array.from(written.segments[s].labelmap)));
  });

  it('writes one frame per source slice per segment, empty slices included, each referencing its source image', () => {
    const written = input();
    const ds = naturalized(writeBinarySeg(written).bytes);
    expect(ds.NumberOfFrames).toBe(2 * SLICES);
    const frames = list(ds.PerFrameFunctionalGroupsSequence);
    frames.forEach((frame, f) => {
      const z = f % SLICES;
      const source = list(list(frame.DerivationImageSequence)[0].SourceImageSequence)[0];
      expect(source.ReferencedSOPInstanceUID).toBe(written.sourceSlices[z].sopInstanceUID);
      expect(list(source.PurposeOfReferenceCodeSequence)[0]).toMatchObject({ CodeValue: '121322', CodingSchemeDesignator: 'DCM' });
      expect(list(frame.PlanePositionSequence)[0].ImagePositionPatient).toEqual(written.sourceSlices[z].imagePositionPatient);
      expect(list(frame.SegmentIdentificationSequence)[0].ReferencedSegmentNumber).toBe(Math.floor(f / SLICES) + 1);
      expect(list(frame.FrameContentSequence)[0].DimensionIndexValues).toEqual([Math.floor(f / SLICES) + 1, z + 1]);
    });
  });

  it('writes the SEG modules: BINARY 1-bit, Explicit VR Little Endian, source study, patient and frame of reference', () => {
    const ds = naturalized(writeBinarySeg(input()).bytes);
    expect(ds._meta.TransferSyntaxUID).toBe('1.2.840.10008.1.2.1');
    expect(ds).toMatchObject({
      SOPClassUID: SEGMENTATION_STORAGE,
      Modality: 'SEG',
      SegmentationType: 'BINARY',
      BitsAllocated: 1,
      BitsStored: 1,
      HighBit: 0,
      StudyInstanceUID: '1.2.826.0.1.1',
      FrameOfReferenceUID: '1.2.826.0.1.4',
      PatientID: 'P-1',
      ImageComments: 'NOT FOR CLINICAL USE',
      SeriesDescription: 'covseg-unet 1.2.3 segmentation',
      ContentLabel: 'SEGMENTATION',
      ContentDate: '20260102',
      ContentTime: '030405',
    });
    const shared = list(ds.SharedFunctionalGroupsSequence)[0];
    expect(list(shared.PixelMeasuresSequence)[0]).toMatchObject({ PixelSpacing: [0.7, 0.8], SliceThickness: 2.5, SpacingBetweenSlices: 2.5 });
    expect(list(ds.ReferencedSeriesSequence)[0].SeriesInstanceUID).toBe('1.2.826.0.1.2');
    expect(list(ds.DimensionIndexSequence).map((d) => d.DimensionIndexPointer)).toEqual([0x0062000b, 0x00200032]);
  });

  it('says whether segments overlap (SegmentsOverlap)', () => {
    expect(naturalized(writeBinarySeg(input()).bytes).SegmentsOverlap).toBe('YES');
    const disjoint = input();
    const lung = Uint8Array.from(disjoint.segments[0].labelmap, (v) => 1 - v);
    expect(naturalized(writeBinarySeg({ ...disjoint, segments: [disjoint.segments[0], { ...disjoint.segments[1], labelmap: lung }] }).bytes).SegmentsOverlap).toBe('NO');
  });

  it('describes each segment with its codes, AUTOMATIC algorithm name and version, and colour', () => {
    const result = readSeg(writeBinarySeg(input()).bytes);
    expect(result.segments.map((s) => [s.label, s.type?.CodeValue, s.category?.CodeValue, s.algorithmType, s.algorithmName])).toEqual([
      ['COVID-19 infection', '52988006', '49755003', 'AUTOMATIC', 'covseg-unet 1.2.3'],
      ['Lung', '39607008', '123037004', 'AUTOMATIC', 'covseg-unet 1.2.3'],
    ]);
    expect(result.segments[0].recommendedDisplayRgb).toEqual([230, 80, 60]);
  });

  it('generates 2.25 UIDs, or keeps the ones it is given', () => {
    const generated = writeBinarySeg(input());
    expect(generated.sopInstanceUID).toMatch(/^2\.25\.[1-9]\d{0,38}$/);
    expect(generated.seriesInstanceUID).not.toBe(generated.sopInstanceUID);
    const given = writeBinarySeg(input({ seriesInstanceUID: '1.2.3.4', sopInstanceUID: '1.2.3.5' }));
    expect([given.seriesInstanceUID, given.sopInstanceUID]).toEqual(['1.2.3.4', '1.2.3.5']);
    expect(naturalized(given.bytes).SOPInstanceUID).toBe('1.2.3.5');
  });

  it('rejects a labelmap whose size differs from slices x rows x columns', () => {
    const bad = input();
    const segments = [{ ...bad.segments[0], labelmap: new Uint8Array(10) }];
    expect(() => writeBinarySeg({ ...bad, segments })).toThrow(new SegWriteError('SEG segment 1 labelmap has 10 voxels, expected 4 x 5 x 7 = 140'));
  });

  it('rejects a labelmap value other than 0 or 1', () => {
    const bad = input();
    const labelmap = new Uint8Array(SLICES * ROWS * COLUMNS);
    labelmap[17] = 255;
    expect(() => writeBinarySeg({ ...bad, segments: [{ ...bad.segments[0], labelmap }] })).toThrow(/holds 255 at voxel 17/);
  });

  it("takes a label array's non-zero voxels as the segment with labelmapValues 'non-zero' (lung sides 1 and 2)", () => {
    const written = input();
    const sides = Uint8Array.from(written.segments[1]!.labelmap, (v, i) => (v === 0 ? 0 : i % 2 === 0 ? 1 : 2));
    sides[3] = 255; // any non-zero value is in the segment, the high bit included
    const expected = Uint8Array.from(sides, (v) => (v === 0 ? 0 : 1));
    const result = readSeg(writeBinarySeg({ ...written, segments: [written.segments[0]!, { ...written.segments[1]!, labelmap: sides, labelmapValues: 'non-zero' }] }).bytes, written.sourceSlices);
    expect(Array.from(result.segments[1]!.labelmap)).toEqual(Array.from(expected));
    expect(Array.from(result.segments[0]!.labelmap)).toEqual(Array.from(written.segments[0]!.labelmap));
  });

  it('writes one class of a label array with labelmapValues { equals } (multi-class infection: 1 GGO, 2 consolidation)', () => {
    const written = input();
    const voxels = SLICES * ROWS * COLUMNS;
    const labels = Uint8Array.from({ length: voxels }, (_, i) => (i % 7 === 0 ? 1 : i % 5 === 0 ? 2 : 0));
    const segments = [
      { ...written.segments[0]!, labelmap: labels, labelmapValues: 'non-zero' as const },
      written.segments[1]!,
      { label: 'Ground-glass opacity', category: SegmentCodes.morphologicallyAbnormalStructure, type: SegmentCodes.groundGlassOpacity, recommendedDisplayRgb: [245, 200, 40] as const, labelmap: labels, labelmapValues: { equals: 1 } },
      { label: 'Consolidation', category: SegmentCodes.morphologicallyAbnormalStructure, type: SegmentCodes.consolidation, recommendedDisplayRgb: [200, 40, 170] as const, labelmap: labels, labelmapValues: { equals: 2 } },
    ];
    const result = readSeg(writeBinarySeg({ ...written, segments }).bytes, written.sourceSlices);
    expect(result.segments.map((x) => x.label)).toEqual(['COVID-19 infection', 'Lung', 'Ground-glass opacity', 'Consolidation']);
    expect(Array.from(result.segments[0]!.labelmap)).toEqual(Array.from(labels, (v) => (v ? 1 : 0)));
    expect(Array.from(result.segments[1]!.labelmap)).toEqual(Array.from(written.segments[1]!.labelmap));
    expect(Array.from(result.segments[2]!.labelmap)).toEqual(Array.from(labels, (v) => (v === 1 ? 1 : 0)));
    expect(Array.from(result.segments[3]!.labelmap)).toEqual(Array.from(labels, (v) => (v === 2 ? 1 : 0)));
    expect(result.segments[2]!.type).toEqual(SegmentCodes.groundGlassOpacity);
    expect(result.segments[3]!.type).toEqual(SegmentCodes.consolidation);
    expect(() => writeBinarySeg({ ...written, segments: [{ ...segments[3]!, labelmapValues: { equals: 0 } }] })).toThrow(/labelmapValues.equals must be an integer 1-255/);
  });

  it('rejects source slices that are not in volume order', () => {
    const bad = input();
    const sourceSlices = [bad.sourceSlices[1], bad.sourceSlices[0], ...bad.sourceSlices.slice(2)];
    expect(() => writeBinarySeg({ ...bad, sourceSlices })).toThrow(/not in volume order/);
  });

  it('rejects a header without FrameOfReferenceUID, naming the attribute', () => {
    const bad = input();
    expect(() => writeBinarySeg({ ...bad, header: { ...bad.header, FrameOfReferenceUID: undefined } })).toThrow(/lacks a valid FrameOfReferenceUID/);
  });

  it('never puts the patient name in an error message', () => {
    const bad = input();
    try {
      writeBinarySeg({ ...bad, header: { ...bad.header, PixelSpacing: undefined } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SegWriteError);
      expect((error as Error).message).not.toContain('Test^Patient');
    }
  });
});

describe('readSeg on SEGs that break the rules', () => {
  /** Our SEG, edited through dcmjs the way a faulty writer would have produced it. */
  function edited(edit: (ds: Record<string, any>) => void): Uint8Array {
    const dict = data.DicomMessage.readFile(writeBinarySeg(input()).bytes.slice().buffer as ArrayBuffer);
    const ds = data.DicomMetaDictionary.naturalizeDataset(dict.dict) as Record<string, any>;
    edit(ds);
    dict.dict = data.DicomMetaDictionary.denaturalizeDataset(ds);
    return new Uint8Array(dict.write());
  }

  it('rejects a two-segment SEG whose frames do not say which segment they belong to', () => {
    const bytes = edited((ds) => list(ds.PerFrameFunctionalGroupsSequence).forEach((frame) => delete frame.SegmentIdentificationSequence));
    expect(() => readSeg(bytes, input().sourceSlices)).toThrow(/frame 1 has no SegmentIdentificationSequence/);
  });

  it('rejects two frames of one segment on the same slice', () => {
    const bytes = edited((ds) => {
      const frames = list(ds.PerFrameFunctionalGroupsSequence);
      frames[1].DerivationImageSequence = frames[0].DerivationImageSequence;
    });
    expect(() => readSeg(bytes, input().sourceSlices)).toThrow(/has two frames of segment 1 on slice 0/);
  });

  it('rejects a frame that names a segment SegmentSequence does not define', () => {
    const bytes = edited((ds) => {
      list(list(ds.PerFrameFunctionalGroupsSequence)[3].SegmentIdentificationSequence)[0].ReferencedSegmentNumber = 7;
    });
    expect(() => readSeg(bytes, input().sourceSlices)).toThrow(/frame 4 references segment 7/);
  });

  describe('a correction of another SEG', () => {
    const AI_SERIES = '2.25.1001';
    const AI_SOP = '2.25.1002';
    const derivedFrom = { seriesInstanceUID: AI_SERIES, sopInstanceUID: AI_SOP, description: `Reader correction of SEG ${AI_SOP}` };

    it('marks its segments SEMIAUTOMATIC and references the AI SEG in SourceImageSequence and ReferencedSeriesSequence', () => {
      const ds = naturalized(writeBinarySeg(input({ algorithmType: 'SEMIAUTOMATIC', derivedFrom })).bytes);
      expect(list(ds.SegmentSequence).map((s) => s.SegmentAlgorithmType)).toEqual(['SEMIAUTOMATIC', 'SEMIAUTOMATIC']);
      expect(ds.DerivationDescription).toBe(derivedFrom.description);
      expect(list(ds.SourceImageSequence)[0]).toMatchObject({ ReferencedSOPClassUID: SEGMENTATION_STORAGE, ReferencedSOPInstanceUID: AI_SOP });
      const referenced = list(ds.ReferencedSeriesSequence);
      expect(referenced.map((s) => s.SeriesInstanceUID)).toEqual(['1.2.826.0.1.2', AI_SERIES]);
      expect(list(referenced[1].ReferencedInstanceSequence)[0].ReferencedSOPInstanceUID).toBe(AI_SOP);
    });

    it('writes no SegmentAlgorithmName for a MANUAL segment (PS3.3 C.8.20.2: Type 1C)', () => {
      const base = input();
      const ds = naturalized(writeBinarySeg({ ...base, segments: [{ ...base.segments[0], algorithmType: 'MANUAL' }, base.segments[1]] }).bytes);
      const [manual, automatic] = list(ds.SegmentSequence);
      expect(manual.SegmentAlgorithmType).toBe('MANUAL');
      expect(manual.SegmentAlgorithmName).toBeUndefined();
      expect(automatic).toMatchObject({ SegmentAlgorithmType: 'AUTOMATIC', SegmentAlgorithmName: 'covseg-unet 1.2.3' });
    });

    it('refuses an unknown algorithm type, a SEG deriving from itself or from its own series, and an empty description', () => {
      expect(() => writeBinarySeg(input({ algorithmType: 'GUESSED' as never }))).toThrow(/SegmentAlgorithmType must be one of/);
      expect(() => writeBinarySeg(input({ derivedFrom, sopInstanceUID: AI_SOP }))).toThrow(/cannot derive from itself/);
      expect(() => writeBinarySeg(input({ derivedFrom, seriesInstanceUID: AI_SERIES }))).toThrow(/must be a new series/);
      expect(() => writeBinarySeg(input({ derivedFrom: { ...derivedFrom, seriesInstanceUID: '1.2.826.0.1.2' } }))).toThrow(/source image series/);
      expect(() => writeBinarySeg(input({ derivedFrom: { ...derivedFrom, description: ' ' } }))).toThrow(SegWriteError);
      expect(() => writeBinarySeg(input({ derivedFrom: { ...derivedFrom, sopInstanceUID: 'not a uid' } }))).toThrow(/derivedFrom.sopInstanceUID is not a valid UID/);
    });
  });
});
