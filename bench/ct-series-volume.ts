// Loads a folder of single-frame DICOM CT slices as a CtVolumeInput, the way apps/server composes the
// pipeline (@covseg/dicom's parseDicom + buildCtVolume, then typed arrays plus geometry). For benchmarks
// and checks on the series of ../shared/data/ct (unpacked with tar -xJf), and for the medium tests.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildCtVolume, parseDicom } from '@covseg/dicom';
import type { CtVolumeInput } from '@covseg/segmentation';

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

export async function loadCtSeries(paths: readonly string[]): Promise<CtVolumeInput & { sliceZ: number[] }> {
  const volume = await buildCtVolume(paths.map((path) => parseDicom(new Uint8Array(readFileSync(path)))));
  const g = volume.geometry;
  return {
    hu: volume.hu,
    rows: g.rows,
    columns: g.columns,
    slices: g.slices,
    rowSpacingMm: g.rowSpacingMm,
    columnSpacingMm: g.columnSpacingMm,
    sliceSpacingMm: g.sliceSpacingMm,
    // +x in LPS is patient Left: columns run toward the patient's left when the row direction has +x.
    columnsIncreaseTowardPatientLeft: g.rowDirection[0] > 0,
    slicesIncreaseTowardHead: g.normal[2] >= 0,
    rowsIncreaseTowardPosterior: g.columnDirection[1] >= 0,
    sliceZ: g.positions.map((p) => p[2]),
  };
}
