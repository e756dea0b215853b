import { CtVolume, DicomInstance, buildCtVolume, parseDicom } from '@covseg/dicom';

/**
 * Parses every retrieved Part 10 file and builds the CT volume (HU, slices sorted along the normal,
 * LPS mm geometry). A malformed instance fails the whole series: a volume with a missing slice would
 * give wrong volumes and a SEG that does not reference every source image.
 * @param files Part 10 bytes as WADO-RS returned them, in any order; views into the response buffer,
 *   not modified.
 * @throws DicomParseError, UnsupportedTransferSyntaxError, PixelDecodeError, SeriesRejectedError.
 */
export async function decodeSeries(files: Uint8Array[], _seriesInstanceUID: string): Promise<CtVolume> {
  const instances: DicomInstance[] = files.map((bytes) => parseDicom(bytes));
  return buildCtVolume(instances);
}
