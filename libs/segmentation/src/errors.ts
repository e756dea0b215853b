/**
 * Errors of @covseg/segmentation. One class per failure, all extending SegmentationError, so the
 * server's exception filter can map them to HTTP statuses without string matching (STYLE.md, ky).
 * Messages name the operation and its target; they never contain patient data.
 */
export class SegmentationError extends Error {
  override name = 'SegmentationError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The ONNX file is missing, unreadable, not a model, or onnxruntime refused it. */
export class ModelLoadError extends SegmentationError {
  override name = 'ModelLoadError';
  constructor(
    message: string,
    readonly modelPath: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The model's metadata_props do not satisfy docs/CONTRACTS.md §2 (a key is missing or invalid). */
export class ModelContractError extends SegmentationError {
  override name = 'ModelContractError';
  constructor(
    message: string,
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** onnxruntime failed while running the model, or returned an output of the wrong shape. */
export class InferenceError extends SegmentationError {
  override name = 'InferenceError';
}

/** A caller passed arrays whose length disagrees with the stated dimensions, or bad geometry. */
export class InvalidInputError extends SegmentationError {
  override name = 'InvalidInputError';
}

/** A PNG/JPEG could not be decoded (corrupt, unsupported format). */
export class ImageDecodeError extends SegmentationError {
  override name = 'ImageDecodeError';
}

/** An image exceeds the configured size limits (checked from the header, before decoding). */
export class ImageTooLargeError extends SegmentationError {
  override name = 'ImageTooLargeError';
  constructor(
    message: string,
    readonly width: number,
    readonly height: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `npm run evaluate` input is unusable: a missing folder, an image without its mask, mismatched sizes. */
export class EvaluationInputError extends SegmentationError {
  override name = 'EvaluationInputError';
}
