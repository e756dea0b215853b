import { DicomError, parseDicom, requireCtImage, requirePixelSpacing, rescaleInto, type ParseLimits } from '@covseg/dicom';
import { computeLungFrame, computeLungMask, InvalidInputError, windowToUint8, type FramingParams, type PixelRect } from '@covseg/segmentation';

export interface PreparedDicomSlice {
  /** The whole slice in the model's HU window, 8-bit, row-major columns x rows. Caller owns it. */
  gray: Uint8Array;
  columns: number;
  rows: number;
  /** The lung frame (pixels), or undefined when the slice has too little lung to segment. */
  frame: PixelRect | undefined;
  /** The slice's classical lung mask (0/1, columns x rows): infection is kept inside it, as in jobs. */
  lung: Uint8Array;
}

/** What preparing a slice needs of the model contract (plain data, so it crosses to a worker thread). */
export interface SlicePreparation extends FramingParams {
  windowCenter: number;
  windowWidth: number;
}

/**
 * Parse limits for one uploaded slice (untrusted input): a CT slice is one frame of at most 4096²
 * 16-bit pixels and a few hundred elements, so these are generous for real files and tight for bombs.
 */
export const UPLOAD_PARSE_LIMITS: Partial<ParseLimits> = {
  maxPixelsPerFrame: 4096 * 4096,
  maxPixelDataBytes: 4096 * 4096 * 2,
  maxInflatedBytes: 64 * 1024 * 1024,
  maxElements: 20_000,
};

/** An uploaded DICOM slice we refuse; the message names what is wrong (a UID or a value, never patient data). */
export class DicomSliceRejectedError extends Error {
  override name = 'DicomSliceRejectedError';
}

/**
 * A single-frame DICOM slice brought to the model input of docs/CONTRACTS.md §1 (DICOM path): HU by the
 * Modality LUT of libs/dicom (rescaleInto: PS3.3 §C.11.1, slope and intercept checked), windowed to
 * 8 bit with the model's window, framed on the slice's classical lung mask. Geometry and rescale are
 * the library's rules (requirePixelSpacing, requireRescale, requireCtImage), never re-implemented here.
 * Runs in a worker thread for uploads (DicomSliceWorkerRepository); pure and synchronous.
 * @throws DicomSliceRejectedError naming what is wrong (never a bare library error).
 */
export async function prepareDicomSlice(bytes: Uint8Array, preparation: SlicePreparation, limits: Partial<ParseLimits> = UPLOAD_PARSE_LIMITS): Promise<PreparedDicomSlice> {
  const refuse = (why: string, cause?: unknown): never => {
    throw new DicomSliceRejectedError(`Segmenting an uploaded DICOM slice failed: ${why}`, cause === undefined ? undefined : { cause });
  };
  try {
    const instance = parseDicom(bytes, { limits });
    if (!instance.pixel) return refuse(`SOP Instance ${instance.sopInstanceUID} (SOP Class ${instance.sopClassUID.slice(0, 64)}) has no image`);
    if (instance.frames() !== 1) return refuse(`it has ${instance.frames()} frames; upload one single-frame slice`);
    if (instance.pixel.samplesPerPixel !== 1) return refuse('it is not a greyscale image');
    requireCtImage(instance);
    const [rowSpacingMm, columnSpacingMm] = requirePixelSpacing(instance);
    const { rows, columns } = instance.pixel;
    const hu = new Int16Array(rows * columns);
    rescaleInto(await instance.decodeFrame(0), instance, hu);
    const gray = windowToUint8(hu, preparation.windowCenter, preparation.windowWidth);
    const lung = computeLungMask(hu, { columns, rows, slices: 1 }, { rowSpacingMm, columnSpacingMm, sliceSpacingMm: 1 });
    const frame = computeLungFrame(lung.mask, columns, rows, { rowSpacingMm, columnSpacingMm }, preparation);
    return { gray, columns, rows, frame, lung: lung.mask };
  } catch (error) {
    if (error instanceof DicomSliceRejectedError) throw error;
    if (error instanceof DicomError || error instanceof InvalidInputError) return refuse(error.message, error);
    throw error;
  }
}
