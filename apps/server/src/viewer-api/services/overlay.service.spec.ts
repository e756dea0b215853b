import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseDicom, SegmentCodes, tagOfKeyword, writeBinarySeg, type DicomJsonDataset } from '@covseg/dicom';
import type { PacsGateway } from '../../pacs/repositories/pacs.gateway';
import { decodeSliceRuns } from '../../review/services/mask-rle';
import type { CorrectionRepository } from '../../review/repositories/correction.repository';
import type { ReviewService } from '../../review/services/review.service';
import { OverlayService } from './overlay.service';

// dcmqi liver SEG and its 3-slice CT (BSD-3, tests/fixtures/seg/dcmqi/LICENSE.txt).
const fixtures = resolve(__dirname, '../../../../../tests/fixtures/seg/dcmqi');
const ct = readdirSync(join(fixtures, 'ct-3slice'))
  .sort()
  .map((name) => parseDicom(new Uint8Array(readFileSync(join(fixtures, 'ct-3slice', name)))));
const liver = new Uint8Array(readFileSync(join(fixtures, 'liver.dcm')));
const study = String(ct[0]!.dataset.StudyInstanceUID);
const series = String(ct[0]!.dataset.SeriesInstanceUID);

/** DICOM JSON (PS3.18 §F.2) of the attributes the overlay service reads. */
function json(values: Record<string, { vr: string; Value: unknown[] }>): DicomJsonDataset {
  return Object.fromEntries(Object.entries(values).map(([keyword, attribute]) => [tagOfKeyword(keyword), attribute])) as DicomJsonDataset;
}

const ctMetadata = ct.map((instance) =>
  json({
    SOPInstanceUID: { vr: 'UI', Value: [instance.sopInstanceUID] },
    SOPClassUID: { vr: 'UI', Value: [instance.sopClassUID] },
    Rows: { vr: 'US', Value: [instance.pixel!.rows] },
    Columns: { vr: 'US', Value: [instance.pixel!.columns] },
    ImagePositionPatient: { vr: 'DS', Value: (instance.dataset.ImagePositionPatient as number[]).map(Number) },
    ImageOrientationPatient: { vr: 'DS', Value: (instance.dataset.ImageOrientationPatient as number[]).map(Number) },
    PixelSpacing: { vr: 'DS', Value: (instance.dataset.PixelSpacing as number[]).map(Number) },
  }),
);

function segMetadata(sop: string, contentLabel: string, referencedSeries: string): DicomJsonDataset {
  return json({
    SOPInstanceUID: { vr: 'UI', Value: [sop] },
    SeriesDescription: { vr: 'LO', Value: ['covseg-unet 2.1.0 infection+lung'] },
    ContentLabel: { vr: 'CS', Value: [contentLabel] },
    ReferencedSeriesSequence: { vr: 'SQ', Value: [{ [tagOfKeyword('SeriesInstanceUID')]: { vr: 'UI', Value: [referencedSeries] } }] },
  });
}

/** A PACS with the CT series and the given SEG series (metadata + bytes per SEG instance). */
function serviceWith(segs: Array<{ metadata: DicomJsonDataset; bytes: Uint8Array }>) {
  const client = {
    searchSeries: vi.fn(async () => segs.map((_, i) => json({ SeriesInstanceUID: { vr: 'UI', Value: [`2.25.${i + 1}`] } }))),
    retrieveSeriesMetadata: vi.fn(async (_study: string, seriesUID: string) => (seriesUID === series ? ctMetadata : [segs[Number(seriesUID.split('.')[2]) - 1]!.metadata])),
    retrieveInstance: vi.fn(async (_study: string, seriesUID: string) => segs[Number(seriesUID.split('.')[2]) - 1]!.bytes),
  };
  const pacs = { client: vi.fn(() => client) } as unknown as PacsGateway;
  const reviews = { statusOf: vi.fn(() => undefined) } as unknown as ReviewService;
  const corrections = { list: vi.fn(() => []) } as unknown as CorrectionRepository;
  return { service: new OverlayService(pacs, reviews, corrections), client };
}

const query = { endpointId: '0b7b2c1e-6a51-4f39-9d1e-2a3b4c5d6e7f', study, series };

describe('OverlayService', () => {
  it('returns each SEG segment as per-slice masks keyed by the source SOP Instance UID', async () => {
    const { service } = serviceWith([{ metadata: segMetadata('2.25.100', 'QIICR QIN IOWA', series), bytes: liver }]);
    const overlays = await service.getOverlays(query);
    expect(overlays.errors).toEqual([]);
    expect(overlays.segs).toHaveLength(1);
    const [segment] = overlays.segs[0]!.segments;
    expect(segment!.label).toBe('Liver');
    const sops = new Set(ct.map((i) => i.sopInstanceUID));
    expect(segment!.slices.length).toBeGreaterThan(0);
    let voxels = 0;
    for (const slice of segment!.slices) {
      expect(sops.has(slice.sopInstanceUID)).toBe(true);
      voxels += decodeSliceRuns(slice.rle, 512 * 512).reduce((a, b) => a + b, 0);
    }
    expect(voxels).toBe(segment!.voxelCount);
  });

  it('computes volumes from voxel counts and the source voxel size, and quantifies only our SEGs', async () => {
    const { service } = serviceWith([{ metadata: segMetadata('2.25.100', 'QIICR QIN IOWA', series), bytes: liver }]);
    const overlays = await service.getOverlays(query);
    const spacing = (ct[0]!.dataset.PixelSpacing as number[]).map(Number);
    const positions = ct.map((i) => Number((i.dataset.ImagePositionPatient as number[])[2])).sort((a, b) => a - b);
    const voxelMm3 = spacing[0]! * spacing[1]! * (positions[1]! - positions[0]!);
    expect(overlays.voxelVolumeMm3).toBeCloseTo(voxelMm3, 6);
    const segment = overlays.segs[0]!.segments[0]!;
    expect(segment.volumeMl).toBeCloseTo((segment.voxelCount * voxelMm3) / 1000, 6);
    expect(overlays.segs[0]!.ours).toBe(false);
    expect(overlays.segs[0]!.quantification).toBeNull();
  });

  it('quantifies our SEG: infection and lung mL, involvement, and the model from the SeriesDescription', async () => {
    const sorted = [...ct].sort((a, b) => Number((a.dataset.ImagePositionPatient as number[])[2]) - Number((b.dataset.ImagePositionPatient as number[])[2]));
    const perSlice = 512 * 512;
    const lung = new Uint8Array(3 * perSlice);
    const infection = new Uint8Array(3 * perSlice);
    lung.fill(1, perSlice, perSlice + 4000); // slice 1: 4000 lung voxels
    infection.fill(1, perSlice, perSlice + 1000); // of which 1000 infected
    const ours = writeBinarySeg({
      sourceSlices: sorted.map((i) => ({ sopInstanceUID: i.sopInstanceUID, sopClassUID: i.sopClassUID, imagePositionPatient: (i.dataset.ImagePositionPatient as number[]).map(Number) })),
      header: sorted[0]!.dataset,
      algorithm: { name: 'covseg-unet', version: '2.1.0' },
      segments: [
        { label: 'COVID-19 infection', category: SegmentCodes.morphologicallyAbnormalStructure, type: SegmentCodes.lesion, recommendedDisplayRgb: [230, 60, 40], labelmap: infection },
        { label: 'Lung', category: SegmentCodes.anatomicalStructure, type: SegmentCodes.lung, recommendedDisplayRgb: [80, 150, 230], labelmap: lung },
      ],
    });
    const { service } = serviceWith([{ metadata: segMetadata('2.25.300', 'COVSEG', series), bytes: ours.bytes }]);
    const overlays = await service.getOverlays(query);
    const q = overlays.segs[0]!.quantification!;
    expect(overlays.segs[0]!.ours).toBe(true);
    expect(q.infectionMl).toBeCloseTo((1000 * overlays.voxelVolumeMm3) / 1000, 6);
    expect(q.lungMl).toBeCloseTo((4000 * overlays.voxelVolumeMm3) / 1000, 6);
    expect(q.involvementPercent).toBeCloseTo(25, 6);
    expect(q).toMatchObject({ modelName: 'covseg-unet', modelVersion: '2.1.0', modelTrained: true });
    // Colours survive the RecommendedDisplayCIELabValue round trip within rounding.
    const colors = overlays.segs[0]!.segments.map((s) => s.color);
    [[230, 60, 40], [80, 150, 230]].forEach((rgb, i) => rgb.forEach((v, c) => expect(Math.abs(colors[i]![c]! - v)).toBeLessThanOrEqual(2)));
  });

  it('counts per-class figures from a multi-class SEG without an SR: GGO and consolidation segments named by their codes', async () => {
    const sorted = [...ct].sort((a, b) => Number((a.dataset.ImagePositionPatient as number[])[2]) - Number((b.dataset.ImagePositionPatient as number[])[2]));
    const perSlice = 512 * 512;
    const lung = new Uint8Array(3 * perSlice);
    const labels = new Uint8Array(3 * perSlice);
    lung.fill(1, perSlice, perSlice + 4000);
    labels.fill(1, perSlice, perSlice + 600); // 600 GGO
    labels.fill(2, perSlice + 600, perSlice + 1000); // 400 consolidation
    const lesion = { category: SegmentCodes.morphologicallyAbnormalStructure, labelmap: labels };
    const ours = writeBinarySeg({
      sourceSlices: sorted.map((i) => ({ sopInstanceUID: i.sopInstanceUID, sopClassUID: i.sopClassUID, imagePositionPatient: (i.dataset.ImagePositionPatient as number[]).map(Number) })),
      header: sorted[0]!.dataset,
      algorithm: { name: 'covseg-unet', version: '2.1.0' },
      segments: [
        { ...lesion, label: 'COVID-19 infection', type: SegmentCodes.lesion, recommendedDisplayRgb: [230, 60, 40], labelmapValues: 'non-zero' },
        { label: 'Lung', category: SegmentCodes.anatomicalStructure, type: SegmentCodes.lung, recommendedDisplayRgb: [80, 150, 230], labelmap: lung },
        { ...lesion, label: 'Ground-glass opacity', type: SegmentCodes.groundGlassOpacity, recommendedDisplayRgb: [245, 200, 40], labelmapValues: { equals: 1 } },
        { ...lesion, label: 'Consolidation', type: SegmentCodes.consolidation, recommendedDisplayRgb: [200, 40, 170], labelmapValues: { equals: 2 } },
      ],
    });
    const { service } = serviceWith([{ metadata: segMetadata('2.25.300', 'COVSEG', series), bytes: ours.bytes }]);
    const overlays = await service.getOverlays(query);
    const seg = overlays.segs[0]!;
    expect(seg.segments.map((s) => s.infectionClass ?? null)).toEqual([null, null, 'ggo', 'consolidation']);
    const ml = (voxels: number) => (voxels * overlays.voxelVolumeMm3) / 1000;
    const q = seg.quantification!;
    expect(q.source).toBe('seg');
    expect(q.infectionMl).toBeCloseTo(ml(1000), 6);
    expect(q.classes!.ggo.volumeMl).toBeCloseTo(ml(600), 6);
    expect(q.classes!.ggo.involvementPercent).toBeCloseTo(15, 6);
    expect(q.classes!.consolidation.volumeMl).toBeCloseTo(ml(400), 6);
    expect(q.classes!.consolidation.involvementPercent).toBeCloseTo(10, 6);
  });

  it('leaves out SEGs that reference another series', async () => {
    const { service, client } = serviceWith([{ metadata: segMetadata('2.25.100', 'QIICR QIN IOWA', '1.2.3.4'), bytes: liver }]);
    const overlays = await service.getOverlays(query);
    expect(overlays.segs).toEqual([]);
    expect(client.retrieveInstance).not.toHaveBeenCalled();
  });

  it('lists a SEG it cannot read under errors and still returns the others', async () => {
    const garbage = new Uint8Array(200);
    const { service } = serviceWith([
      { metadata: segMetadata('2.25.100', 'QIICR QIN IOWA', series), bytes: liver },
      { metadata: segMetadata('2.25.200', 'COVSEG', series), bytes: garbage },
    ]);
    const overlays = await service.getOverlays(query);
    expect(overlays.segs.map((s) => s.segSopInstanceUID)).toEqual(['2.25.100']);
    expect(overlays.errors).toHaveLength(1);
    expect(overlays.errors[0]!.segSopInstanceUID).toBe('2.25.200');
  });
});
