import { data } from 'dcmjs';
import { DicomParseError } from '../errors';

/**
 * The naturalized dataset of a Part 10 file (keywords verbatim, sequences as arrays), PixelData
 * included as dcmjs gives it, WITHOUT parseDicom's image checks: for our own non-CT objects (SR,
 * RGB Secondary Capture) that parseDicom refuses by design. Never use it on untrusted images.
 * @param bytes not modified or kept.
 * @throws DicomParseError when the bytes are not a readable DICOM Part 10 file.
 */
export function readPart10Dataset(bytes: Uint8Array): Record<string, unknown> {
  try {
    const copy = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
    return data.DicomMetaDictionary.naturalizeDataset(data.DicomMessage.readFile(copy as ArrayBuffer).dict) as Record<string, unknown>;
  } catch (cause) {
    throw new DicomParseError('Reading a DICOM Part 10 file failed: not a readable DICOM file', undefined, { cause });
  }
}
