/**
 * A naturalized dataset as dcmjs produces it: DICOM keywords verbatim (`dataset.SeriesInstanceUID`),
 * multi-valued attributes as arrays, sequences as arrays of datasets.
 */
export type DicomDataset = Record<string, unknown>;

/** Stored pixel values of one frame, before Modality LUT (rescale); row-major, `y * columns + x`. */
export type StoredPixels = Int16Array | Uint16Array | Uint8Array;
