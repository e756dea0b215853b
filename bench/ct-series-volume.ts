// Loads a folder of single-frame DICOM CT slices as a CtVolumeInput, the way apps/server composes the
// pipeline (@covseg/dicom's parseDicom + buildCtVolume, then typed arrays plus geometry). For benchmarks
// and checks on the series of ../shared/data/ct (unpacked with tar -xJf), and for the medium tests.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildCtVolume, parseDicom } from '@covseg/dicom';
import type { CtVolumeInput } from '@covseg/segmentation';
import { lidcSlicePaths } from '../tests/support/lidc-fixture';
import { segmentationInputOf } from '../apps/server/src/jobs/pipeline/segment-volume.step';

/** Every file under `folder` (recursively) that parses as DICOM; others (ATTRIBUTION.txt, …) are skipped. */
export function dicomFilesUnder(folder: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(folder).sort()) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) out.push(...dicomFilesUnder(path));
    else if (!name.startsWith(".") && !/\.(txt|xml|md|json)$/i.test(name)) out.push(path);
  }
  return out;
}

/**
 * Every CT series at hand, by name: the committed LIDC-IDRI-0001, then (when ../shared/data is there) LIDC-IDRI-0002,
 * Lung-PET-CT-Dx A0002 and each RICORD slab (`ricord-negative-N`, `ricord-positive-N`), unpacked once into the temp folder.
 */
export function sharedCtSeries(): { name: string; paths: string[] }[] {
  const data = resolve(__dirname, '../../shared/data/ct');
  const cache = join(tmpdir(), 'covseg-shared-ct');
  const out: { name: string; paths: string[] }[] = [{ name: 'lidc-idri-0001', paths: lidcSlicePaths() }];
  if (!existsSync(data)) return out;
  mkdirSync(cache, { recursive: true });
  for (const archive of ['lidc-idri-0002', 'lung-pet-ct-dx-a0002', 'ricord-slabs']) {
    if (!existsSync(join(data, `${archive}.tar.xz`))) continue;
    if (!existsSync(join(cache, archive))) {
      mkdirSync(join(cache, archive));
      execFileSync('tar', ['-xJf', join(data, `${archive}.tar.xz`), '-C', join(cache, archive)]);
    }
    if (archive !== 'ricord-slabs') {
      out.push({ name: archive, paths: dicomFilesUnder(join(cache, archive)) });
      continue;
    }
    for (const [group, label] of [['covid_negative_data', 'negative'], ['covid_positive_data', 'positive']] as const) {
      for (const p of [1, 2, 3, 4, 5]) {
        const folder = join(cache, archive, 'ricord-slabs', group, `patient_${p}`);
        if (existsSync(folder)) out.push({ name: `ricord-${label}-${p}`, paths: dicomFilesUnder(folder) });
      }
    }
  }
  return out;
}

export async function loadCtSeries(paths: readonly string[]): Promise<CtVolumeInput & { sliceZ: number[] }> {
  const volume = await buildCtVolume(paths.map((path) => parseDicom(new Uint8Array(readFileSync(path)))));
  // The server's own mapping (jobs and the correction export use it), so benches see what jobs see.
  return { ...segmentationInputOf(volume), sliceZ: volume.geometry.positions.map((p) => p[2]) };
}
