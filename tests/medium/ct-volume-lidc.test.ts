import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCtVolume, type CtVolume, type DicomInstance, parseDicom } from '@covseg/dicom';

const archive = resolve(__dirname, '../fixtures/ct/lidc-idri-0001/lidc-idri-0001.tar.xz');

describe('buildCtVolume on the real LIDC-IDRI-0001 chest CT', () => {
  let dir: string;
  let instances: DicomInstance[];
  let volume: CtVolume;
  let parseMs: number;
  let buildMs: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'covseg-lidc-'));
    execFileSync('tar', ['-xJf', archive, '-C', dir]);
    const seriesDir = join(dir, 'lidc-idri-0001-chest-ct');
    const files = readdirSync(seriesDir)
      .filter((name) => name.endsWith('.dcm'))
      .map((name) => new Uint8Array(readFileSync(join(seriesDir, name))));
    let started = performance.now();
    instances = files.map((bytes) => parseDicom(bytes));
    parseMs = performance.now() - started;
    started = performance.now();
    volume = await buildCtVolume(instances);
    buildMs = performance.now() - started;
    // Timed for information only: speed is measured by bench/, a wall-clock bound fails on a loaded machine.
    console.info(`LIDC: parse ${instances.length} files ${parseMs.toFixed(0)} ms, decode+stack ${buildMs.toFixed(0)} ms`);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stacks all 133 slices of 512 x 512 with the series geometry', () => {
    expect(volume.geometry).toMatchObject({ rows: 512, columns: 512, slices: 133 });
    expect(volume.hu.length).toBe(133 * 512 * 512);
    expect(volume.geometry.rowSpacingMm).toBeCloseTo(0.703125, 5);
    expect(volume.geometry.sliceSpacingMm).toBeCloseTo(2.5, 3);
    expect(volume.geometry.normal).toEqual([0, 0, 1]);
  });

  it('orders slices by ImagePositionPatient z, each 2.5 mm above the previous', () => {
    const z = volume.geometry.positions.map((p) => p[2]);
    const expected = instances.map((i) => Number((i.dataset.ImagePositionPatient as number[])[2])).sort((a, b) => a - b);
    expect(z).toEqual(expected);
    for (let k = 1; k < z.length; k++) expect(z[k]! - z[k - 1]!).toBeCloseTo(2.5, 3);
    expect(volume.slices.map((s) => s.imagePositionPatient[2])).toEqual(z);
    expect(new Set(volume.slices.map((s) => s.sopInstanceUID)).size).toBe(133);
  });

  it('gives air outside the body about -1000 HU, with the series RescaleIntercept of -1024', () => {
    expect(new Set(instances.map((i) => i.dataset.RescaleIntercept))).toEqual(new Set([-1024]));
    const slice = 66 * 512 * 512;
    // A 20 x 20 patch in the anterior air above the chest (rows 20..39, centre columns) of the middle slice.
    let sum = 0;
    for (let y = 20; y < 40; y++) for (let x = 246; x < 266; x++) sum += volume.hu[slice + y * 512 + x]!;
    const airMean = sum / 400;
    expect(airMean).toBeGreaterThan(-1050);
    expect(airMean).toBeLessThan(-950);
    let min = Infinity;
    let max = -Infinity;
    for (const v of volume.hu) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBeGreaterThanOrEqual(-3024);
    expect(max).toBeLessThan(4000);
    expect(max).toBeGreaterThan(500); // bone
  });

  it('keeps the header of the first slice in volume order, without PixelData', () => {
    expect(volume.header.SOPInstanceUID).toBe(volume.slices[0]!.sopInstanceUID);
    expect(volume.header.PixelData).toBeUndefined();
    expect(volume.studyInstanceUID).toBe(instances[0]!.dataset.StudyInstanceUID);
  });
});
