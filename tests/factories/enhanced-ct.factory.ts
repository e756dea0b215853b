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

/**
 * The CT functional groups the Enhanced CT IOD requires (PS3.3 A.38.1.4, C.8.15.3), shared by every
 * frame, filled from the classic header where it has the value (LIDC does), else with a neutral one.
 */
function enhancedCtAcquisitionGroups(head: Dataset): Dataset {
  const value = (keyword: string, fallback: number) => (Number.isFinite(Number(first(head[keyword]))) && head[keyword] !== '' ? Number(first(head[keyword])) : fallback);
  return {
    CTAcquisitionTypeSequence: [{ AcquisitionType: 'SPIRAL', ConstantVolumeFlag: 'NO', FluoroscopyFlag: 'NO' }],
    CTAcquisitionDetailsSequence: [
      { DataCollectionDiameter: value('DataCollectionDiameter', 500), GantryDetectorTilt: value('GantryDetectorTilt', 0), TableHeight: value('TableHeight', 150), RotationDirection: String(head.RotationDirection || 'CW'), RevolutionTime: 1, SingleCollimationWidth: 1.25, TotalCollimationWidth: 20 },
    ],
    CTTableDynamicsSequence: [{ TableSpeed: 20, TableFeedPerRotation: 20, SpiralPitchFactor: 1 }],
    CTGeometrySequence: [{ DistanceSourceToDetector: value('DistanceSourceToDetector', 950), DistanceSourceToDataCollectionCenter: value('DistanceSourceToPatient', 540) }],
    CTReconstructionSequence: [
      {
        ReconstructionAlgorithm: 'FILTER_BACK_PROJ',
        ConvolutionKernel: String(first(head.ConvolutionKernel) || 'STANDARD'),
        ConvolutionKernelGroup: 'SOFT_TISSUE',
        ReconstructionDiameter: value('ReconstructionDiameter', 360),
        ReconstructionAngle: 360,
        ReconstructionPixelSpacing: numbers(head.PixelSpacing),
        ImageFilter: 'NONE',
      },
    ],
    CTExposureSequence: [{ ExposureTimeInms: value('ExposureTime', 500), XRayTubeCurrentInmA: value('XRayTubeCurrent', 200), ExposureInmAs: value('Exposure', 100), ExposureModulationType: 'NONE' }],
    CTXRayDetailsSequence: [{ KVP: value('KVP', 120), FocalSpots: value('FocalSpots', 1.2), FilterType: String(head.FilterType || 'BODY FILTER'), FilterMaterial: 'ALUMINUM' }],
    // SCT 51185008 Thoracic structure; both sides.
    FrameAnatomySequence: [{ FrameLaterality: 'B', AnatomicRegionSequence: [{ CodeValue: '51185008', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Thoracic structure' }] }],
    IrradiationEventIdentificationSequence: [{ IrradiationEventUID: DicomMetaDictionary.uid() }],
  };
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
  const contentTime = String(head.ContentTime || head.StudyTime || '120000');
  const thickness = Number(first(head.SliceThickness));
  // PS3.3 C.8.16.1: value 1 ORIGINAL/DERIVED, 2 PRIMARY (the only value), 3 flavor, 4 derived pixel contrast.
  const frameType = [legacy ? 'DERIVED' : 'ORIGINAL', 'PRIMARY', 'VOLUME', 'NONE'];

  const acquired = `${contentDate}${contentTime}`;
  const perFrame = sorted.map((instance, i) => ({
    FrameContentSequence: [
      {
        StackID: '1',
        InStackPositionNumber: i + 1,
        DimensionIndexValues: [i + 1],
        FrameAcquisitionNumber: 1,
        ...(legacy ? {} : { FrameAcquisitionDateTime: acquired, FrameReferenceDateTime: acquired, FrameAcquisitionDuration: 500 }),
      },
    ],
    ...(legacy ? {} : { CTPositionSequence: [{ TablePosition: along(instance.dataset), DataCollectionCenterPatient: numbers(instance.dataset.ImagePositionPatient), ReconstructionTargetCenterPatient: numbers(instance.dataset.ImagePositionPatient) }] }),
    PlanePositionSequence: [{ ImagePositionPatient: numbers(instance.dataset.ImagePositionPatient) }],
    // Rescale per frame, as scanners write it when it may vary (PS3.3 C.8.15.3.10).
    PixelValueTransformationSequence: [{ RescaleIntercept: Number(first(instance.dataset.RescaleIntercept)), RescaleSlope: Number(first(instance.dataset.RescaleSlope)), RescaleType: 'HU' }],
    CTImageFrameTypeSequence: [{ FrameType: frameType, PixelPresentation: 'MONOCHROME', VolumetricProperties: 'VOLUME', VolumeBasedCalculationTechnique: 'NONE' }],
    // Legacy Converted (PS3.3 C.7.6.16.2.25): type 2, what did not fit a functional group; nothing here.
    ...(legacy ? { UnassignedPerFrameConvertedAttributesSequence: [{ SliceLocation: Number(first(instance.dataset.SliceLocation ?? along(instance.dataset))) }] } : {}),
  }));
  const shared: Dataset = {
    PixelMeasuresSequence: [{ PixelSpacing: numbers(head.PixelSpacing), ...(thickness > 0 ? { SliceThickness: thickness } : {}) }],
    PlaneOrientationSequence: [{ ImageOrientationPatient: iop }],
    FrameVOILUTSequence: [{ WindowCenter: -600, WindowWidth: 1500 }],
    ...(legacy ? { UnassignedSharedConvertedAttributesSequence: [{ KVP: head.KVP, ConvolutionKernel: head.ConvolutionKernel }] } : {}),
    ...(legacy ? {} : enhancedCtAcquisitionGroups(head)),
  };

  const copied = ['SpecificCharacterSet', 'PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'PatientAge', 'StudyInstanceUID', 'StudyDate', 'StudyTime', 'ReferringPhysicianName', 'StudyID', 'AccessionNumber', 'StudyDescription', 'FrameOfReferenceUID', 'PositionReferenceIndicator', 'Manufacturer', 'ManufacturerModelName', 'PatientPosition', 'BodyPartExamined', 'PatientIdentityRemoved', 'DeidentificationMethod'];
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
    ImageType: frameType,
    PixelPresentation: 'MONOCHROME',
    VolumetricProperties: 'VOLUME',
    VolumeBasedCalculationTechnique: 'NONE',
    ...(legacy
      ? {}
      : {
          ContentQualification: 'RESEARCH',
          AcquisitionNumber: 1,
          AcquisitionDuration: 0.5 * sorted.length,
          DeviceSerialNumber: String(head.DeviceSerialNumber || 'TEST-CONVERSION'),
          SoftwareVersions: head.SoftwareVersions || 'covseg test factory',
        }),
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
