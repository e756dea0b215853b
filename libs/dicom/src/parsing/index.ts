export { initCodecs } from './codecs';
export type { DicomDataset, StoredPixels } from './dicom-dataset';
export { DicomInstance } from './dicom-instance';
export { parseDicom, type ParseOptions } from './parse-dicom';
export { defaultParseLimits, type ParseLimits, type PixelDescription } from './pixel-description';
export { getTransferSyntaxInfo, type PixelEncoding, RECEIVABLE_TRANSFER_SYNTAX_UIDS, TransferSyntaxUID } from './transfer-syntax';
export { readTransferSyntaxUID } from './file-meta';
export { FrameDecodePool, type FrameDecodePoolOptions } from './decode-pool';
