import dcmjs from 'dcmjs';
import { parseDicom } from '@covseg/dicom';

const { DicomDict, DicomMetaDictionary } = dcmjs.data;

export const ENHANCED_CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2.1';
export const LEGACY_CONVERTED_ENHANCED_CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2.2';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

type Dataset = Record<string, unknown>;
type Vec3 = [number, number, number];

export interface EnhancedCtOptions {
  /** Enhanced CT Image Storage (default) or Legacy Converted Enhanced CT Image Storage. */
  sopClass?: 'enhanced' | 'legacy-converted';
  /** Keep the classic order of the input instead of sorting frames along the normal (tests frame-order independence). */
  frameOrder?: 'sorted' | 'reversed';
  /** Changes the naturalized multi-frame dataset before it is written (break a functional group, ...). */
  modify?: (dataset: Dataset) => void;
}

export interface BuiltEnhancedCt {
  readonly bytes: Uint8Array;
  readonly sopInstanceUID: string;
  readonly sopClassUID: string;
  readonly seriesInstanceUID: string;
  /** Classic SOP Instance UID of each frame, frame 1 first. */
  readonly frameSources: string[];
}

const numbers = (value: unknown): number[] => (Array.isArray(value) ? value : [value]).map(Number);
const first = (value: unknown): unknown => (Array.isArray(value) ? value[0] : value);

/**
 * Converts a classic CT series (one CT Image Storage file per slice) into ONE Enhanced CT or Legacy
 * Converted Enhanced CT instance, as a scanner or a PACS conversion (PS3.3 A.38 / A.70, C.7.6.16)
 * would write it: frames in order along the slice normal, geometry and rescale in per-frame and shared
 * functional groups, none of them at the top level, native pixels in Explicit VR Little Endian.
 * dcmtk and dicom3tools have no classic-to-enhanced converter, hence this one (written with dcmjs).
 * A new Series and SOP Instance UID; study, patient and frame of reference are kept.
 */
export async function enhancedCtFromClassic(files: readonly Uint8Array[], options: EnhancedCtOptions = {}): Promise<BuiltEnhancedCt> {
  const legacy = options.sopClass === 'legacy-converted';
  const sopClassUID = legacy ? LEGACY_CONVERTED_ENHANCED_CT_IMAGE_STORAGE : ENHANCED_CT_IMAGE_STORAGE;
  const instances = files.map((bytes) => parseDicom(bytes));
  const iop = numbers(instances[0]!.dataset.ImageOrientationPatient);
  const normal: Vec3 = [iop[1]! * iop[5]! - iop[2]! * iop[4]!, iop[2]! * iop[3]! - iop[0]! * iop[5]!, iop[0]! * iop[4]! - iop[1]! * iop[3]!];
  const along = (ds: Dataset) => numbers(ds.ImagePositionPatient).reduce((sum, v, i) => sum + v * normal[i]!, 0);
  const sorted = [...instances].sort((a, b) => along(a.dataset) - along(b.dataset));
  if (options.frameOrder === 'reversed') sorted.reverse();

  const head = sorted[0]!.dataset;
  const { rows, columns } = sorted[0]!.pixel!;
  const frameBytes = rows * columns * 2;
  const pixelData = new Uint8Array(frameBytes * sorted.length);
  for (const [i, instance] of sorted.entries()) {
    const stored = await instance.decodeFrame(0);
    pixelData.set(new Uint8Array(stored.buffer, stored.byteOffset, frameBytes), i * frameBytes);
  }

  const seriesInstanceUID = DicomMetaDictionary.uid();
  const sopInstanceUID = DicomMetaDictionary.uid();
  const dimensionOrganizationUID = DicomMetaDictionary.uid();
  const contentDate = String(head.ContentDate ?? head.StudyDate ?? '20260101');
  const contentTime = String(head.ContentTime ?? head.StudyTime ?? '120000');
  const thickness = Number(first(head.SliceThickness));
  const frameType = ['ORIGINAL', 'PRIMARY', 'AXIAL', 'NONE'];

  const perFrame = sorted.map((instance, i) => ({
    FrameContentSequence: [{ StackID: '1', InStackPositionNumber: i + 1, DimensionIndexValues: [i + 1], FrameAcquisitionNumber: 1 }],
    PlanePositionSequence: [{ ImagePositionPatient: numbers(instance.dataset.ImagePositionPatient) }],
    // Rescale per frame, as scanners write it when it may vary (PS3.3 C.8.15.3.10).
    PixelValueTransformationSequence: [{ RescaleIntercept: Number(first(instance.dataset.RescaleIntercept)), RescaleSlope: Number(first(instance.dataset.RescaleSlope)), RescaleType: 'HU' }],
    ...(legacy ? {} : { CTImageFrameTypeSequence: [{ FrameType: frameType, PixelPresentation: 'MONOCHROME', VolumetricProperties: 'VOLUME', VolumeBasedCalculationTechnique: 'NONE' }] }),
  }));
  const shared: Dataset = {
    PixelMeasuresSequence: [{ PixelSpacing: numbers(head.PixelSpacing), ...(thickness > 0 ? { SliceThickness: thickness } : {}) }],
    PlaneOrientationSequence: [{ ImageOrientationPatient: iop }],
    FrameVOILUTSequence: [{ WindowCenter: -600, WindowWidth: 1500 }],
    ...(legacy ? {} : { CTAcquisitionDetailsSequence: [{ GantryDetectorTilt: Number(first(head.GantryDetectorTilt ?? 0)) || 0, RotationDirection: 'CW' }] }),
  };

  const copied = ['SpecificCharacterSet', 'PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'PatientAge', 'StudyInstanceUID', 'StudyDate', 'StudyTime', 'ReferringPhysicianName', 'StudyID', 'AccessionNumber', 'StudyDescription', 'FrameOfReferenceUID', 'PositionReferenceIndicator', 'Manufacturer', 'ManufacturerModelName', 'ConvolutionKernel', 'KVP', 'PatientPosition', 'BodyPartExamined', 'PatientIdentityRemoved', 'DeidentificationMethod'];
  const dataset: Dataset = {};
  for (const keyword of copied) if (head[keyword] !== undefined) dataset[keyword] = head[keyword];
  Object.assign(dataset, {
    SOPClassUID: sopClassUID,
    SOPInstanceUID: sopInstanceUID,
    SeriesInstanceUID: seriesInstanceUID,
    Modality: 'CT',
    SeriesNumber: 2,
    SeriesDescription: legacy ? 'Legacy converted enhanced CT (test conversion)' : 'Enhanced CT (test conversion)',
    InstanceNumber: 1,
    ContentDate: contentDate,
    ContentTime: contentTime,
    AcquisitionDateTime: `${contentDate}${contentTime}`,
    ImageType: legacy ? ['DERIVED', 'SECONDARY', 'AXIAL'] : frameType,
    ...(legacy ? {} : { PixelPresentation: 'MONOCHROME', VolumetricProperties: 'VOLUME', VolumeBasedCalculationTechnique: 'NONE', ContentQualification: 'RESEARCH', AcquisitionNumber: 1 }),
    BurnedInAnnotation: 'NO',
    LossyImageCompression: '00',
    PresentationLUTShape: 'IDENTITY',
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: rows,
    Columns: columns,
    BitsAllocated: 16,
    BitsStored: Number(first(head.BitsStored)),
    HighBit: Number(first(head.HighBit)),
    PixelRepresentation: Number(first(head.PixelRepresentation)),
    NumberOfFrames: sorted.length,
    AcquisitionContextSequence: [],
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensionOrganizationUID }],
    DimensionIndexSequence: [
      { DimensionOrganizationUID: dimensionOrganizationUID, DimensionIndexPointer: 0x00200032, FunctionalGroupPointer: 0x00209113, DimensionDescriptionLabel: 'ImagePositionPatient' },
    ],
    SharedFunctionalGroupsSequence: [shared],
    PerFrameFunctionalGroupsSequence: perFrame,
    ...(legacy
      ? { ConversionSourceAttributesSequence: sorted.map((i) => ({ ReferencedSOPClassUID: i.sopClassUID, ReferencedSOPInstanceUID: i.sopInstanceUID })) }
      : {}),
    PixelData: pixelData.buffer,
    _vrMap: { PixelData: 'OW' },
  });
  options.modify?.(dataset);

  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClassUID,
    MediaStorageSOPInstanceUID: sopInstanceUID,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: '2.25.140209287563447381129540283470839536245',
    ImplementationVersionName: 'covseg-factory',
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return { bytes: new Uint8Array(dict.write()), sopInstanceUID, sopClassUID, seriesInstanceUID, frameSources: sorted.map((i) => i.sopInstanceUID) };
}
