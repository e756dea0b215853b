export { initCodecs } from './codecs';
export type { DicomDataset, StoredPixels } from './dicom-dataset';
export { DicomInstance } from './dicom-instance';
export { parseDicom, type ParseOptions } from './parse-dicom';
export { defaultParseLimits, type ParseLimits, type PixelDescription } from './pixel-description';
export { TransferSyntaxUID, getTransferSyntaxInfo, type PixelEncoding } from './transfer-syntax';
export { readTransferSyntaxUID } from './file-meta';
export { FrameDecodePool, type FrameDecodePoolOptions } from './decode-pool';
