// Loads the committed LIDC-IDRI-0001 series (133 slices, CC BY 3.0) as a CtVolumeInput for the
// segmentation bench and medium tests, the way apps/server composes the pipeline: @covseg/dicom's
// parseDicom + buildCtVolume, then the server's own segmentationInputOf into @covseg/segmentation.
import type { CtVolumeInput } from '@covseg/segmentation';
import { lidcSlicePaths } from '../tests/support/lidc-fixture';
import { loadCtSeries } from './ct-series-volume';

export function loadLidcVolume(): Promise<CtVolumeInput & { sliceZ: number[] }> {
  return loadCtSeries(lidcSlicePaths());
}
