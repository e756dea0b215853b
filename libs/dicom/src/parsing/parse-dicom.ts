import dcmjs from 'dcmjs';
import { DicomParseError, UnsupportedTransferSyntaxError } from '../errors';
import type { DicomDataset } from './dicom-dataset';
import { DicomInstance, type FrameStore } from './dicom-instance';
import { splitEncapsulatedFrames } from './encapsulated-frames';
import { nullMalformedNumericStrings } from './numeric-strings';
import { checkPart10Structure } from './structure-check';
import { defaultParseLimits, nativeFrameBits, readPixelDescription, type ParseLimits, type PixelDescription } from './pixel-description';
import { getTransferSyntaxInfo, isEncapsulated } from './transfer-syntax';

export interface ParseOptions {
  /** Overrides of {@link defaultParseLimits}. */
  readonly limits?: Partial<ParseLimits>;
}

const preambleBytes = 128;
const pixelDataTag = '7FE00010';

function readPart10(bytes: Uint8Array, limits: ParseLimits): dcmjs.data.DicomDict {
  // PS3.10 7.1: 128-byte preamble then "DICM". dcmjs would otherwise read arbitrary bytes as a dataset.
  if (bytes.length < preambleBytes + 4 || String.fromCharCode(...bytes.subarray(preambleBytes, preambleBytes + 4)) !== 'DICM') {
    throw new DicomParseError(`Parsing a DICOM file of ${bytes.length} bytes failed: no "DICM" prefix at byte 128 (not a PS3.10 file)`);
  }
  // Never remove this check: dcmjs zero-fills values that run past the end of the file.
  checkPart10Structure(bytes, limits.maxInflatedBytes, limits.maxElements);
  // dcmjs reads a whole ArrayBuffer; copy when the view does not span its buffer. Never use
  // bytes.slice() here: on a Node Buffer (pooled for small files) slice is a view, not a copy.
  const buffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : new Uint8Array(bytes).buffer;
  try {
    return dcmjs.data.DicomMessage.readFile(buffer, { ignoreErrors: false });
  } catch (error) {
    throw new DicomParseError(`Parsing a DICOM file of ${bytes.length} bytes failed: ${error instanceof Error ? error.message : String(error)}`, undefined, { cause: error });
  }
}

function firstString(value: unknown): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first.length > 0 ? first : undefined;
}

function toBytes(value: unknown): Uint8Array[] | undefined {
  const parts = Array.isArray(value) ? value : [value];
  if (!parts.every((part) => part instanceof ArrayBuffer)) return undefined;
  return (parts as ArrayBuffer[]).map((part) => new Uint8Array(part));
}

/** Joins native pixel data, checks its length against the header and byte-swaps big-endian words. */
function nativeStore(parts: Uint8Array[], pixel: PixelDescription, vr: string, bigEndian: boolean, sopInstanceUID: string): FrameStore {
  const expected = Math.ceil((nativeFrameBits(pixel) * pixel.numberOfFrames) / 8);
  const available = parts.reduce((sum, part) => sum + part.length, 0);
  if (available < expected) {
    throw new DicomParseError(
      `Parsing SOP Instance ${sopInstanceUID} failed: PixelData has ${available} bytes, ${pixel.numberOfFrames} frame(s) of ${pixel.rows} x ${pixel.columns} x ${pixel.bitsAllocated} bits need ${expected} (truncated file?)`,
      sopInstanceUID,
    );
  }
  const data = new Uint8Array(expected + (expected & 1));
  let offset = 0;
  for (const part of parts) {
    if (offset >= data.length) break;
    data.set(part.subarray(0, data.length - offset), offset);
    offset += part.length;
  }
  // PS3.5 7.3 and Annex A.3: OW values are byte-swapped words in big endian, whatever BitsAllocated is;
  // OB values are byte streams and are not swapped.
  if (bigEndian && vr === 'OW') {
    for (let i = 0; i + 1 < data.length; i += 2) {
      const high = data[i]!;
      data[i] = data[i + 1]!;
      data[i + 1] = high;
    }
  }
  return { kind: 'native', data };
}

/**
 * Parses a DICOM PS3.10 file. Never trusts the header: the pixel description is validated and the
 * PixelData length is checked against Rows x Columns x frames x BitsAllocated before anything is
 * decoded, so truncated or hostile files fail here with a {@link DicomParseError}, and a transfer
 * syntax without a decoder fails with {@link UnsupportedTransferSyntaxError}.
 *
 * `bytes` is only read; the returned instance keeps copies (or dcmjs's slices) of the pixel data.
 */
export function parseDicom(bytes: Uint8Array, options: ParseOptions = {}): DicomInstance {
  const limits = { ...defaultParseLimits, ...options.limits };
  const file = readPart10(bytes, limits);
  const transferSyntaxUID = firstString(file.meta['00020010']?.Value);
  if (!transferSyntaxUID) throw new DicomParseError('Parsing a DICOM file failed: the file meta information has no TransferSyntaxUID');

  nullMalformedNumericStrings(file.dict);
  let dataset: DicomDataset;
  try {
    dataset = dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.dict);
  } catch (error) {
    throw new DicomParseError(`Naturalizing a DICOM dataset failed: ${error instanceof Error ? error.message : String(error)}`, undefined, { cause: error });
  }
  const sopInstanceUID = firstString(dataset.SOPInstanceUID);
  if (!sopInstanceUID || !/^[0-9.]{1,64}$/.test(sopInstanceUID)) throw new DicomParseError('Parsing a DICOM file failed: SOPInstanceUID is missing or not a UID');
  // SOPClassUID is Type 1 (PS3.3 C.12.1): when the dataset has it, it must be a UID; only a dataset
  // without it falls back to the file meta's MediaStorageSOPClassUID (PS3.10 7.1, the same value).
  // A blank or garbage one is refused, not papered over by the meta.
  const sopClassUID = 'SOPClassUID' in dataset ? firstString(dataset.SOPClassUID) : firstString(file.meta['00020002']?.Value);
  if (!sopClassUID) throw new DicomParseError(`Parsing SOP Instance ${sopInstanceUID} failed: SOPClassUID is missing or empty`, sopInstanceUID);
  if (!/^[0-9.]{1,64}$/.test(sopClassUID)) throw new DicomParseError(`Parsing SOP Instance ${sopInstanceUID} failed: SOPClassUID "${sopClassUID.slice(0, 64)}" is not a UID`, sopInstanceUID);

  const { PixelData: pixelData, ...header } = dataset;
  if (pixelData === undefined) {
    // An image (it has the Image Pixel Module) without its pixels is broken, not a non-image object.
    if (dataset.Rows !== undefined || dataset.Columns !== undefined || dataset.BitsAllocated !== undefined) {
      throw new DicomParseError(`Parsing SOP Instance ${sopInstanceUID} failed: it has Rows/Columns/BitsAllocated but no PixelData`, sopInstanceUID);
    }
    return new DicomInstance(header, transferSyntaxUID, sopInstanceUID, sopClassUID, undefined, { kind: 'none' });
  }

  const info = getTransferSyntaxInfo(transferSyntaxUID);
  if (!info) {
    throw new UnsupportedTransferSyntaxError(`Parsing SOP Instance ${sopInstanceUID} failed: transfer syntax ${transferSyntaxUID} has no decoder here`, transferSyntaxUID);
  }
  const pixel = readPixelDescription(dataset, sopInstanceUID, limits);
  const parts = toBytes(pixelData);
  if (!parts || parts.length === 0) throw new DicomParseError(`Parsing SOP Instance ${sopInstanceUID} failed: PixelData is not binary`, sopInstanceUID);
  const vr = file.dict[pixelDataTag]?.vr ?? 'OW';
  const store: FrameStore = isEncapsulated(info.encoding)
    ? {
        kind: 'encapsulated',
        encoding: info.encoding as Exclude<typeof info.encoding, 'native' | 'native-big-endian'>,
        frames: splitEncapsulatedFrames(parts, pixel.numberOfFrames, sopInstanceUID),
      }
    : nativeStore(parts, pixel, vr, info.encoding === 'native-big-endian', sopInstanceUID);
  return new DicomInstance(header, transferSyntaxUID, sopInstanceUID, sopClassUID, pixel, store);
}
