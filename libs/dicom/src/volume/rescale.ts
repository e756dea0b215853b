import type { DicomInstance } from '../parsing/dicom-instance';
import { describeSlice } from './frame-slice';
import type { StoredPixels } from '../parsing/dicom-dataset';
import { reject } from './slice-geometry';

function rescaleValue(instance: DicomInstance, keyword: 'RescaleSlope' | 'RescaleIntercept'): number {
  const raw = instance.dataset[keyword];
  const value = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    // Type 1 in the CT Image Module (PS3.3 C.8.2.1): guessing 1/0 would shift every HU by the intercept.
    reject(`Building a CT volume failed: ${describeSlice(instance)} has no valid ${keyword}`, 'missing-rescale');
  }
  return value;
}

/**
 * Applies the Modality LUT (PS3.3 C.11.1: HU = stored x RescaleSlope + RescaleIntercept) of one slice,
 * rounding to the nearest HU and clamping to the int16 range, into `out` (a view into the volume).
 * `stored` is read, not kept.
 */
export function rescaleInto(stored: StoredPixels, instance: DicomInstance, out: Int16Array): void {
  const slope = rescaleValue(instance, 'RescaleSlope');
  const intercept = rescaleValue(instance, 'RescaleIntercept');
  const length = out.length;
  if (slope === 1 && Number.isInteger(intercept)) {
    // The usual CT case: integer arithmetic only; the clamp keeps Int16Array from wrapping around.
    for (let i = 0; i < length; i++) {
      const v = stored[i]! + intercept;
      out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    return;
  }
  for (let i = 0; i < length; i++) {
    const v = Math.round(stored[i]! * slope + intercept);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
}
