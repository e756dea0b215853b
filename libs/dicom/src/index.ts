export { DicomError, DicomParseError, PixelDecodeError, SeriesRejectedError, type SeriesRejectionReason, UnsupportedTransferSyntaxError } from './errors';
export { DicomInstance, type DicomDataset, initCodecs, parseDicom, type ParseLimits, type ParseOptions, type PixelDescription, type StoredPixels, TransferSyntaxUID } from './parsing';
export { buildCtVolume, type BuildCtVolumeOptions, type CtVolume, type CtVolumeGeometry, type CtVolumeSlice, type Vec3 } from './volume';
export { DicomwebError, DicomwebHttpError, DicomwebNetworkError, DicomwebResponseError, DicomwebStoreError, DicomwebTimeoutError } from './dicomweb/dicomweb-errors';
export { DicomwebClient, type DicomwebClientOptions, type QidoQuery, type RetrieveOptions, type StoreResult } from './dicomweb/dicomweb-client';
export { type DicomwebAuth } from './dicomweb/dicomweb-transport';
export { type DicomJsonAttribute, type DicomJsonDataset, getJsonNumber, getJsonSequence, getJsonString, getJsonValues, requireJsonString, tagOfKeyword } from './dicomweb/dicom-json';
