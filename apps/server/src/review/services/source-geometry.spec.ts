import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SeriesRejectedError, tagOfKeyword, type DicomJsonDataset } from '@covseg/dicom';
import { sourceGeometryOf } from './source-geometry';

type Attributes = Record<string, { vr: string; Value: unknown[] } | undefined>;

/** WADO-RS metadata (DICOM JSON, PS3.18 §F.2) of `count` axial slices 2.5 mm apart, 0.7 mm pixels. */
function metadata(count: number, change: (attributes: Attributes, index: number) => void = () => undefined): DicomJsonDataset[] {
  return Array.from({ length: count }, (_, i) => {
    const attributes: Attributes = {
      SOPInstanceUID: { vr: 'UI', Value: [`2.25.${i + 1}`] },
      SOPClassUID: { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
      Rows: { vr: 'US', Value: [512] },
      Columns: { vr: 'US', Value: [512] },
      ImagePositionPatient: { vr: 'DS', Value: [0, 0, -2.5 * i] },
      ImageOrientationPatient: { vr: 'DS', Value: [1, 0, 0, 0, 1, 0] },
      PixelSpacing: { vr: 'DS', Value: [0.7, 0.7] },
      SliceThickness: { vr: 'DS', Value: [2.5] },
    };
    change(attributes, i);
    return Object.fromEntries(Object.entries(attributes).filter(([, value]) => value).map(([keyword, value]) => [tagOfKeyword(keyword), value])) as DicomJsonDataset;
  });
}

describe('sourceGeometryOf (WADO-RS metadata)', () => {
  it('sorts the slices along the normal and gives the voxel volume from PixelSpacing and the median gap', () => {
    const geometry = sourceGeometryOf(metadata(4));
    expect(geometry.slices.map((s) => s.sopInstanceUID)).toEqual(['2.25.4', '2.25.3', '2.25.2', '2.25.1']);
    expect([geometry.rows, geometry.columns]).toEqual([512, 512]);
    expect(geometry.voxelVolumeMm3).toBeCloseTo(0.7 * 0.7 * 2.5, 10);
  });

  it('takes SliceThickness as the spacing of a single slice, and reads DS given as strings', () => {
    const geometry = sourceGeometryOf(metadata(1, (a) => (a.PixelSpacing = { vr: 'DS', Value: ['0.5', '0.8'] })));
    expect(geometry.voxelVolumeMm3).toBeCloseTo(0.5 * 0.8 * 2.5, 10);
  });

  it('refuses a series without PixelSpacing instead of taking 1 mm', () => {
    const missing = () => sourceGeometryOf(metadata(3, (a) => (a.PixelSpacing = undefined)));
    expect(missing).toThrow(SeriesRejectedError);
    expect(missing).toThrow('SOP Instance 2.25.1 has PixelSpacing missing: two numbers from 0.05 to 10 mm are expected');
    expect(() => sourceGeometryOf(metadata(3, (a) => (a.PixelSpacing = { vr: 'DS', Value: [0.7] })))).toThrow(/has PixelSpacing "0.7"/);
    expect(() => sourceGeometryOf(metadata(3, (a) => (a.PixelSpacing = { vr: 'DS', Value: [0, 0] })))).toThrow(/has PixelSpacing "0\\0"/);
  });

  it('refuses a single slice without SliceThickness instead of taking 1 mm, and slices at one position', () => {
    expect(() => sourceGeometryOf(metadata(1, (a) => (a.SliceThickness = undefined)))).toThrow(/slice spacing of nothing/);
    expect(() => sourceGeometryOf(metadata(3, (a) => (a.ImagePositionPatient = { vr: 'DS', Value: [0, 0, 0] })))).toThrow(/slice spacing of 0 mm/);
  });

  it('refuses a series without ImageOrientationPatient instead of assuming axial, and one without Columns', () => {
    expect(() => sourceGeometryOf(metadata(2, (a) => (a.ImageOrientationPatient = undefined)))).toThrow(/no valid ImageOrientationPatient/);
    expect(() => sourceGeometryOf(metadata(2, (a) => (a.Columns = undefined)))).toThrow(/has no Columns/);
  });

  it('gives no slices for a series without image instances', () => {
    expect(sourceGeometryOf(metadata(2, (a) => (a.Rows = undefined)))).toEqual({ slices: [], rows: 0, columns: 0, voxelVolumeMm3: 0 });
  });

  // Orthanc's WADO-RS metadata of a factory-made Enhanced CT of 3 LIDC slices (tests/fixtures/dicomweb/ATTRIBUTION.md).
  const enhanced = () => JSON.parse(readFileSync(resolve(__dirname, '../../../../../tests/fixtures/dicomweb/orthanc-enhanced-ct-3-frames.metadata.json'), 'utf8')) as DicomJsonDataset[];

  it('gives each frame of an Enhanced CT instance its slice and frame number, geometry from the functional groups', () => {
    const [instance] = enhanced();
    const sop = String(instance![tagOfKeyword('SOPInstanceUID')]!.Value![0]);
    // Frames stored head to foot: the slices still run along the normal, each naming its own frame.
    (instance![tagOfKeyword('PerFrameFunctionalGroupsSequence')]!.Value as unknown[]).reverse();
    const geometry = sourceGeometryOf([instance!]);
    expect(geometry.slices).toEqual([-190, -187.5, -185].map((z, i) => ({ sopInstanceUID: sop, sopClassUID: '1.2.840.10008.5.1.4.1.1.2.1', imagePositionPatient: [-166, -171.699997, z], referencedFrameNumber: 3 - i })));
    expect(geometry.rows).toBe(512);
    expect(geometry.voxelVolumeMm3).toBeCloseTo(0.703125 * 0.703125 * 2.5, 9);
  });

  it('refuses an Enhanced CT instance whose per-frame groups do not match NumberOfFrames', () => {
    const [instance] = enhanced();
    (instance![tagOfKeyword('PerFrameFunctionalGroupsSequence')]!.Value as unknown[]).pop();
    expect(() => sourceGeometryOf([instance!])).toThrow(/has 3 frame\(s\) but not one PerFrameFunctionalGroupsSequence item per frame/);
  });
});
