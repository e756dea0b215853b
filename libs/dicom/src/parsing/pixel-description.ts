import { DicomParseError } from '../errors';
import type { DicomDataset } from './dicom-dataset';

/** The Image Pixel Module attributes (PS3.3 C.7.6.3) that decoding needs, validated. */
export interface PixelDescription {
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  /** 1, 8 or 16. */
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  /** 0 = unsigned, 1 = two's complement (PS3.3 C.7.6.3.1). */
  readonly pixelRepresentation: 0 | 1;
  readonly photometricInterpretation: string;
  readonly numberOfFrames: number;
}

/**
 * Guards against absurd headers. A 10000 x 10000 frame is refused by default: it is 200 MB of stored
 * values per frame and no CT is that large; raise the limit deliberately if a modality needs it.
 */
export interface ParseLimits {
  /** Largest Rows x Columns accepted; default 4096 x 4096. */
  readonly maxPixelsPerFrame: number;
  /** Largest Rows x Columns x frames x samples x BitsAllocated / 8 accepted; default 1 GiB. */
  readonly maxPixelDataBytes: number;
  /** Smallest Rows and Columns accepted; default 2 (a 1 x 1 "image" has no in-plane geometry). */
  readonly minDimension: number;
  /** Largest inflated dataset of Deflated Explicit VR Little Endian; default 64 MiB (a deflate bomb stops here). */
  readonly maxInflatedBytes: number;
  /**
   * Most data elements (at every sequence depth) accepted; default 200,000. A CT slice has a few hundred;
   * a 12 MB file of 1,000,000 empty private elements once took dcmjs 20 s to read.
   */
  readonly maxElements: number;
}

export const defaultParseLimits: ParseLimits = {
  maxPixelsPerFrame: 4096 * 4096,
  maxPixelDataBytes: 1024 * 1024 * 1024,
  minDimension: 2,
  maxInflatedBytes: 64 * 1024 * 1024,
  maxElements: 200_000,
};

function requireInteger(dataset: DicomDataset, keyword: string, sopInstanceUID: string, fallback?: number): number {
  const raw = dataset[keyword];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value === null || value === '') {
    if (fallback !== undefined) return fallback;
    throw new DicomParseError(`Reading the pixel description of SOP Instance ${sopInstanceUID} failed: ${keyword} is missing`, sopInstanceUID);
  }
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) {
    throw new DicomParseError(
      `Reading the pixel description of SOP Instance ${sopInstanceUID} failed: ${keyword} is not an integer (wrong VR?)`,
      sopInstanceUID,
    );
  }
  return number;
}

/**
 * Reads and validates the Image Pixel Module of an instance that has PixelData. Every bound is
 * checked before anything is allocated, so a hostile header cannot make us allocate gigabytes.
 */
export function readPixelDescription(dataset: DicomDataset, sopInstanceUID: string, limits: ParseLimits): PixelDescription {
  const fail = (why: string): never => {
    throw new DicomParseError(`Reading the pixel description of SOP Instance ${sopInstanceUID} failed: ${why}`, sopInstanceUID);
  };
  const rows = requireInteger(dataset, 'Rows', sopInstanceUID);
  const columns = requireInteger(dataset, 'Columns', sopInstanceUID);
  const samplesPerPixel = requireInteger(dataset, 'SamplesPerPixel', sopInstanceUID, 1);
  const bitsAllocated = requireInteger(dataset, 'BitsAllocated', sopInstanceUID);
  const bitsStored = requireInteger(dataset, 'BitsStored', sopInstanceUID, bitsAllocated);
  const pixelRepresentation = requireInteger(dataset, 'PixelRepresentation', sopInstanceUID, 0);
  const numberOfFrames = requireInteger(dataset, 'NumberOfFrames', sopInstanceUID, 1);
  const photometric = dataset.PhotometricInterpretation;
  const photometricInterpretation = typeof photometric === 'string' ? photometric : 'MONOCHROME2';

  if (rows < limits.minDimension || columns < limits.minDimension) fail(`${rows} x ${columns} is below the minimum ${limits.minDimension} x ${limits.minDimension}`);
  if (rows > 65535 || columns > 65535) fail(`${rows} x ${columns} exceeds the US range of Rows/Columns`);
  if (rows * columns > limits.maxPixelsPerFrame) fail(`${rows} x ${columns} exceeds the limit of ${limits.maxPixelsPerFrame} pixels per frame`);
  if (samplesPerPixel !== 1) fail(`SamplesPerPixel ${samplesPerPixel} is not supported (only monochrome images)`);
  if (bitsAllocated !== 1 && bitsAllocated !== 8 && bitsAllocated !== 16) fail(`BitsAllocated ${bitsAllocated} is not supported (1, 8 or 16)`);
  if (bitsStored < 1 || bitsStored > bitsAllocated) fail(`BitsStored ${bitsStored} does not fit BitsAllocated ${bitsAllocated}`);
  if (pixelRepresentation !== 0 && pixelRepresentation !== 1) fail(`PixelRepresentation ${pixelRepresentation} is neither 0 nor 1`);
  if (numberOfFrames < 1) fail(`NumberOfFrames ${numberOfFrames} is below 1`);
  if (!/^MONOCHROME[12]$/.test(photometricInterpretation)) fail(`PhotometricInterpretation ${photometricInterpretation} is not supported (only MONOCHROME1/2)`);
  const totalBytes = Math.ceil((rows * columns * numberOfFrames * samplesPerPixel * bitsAllocated) / 8);
  if (totalBytes > limits.maxPixelDataBytes) fail(`${numberOfFrames} frames of ${rows} x ${columns} need ${totalBytes} bytes, over the limit of ${limits.maxPixelDataBytes}`);

  return {
    rows,
    columns,
    samplesPerPixel,
    bitsAllocated,
    bitsStored,
    pixelRepresentation: pixelRepresentation as 0 | 1,
    photometricInterpretation,
    numberOfFrames,
  };
}

/** Bytes one native (uncompressed) frame occupies; 1-bit frames are not byte aligned (PS3.5 8.1.1). */
export function nativeFrameBits(pixel: PixelDescription): number {
  return pixel.rows * pixel.columns * pixel.samplesPerPixel * pixel.bitsAllocated;
}
