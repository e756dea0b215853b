// Loads the committed LIDC-IDRI-0001 series (133 slices, CC BY 3.0) as a CtVolumeInput for the
// segmentation bench and medium tests, the way apps/server composes the pipeline: @covseg/dicom's
// parseDicom + buildCtVolume, then typed arrays plus geometry into @covseg/segmentation.
import { readFileSync } from 'node:fs';
import { buildCtVolume, parseDicom } from '@covseg/dicom';
import type { CtVolumeInput } from '@covseg/segmentation';
import { lidcSlicePaths } from '../tests/support/lidc-fixture';

export async function loadLidcVolume(): Promise<CtVolumeInput & { sliceZ: number[] }> {
  const instances = lidcSlicePaths().map((path) => parseDicom(new Uint8Array(readFileSync(path))));
  const volume = await buildCtVolume(instances);
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
