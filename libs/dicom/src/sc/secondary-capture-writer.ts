import { provenanceAttributes, requireProvenance, type AiProvenance } from '../provenance/ai-provenance';
import { encodePart10 } from '../seg/part10-encoder';
import { derivedInstanceHeader } from '../seg/derived-instance';
import { DerivationCodes } from '../seg/seg-codes';
import { SegWriteError } from '../seg/seg-errors';
import { isValidUid, newUid } from '../seg/uid';

export const SECONDARY_CAPTURE_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.7';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
const IMPLEMENTATION_CLASS_UID = '2.25.178452374593485719026382946101183466512';


/** One key image: an RGB picture with annotations burnt in, derived from one source image (or from the series). */
export interface SecondaryCaptureInput {
  /** Naturalized dataset of a source image: patient and study attributes, StudyInstanceUID. */
  header: Readonly<Record<string, unknown>>;
  rows: number;
  columns: number;
  /** rows × columns × 3 bytes, RGB interleaved (PlanarConfiguration 0), row-major; only read. */
  rgb: Uint8Array;
  /** The images it was made from (SourceImageSequence, PS3.3 C.7.6.1.1.4). */
  sources: ReadonlyArray<{ sopClassUID: string; sopInstanceUID: string }>;
  /** DerivationDescription (ST, ≤ 1024): how the picture was made. */
  derivationDescription: string;
  /** ImageComments (LT): shown by most viewers; say "NOT FOR DIAGNOSIS" here. */
  imageComments: string;
  provenance: AiProvenance;
  seriesInstanceUID: string;
  seriesNumber: number;
  seriesDescription: string;
  instanceNumber: number;
  /** PixelSpacing of the source, mm (row, column), when the picture keeps the source's pixel grid. */
  pixelSpacing?: readonly [number, number];
  sopInstanceUID?: string;
  now?: Date;
}

/**
 * Encodes a Secondary Capture Image (PS3.3 A.8.1) in RGB, 8 bits, Explicit VR Little Endian, for PACS
 * viewers that cannot show a SEG. It is marked as a derived picture with burnt-in annotation
 * (ImageType DERIVED\SECONDARY, BurnedInAnnotation YES), references its source images, and carries the
 * IHE AI Results provenance (Device UID) like our SEG and SR.
 * @throws SegWriteError on a size mismatch, an invalid UID or provenance.
 */
export function writeSecondaryCapture(input: SecondaryCaptureInput): { bytes: Uint8Array; sopInstanceUID: string } {
  const { rows, columns } = input;
  if (!Number.isInteger(rows) || !Number.isInteger(columns) || rows < 1 || columns < 1 || rows > 4096 || columns > 4096) throw new SegWriteError(`Secondary Capture size ${columns} x ${rows} is out of range`);
  if (input.rgb.length !== rows * columns * 3) throw new SegWriteError(`Secondary Capture has ${input.rgb.length} bytes, expected ${columns} x ${rows} x 3`);
  const studyInstanceUID = input.header.StudyInstanceUID;
  if (typeof studyInstanceUID !== 'string' || !isValidUid(studyInstanceUID)) throw new SegWriteError('Secondary Capture source header lacks a valid StudyInstanceUID');
  const sopInstanceUID = input.sopInstanceUID ?? newUid();
  for (const uid of [sopInstanceUID, input.seriesInstanceUID, ...input.sources.flatMap((s) => [s.sopClassUID, s.sopInstanceUID])]) {
    if (!isValidUid(uid)) throw new SegWriteError(`Secondary Capture UID is not valid: ${uid.slice(0, 70)}`);
  }
  requireProvenance(input.provenance, `Secondary Capture of study ${studyInstanceUID}`);
  const { date, time, attributes } = derivedInstanceHeader({
    sopClassUID: SECONDARY_CAPTURE_IMAGE_STORAGE,
    sopInstanceUID,
    header: input.header,
    studyInstanceUID,
    // OT: the picture is not a CT image any more (PS3.3 C.7.3.1.1.1).
    modality: 'OT',
    seriesInstanceUID: input.seriesInstanceUID,
    seriesNumber: input.seriesNumber,
    seriesDescription: input.seriesDescription,
    now: input.now ?? new Date(),
  });

  const dataset: Record<string, unknown> = {
    ...attributes,
    ...provenanceAttributes(input.provenance, `${date}${time}+0000`, 'Key image rendering'),
    // SC Equipment (PS3.3 C.8.6.1): WSD, a workstation made it.
    ConversionType: 'WSD',
    InstanceNumber: input.instanceNumber,
    PatientOrientation: '',
    ContentDate: date,
    ContentTime: time,
    ImageType: ['DERIVED', 'SECONDARY'],
    DerivationDescription: input.derivationDescription.slice(0, 1024),
    SourceImageSequence: input.sources.map((s) => ({ ReferencedSOPClassUID: s.sopClassUID, ReferencedSOPInstanceUID: s.sopInstanceUID, PurposeOfReferenceCodeSequence: [DerivationCodes.sourceImageForProcessing] })),
    ImageComments: input.imageComments,
    BurnedInAnnotation: 'YES',
    // Type 2C; the picture shows both lungs, so no single laterality applies (PS3.3 C.7.3.1).
    Laterality: '',
    // Basic Pixel Spacing Calibration Macro (PS3.3 10.7): the picture keeps the CT's pixel grid.
    ...(input.pixelSpacing
      ? { PixelSpacing: [...input.pixelSpacing], PixelSpacingCalibrationType: 'GEOMETRY', PixelSpacingCalibrationDescription: 'Pixel spacing of the source CT image' }
      : {}),
    LossyImageCompression: '00',
    SamplesPerPixel: 3,
    PhotometricInterpretation: 'RGB',
    PlanarConfiguration: 0,
    Rows: rows,
    Columns: columns,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
  };
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]),
    MediaStorageSOPClassUID: SECONDARY_CAPTURE_IMAGE_STORAGE,
    MediaStorageSOPInstanceUID: sopInstanceUID,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: 'COVSEG_1',
  };
  // Values have even length (PS3.5 7.1.1): pad an odd RGB buffer with one zero byte.
  let pixels = input.rgb;
  if (pixels.length % 2 !== 0) {
    pixels = new Uint8Array(input.rgb.length + 1);
    pixels.set(input.rgb);
  }
  return { bytes: encodePart10(meta, dataset, pixels), sopInstanceUID };
}
