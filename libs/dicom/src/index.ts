export { DicomError, DicomParseError, PixelDecodeError, SeriesRejectedError, type SeriesRejectionReason, UnsupportedTransferSyntaxError } from './errors';
export { defaultParseLimits, DicomInstance, FrameDecodePool, type FrameDecodePoolOptions, type DicomDataset, initCodecs, parseDicom, type ParseLimits, type ParseOptions, type PixelDescription, type StoredPixels, TransferSyntaxUID, getTransferSyntaxInfo, RECEIVABLE_TRANSFER_SYNTAX_UIDS, readTransferSyntaxUID } from './parsing';
export {
  PIXEL_SPACING_RANGE_MM,
  requireCtImage,
  requirePixelSpacing,
  requireRescale,
  requireSliceSpacing,
  type InstanceHeader,
  rescaleInto,
  SLICE_SPACING_RANGE_MM,
  buildCtVolume,
  CtVolumeStream,
  type CtVolumeStreamOptions,
  expandFrames,
  type BuildCtVolumeOptions, type CtVolume, type CtVolumeGeometry, type CtVolumeSlice, type Vec3 } from './volume';
export {
  DicomwebError,
  DicomwebHttpError,
  DicomwebIncompleteBodyError,
  DicomwebNetworkError,
  DicomwebRedirectError,
  DicomwebResponseError,
  DicomwebResponseTooLargeError,
  DicomwebStoreError,
  DicomwebTimeoutError,
} from './dicomweb/dicomweb-errors';
export { endsWithClosingDelimiter } from './dicomweb/multipart';
export { retry, type RetryOptions } from './dicomweb/retry';
export { DicomwebClient, type DicomwebClientOptions, type QidoQuery, type RetrieveOptions, type SeriesConsumer, type StoreResult } from './dicomweb/dicomweb-client';
export { type DicomwebAuth, DEFAULT_MAX_JSON_BYTES, DEFAULT_MAX_RESPONSE_BYTES, type RawRequest, type RawResponse } from './dicomweb/dicomweb-transport';
export { type DicomJsonAttribute, type DicomJsonDataset, getJsonNumber, getJsonSequence, getJsonString, getJsonValues, requireJsonString, tagOfKeyword } from './dicomweb/dicom-json';
export { type DicomJsonFrame, hasFunctionalGroups, jsonFramesOf } from './dicomweb/dicom-json-frames';
export { SegReadError, SegWriteError } from './seg/seg-errors';
export { type CodedConcept, DefaultSegmentColors, DerivationCodes, infectionClassOfType, SegmentCodes } from './seg/seg-codes';
export { SEG_ALGORITHM_TYPES, type SegAlgorithmType, type SegDerivedFrom, type SegReadResult, type SegReadSegment, type SegSegmentInput, type SegSourceSlice, type SegWriteInput, type SegWriteResult } from './seg/seg-types';
export { SEGMENTATION_STORAGE, writeBinarySeg } from './seg/seg-writer';
export { readSeg, sourceSliceKey } from './seg/seg-reader';
export { dicomLabToRgb, rgbToDicomLab } from './seg/cielab';
export { isValidUid, newUid } from './seg/uid';
export { type AiProvenance, deviceUidFromDigest, IHE_PROCESSING_ALGORITHM } from './provenance/ai-provenance';
export { SrCodes } from './sr/sr-codes';
export { type MeasurementGroup, type MeasurementGroupInput, type MeasurementReport, type MeasurementReportInput, type MeasurementReportResult, type PredecessorDocument } from './sr/sr-types';
export { COMPREHENSIVE_3D_SR_STORAGE, writeMeasurementReport } from './sr/measurement-report-writer';
export { readMeasurementReport, readMeasurementReportFile } from './sr/measurement-report-reader';
export { type LungFigures, type LungRegionFigures, lungFiguresOf } from './sr/lung-figures';
export { SECONDARY_CAPTURE_IMAGE_STORAGE, type SecondaryCaptureInput, writeSecondaryCapture } from './sc/secondary-capture-writer';
export { readPart10Dataset } from './parsing/read-part10-dataset';
export {
  type AssociationDecision,
  type CStoreOutcome,
  type DimseAssociationInfo,
  DimseAssociationRejectedError,
  DimseError,
  type DimseEvent,
  DimseNetworkError,
  DimseStatusError,
  type DimseTarget,
  echoScu,
  type InstanceIdentity,
  readInstanceIdentity,
  type ReceivedInstanceFile,
  StoreScp,
  type StoreScpOptions,
  StoreStatus,
  type StoreReply,
  storeScu,
  VERIFICATION_SOP_CLASS,
} from './dimse';
