import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCtVolume, deviceUidFromDigest, parseDicom, readPart10Dataset, type CtVolume } from '@covseg/dicom';
import type { SegmentationModel, VolumeSegmentation } from '@covseg/segmentation';
import { SeriesFactory } from '../../../../../tests/factories/series.factory';
import { KEY_IMAGE_MIN_INFECTION_MM2, renderKeyImages } from './key-images.step';
import { modelProvenance } from './result-provenance';

const dir = mkdtempSync(join(tmpdir(), 'covseg-key-images-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The renderer reads only the model's identity.
const model = { name: 'covseg-unet', version: '9.9.9', trained: true, sha256: 'ab'.repeat(32) } as unknown as SegmentationModel;
const quantification = { infectionVolumeMl: 12.3, lungVolumeMl: 2000, involvementPercent: 0.615, right: { infectionVolumeMl: 10, lungVolumeMl: 1000, involvementPercent: 1 } };

/**
 * A 64 x 64 x 6 phantom (2 mm pixels: 4 mm² each) with a square infection of the given side on some
 * slices, drawn with `label` (1: infection or GGO, 2: consolidation of a multi-class model).
 */
async function phantom(sides: number[], label = 1): Promise<{ volume: CtVolume; segmentation: VolumeSegmentation }> {
  const built = SeriesFactory.ct().size(64, 64).pixelSpacingMm(2, 2).slices(sides.length).build();
  const volume = await buildCtVolume(built.files.map((f) => parseDicom(f)), { minSlices: 1 });
  const plane = 64 * 64;
  const infection = new Uint8Array(plane * sides.length);
  sides.forEach((side, z) => {
    for (let y = 10; y < 10 + side; y++) for (let x = 20; x < 20 + side; x++) infection[z * plane + y * 64 + x] = label;
  });
  return { volume, segmentation: { infection, multiClass: label !== 1, lungSide: new Uint8Array(infection.length) } as unknown as VolumeSegmentation };
}

function dciodvfyErrors(bytes: Uint8Array, name: string): string[] {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  const run = spawnSync('/usr/bin/dciodvfy', [path], { encoding: 'utf8' });
  const report = `${run.stdout}${run.stderr}`;
  expect(report).toMatch(/^SCImage$/m);
  return report.split('\n').filter((line) => line.startsWith('Error'));
}

describe('renderKeyImages', () => {
  it('makes one image per slice with at least 1 cm² of infection, plus a summary, each valid and marked NOT FOR DIAGNOSIS', async () => {
    // 4 mm² pixels: side 5 = 100 mm² (kept), side 4 = 64 mm² (below), 0 = none.
    const { volume, segmentation } = await phantom([0, 5, 4, 8, 0, 0]);
    expect(5 * 5 * 4).toBe(KEY_IMAGE_MIN_INFECTION_MM2);
    const images = await renderKeyImages(volume, segmentation, quantification, model, modelProvenance(model));
    expect(images).toHaveLength(3);
    const datasets = images.map((image) => readPart10Dataset(image.bytes) as Record<string, any>);
    for (const [i, image] of images.entries()) expect(dciodvfyErrors(image.bytes, `key-${i}.dcm`)).toEqual([]);
    expect(datasets.map((d) => d.SourceImageSequence[0].ReferencedSOPInstanceUID).slice(0, 2)).toEqual([volume.slices[1]!.sopInstanceUID, volume.slices[3]!.sopInstanceUID]);
    expect(datasets[2]!.SourceImageSequence).toHaveLength(volume.slices.length);
    for (const d of datasets) {
      expect(d.ImageType).toEqual(['DERIVED', 'SECONDARY']);
      expect(d.BurnedInAnnotation).toBe('YES');
      expect(d.ImageComments).toMatch(/^NOT FOR DIAGNOSIS/);
      expect(d.DeviceUID).toBe(deviceUidFromDigest(model.sha256));
      expect(d.SeriesInstanceUID).toBe(datasets[0]!.SeriesInstanceUID);
      expect(d.StudyInstanceUID).toBe(volume.studyInstanceUID);
    }
    expect(datasets.map((d) => Number(d.InstanceNumber))).toEqual([1, 2, 3]);
  });

  it('burns the infection in red and the banner in yellow into the pixels', async () => {
    const { volume, segmentation } = await phantom([12, 0]);
    const [slice] = await renderKeyImages(volume, segmentation, quantification, model, modelProvenance(model));
    const dataset = readPart10Dataset(slice!.bytes) as { PixelData: ArrayBuffer[]; Rows: number; Columns: number; PhotometricInterpretation: string };
    expect([dataset.Rows, dataset.Columns, dataset.PhotometricInterpretation]).toEqual([64, 64, 'RGB']);
    const rgb = new Uint8Array(dataset.PixelData[0]!);
    const at = (x: number, y: number) => Array.from(rgb.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3));
    const [r, g, b] = at(25, 20); // inside the infection square, below the banner band
    expect(r).toBeGreaterThan(g! + 60);
    expect(r).toBeGreaterThan(b! + 60);
    const [gr, gg, gb] = at(50, 40); // CT outside the infection: grey
    expect([gr, gg]).toEqual([gb, gb]);
    // Some yellow text pixels in the top band.
    let yellow = 0;
    for (let y = 0; y < 18; y++) for (let x = 0; x < 64; x++) { const [pr, pg, pb] = at(x, y); if (pr! > 150 && pg! > 120 && pb! < 90) yellow++; }
    expect(yellow).toBeGreaterThan(0);
  });

  it('counts a consolidation voxel once (label 2) when it chooses slices and captions their area', async () => {
    // Side 4 = 64 mm²: below 1 cm² however it is labelled; side 5 = 100 mm² is kept.
    const { volume, segmentation } = await phantom([4, 5, 0], 2);
    const images = await renderKeyImages(volume, segmentation, quantification, model, modelProvenance(model));
    expect(images).toHaveLength(2);
    const first = readPart10Dataset(images[0]!.bytes) as Record<string, any>;
    expect(first.SourceImageSequence[0].ReferencedSOPInstanceUID).toBe(volume.slices[1]!.sopInstanceUID);
    expect(first.DerivationDescription).toMatch(/ground-glass opacity \(amber\) and consolidation \(magenta\)/);
  });

  it('burns a multi-class result in the SEG colours: ground-glass amber, consolidation magenta', async () => {
    const { volume, segmentation } = await phantom([12, 0], 2);
    // The left half of the square is ground glass (1), the right half stays consolidation (2).
    for (let y = 10; y < 22; y++) for (let x = 20; x < 26; x++) segmentation.infection[y * 64 + x] = 1;
    const [slice] = await renderKeyImages(volume, segmentation, quantification, model, modelProvenance(model));
    const dataset = readPart10Dataset(slice!.bytes) as { PixelData: ArrayBuffer[] };
    const rgb = new Uint8Array(dataset.PixelData[0]!);
    const at = (x: number, y: number) => Array.from(rgb.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3));
    const [gr, gg, gb] = at(22, 20); // GGO: amber (red and green high, blue low)
    expect(gg).toBeGreaterThan(gb! + 60);
    expect(gr).toBeGreaterThan(gb! + 60);
    const [cr, cg, cb] = at(29, 20); // consolidation: magenta (red and blue above green)
    expect(cr).toBeGreaterThan(cg! + 40);
    expect(cb).toBeGreaterThan(cg! + 20);
    const [br, bg, bb] = at(25, 21); // the last GGO column: the same colour
    expect([br, bg, bb]).toEqual([gr, gg, gb]);
  });
});
