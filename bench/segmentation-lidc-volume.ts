// Loads the committed LIDC-IDRI-0001 series (133 slices, CC BY 3.0) as a CtVolumeInput for the
// segmentation bench and medium tests. It decodes with @covseg/dicom's parseDicom and assembles the
// volume itself (sort by ImagePositionPatient z, Modality LUT), so libs/segmentation stays free of DICOM.
import { readFileSync } from 'node:fs';
import { parseDicom } from '@covseg/dicom';
import type { CtVolumeInput } from '@covseg/segmentation';
import { lidcSlicePaths } from '../tests/support/lidc-fixture';

export async function loadLidcVolume(): Promise<CtVolumeInput & { sliceZ: number[] }> {
  const instances = lidcSlicePaths().map((path) => parseDicom(new Uint8Array(readFileSync(path))));
  const z = (i: (typeof instances)[number]) => Number((i.dataset.ImagePositionPatient as number[])[2]);
  instances.sort((a, b) => z(a) - z(b));
  const first = instances[0]!.dataset;
  const rows = Number(first.Rows);
  const columns = Number(first.Columns);
  const [rowSpacingMm, columnSpacingMm] = (first.PixelSpacing as number[]).map(Number) as [number, number];
  const plane = rows * columns;
  const hu = new Int16Array(plane * instances.length);
  for (let k = 0; k < instances.length; k++) {
    const ds = instances[k]!.dataset;
    const slope = Number(ds.RescaleSlope ?? 1);
    const intercept = Number(ds.RescaleIntercept ?? 0);
    const stored = await instances[k]!.decodeFrame(0);
    for (let i = 0; i < plane; i++) hu[k * plane + i] = Math.max(-32768, Math.min(32767, Math.round(stored[i]! * slope + intercept)));
  }
  const sliceZ = instances.map(z);
  const rowDirectionX = Number((first.ImageOrientationPatient as number[])[0]);
  return {
    hu,
    rows,
    columns,
    slices: instances.length,
    rowSpacingMm,
    columnSpacingMm,
    sliceSpacingMm: Math.abs(sliceZ[1]! - sliceZ[0]!),
    columnsIncreaseTowardPatientLeft: rowDirectionX > 0,
    sliceZ,
  };
}
