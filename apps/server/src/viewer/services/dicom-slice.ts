import { DicomError, parseDicom } from '@covseg/dicom';
import { computeLungFrame, computeLungMask, windowToUint8, type ModelContract, type PixelRect } from '@covseg/segmentation';
import { UploadUnreadableError } from '../viewer.errors';

export interface PreparedDicomSlice {
  /** The whole slice in the model's HU window, 8-bit, row-major columns x rows. Caller owns it. */
  gray: Uint8Array;
  columns: number;
  rows: number;
  /** The lung frame (pixels), or undefined when the slice has too little lung to segment. */
  frame: PixelRect | undefined;
}

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

/**
 * A single-frame DICOM slice brought to the model input of docs/CONTRACTS.md §1 (DICOM path): HU by the
 * Modality LUT (PS3.3 §C.11.1: HU = stored × RescaleSlope + RescaleIntercept), windowed to 8 bit with
 * the model's window, framed on the slice's classical lung mask.
 * @throws UploadUnreadableError naming what is wrong (never a bare library error).
 */
export async function prepareDicomSlice(bytes: Uint8Array, contract: ModelContract): Promise<PreparedDicomSlice> {
  let instance;
  let stored;
  try {
    instance = parseDicom(bytes);
    if (instance.frames() !== 1) throw new UploadUnreadableError(`Segmenting an uploaded DICOM slice failed: it has ${instance.frames()} frames; upload one single-frame slice`);
    if (instance.pixel?.samplesPerPixel !== 1) throw new UploadUnreadableError('Segmenting an uploaded DICOM slice failed: it is not a greyscale image');
    stored = await instance.decodeFrame(0);
  } catch (error) {
    if (error instanceof UploadUnreadableError) throw error;
    if (error instanceof DicomError) throw new UploadUnreadableError(`Segmenting an uploaded DICOM slice failed: ${error.message}`, { cause: error });
    throw error;
  }
  const { rows, columns } = instance.pixel;
  const dataset = instance.dataset as Record<string, unknown>;
  // Modality, when present, decides (a CT Image Storage object saying MR is not HU we can trust);
  // without it, the SOP class must be CT Image Storage.
  if (dataset.Modality !== undefined ? dataset.Modality !== 'CT' : instance.sopClassUID !== CT_IMAGE_STORAGE) {
    throw new UploadUnreadableError(`Segmenting an uploaded DICOM slice failed: it is ${String(dataset.Modality ?? 'not CT')}, the model reads CT (HU)`);
  }
  const slope = numberOf(dataset.RescaleSlope, 1);
  const intercept = numberOf(dataset.RescaleIntercept, 0);
  const hu = new Int16Array(rows * columns);
  for (let i = 0; i < hu.length; i++) hu[i] = Math.max(-32768, Math.min(32767, Math.round(stored[i]! * slope + intercept)));
  const spacing = Array.isArray(dataset.PixelSpacing) ? (dataset.PixelSpacing as unknown[]).map(Number) : [];
  const rowSpacingMm = spacing[0]! > 0 ? spacing[0]! : 1;
  const columnSpacingMm = spacing[1]! > 0 ? spacing[1]! : rowSpacingMm;
  const gray = windowToUint8(hu, contract.windowCenter, contract.windowWidth);
  const lung = computeLungMask(hu, { columns, rows, slices: 1 }, { rowSpacingMm, columnSpacingMm, sliceSpacingMm: 1 });
  const frame = computeLungFrame(lung.mask, columns, rows, { rowSpacingMm, columnSpacingMm }, contract);
  return { gray, columns, rows, frame };
}

function numberOf(value: unknown, fallback: number): number {
  const first = Array.isArray(value) ? value[0] : value;
  const number = Number(first);
  return first !== undefined && first !== null && first !== '' && Number.isFinite(number) ? number : fallback;
}
