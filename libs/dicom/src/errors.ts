/**
 * Errors of @covseg/dicom. One class per failure, all extending DicomError, so the server's exception
 * filter maps them to HTTP statuses without string matching (STYLE.md, ky). Messages name the
 * operation and its target (a SOP Instance UID or a Series Instance UID), never patient data.
 */

/** Base class of every error thrown by `@covseg/dicom`; subclasses set `override name` and forward `{ cause }`. */
export class DicomError extends Error {
  override name = 'DicomError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The bytes are not a DICOM instance we can read safely: truncated, not Part 10, absurd lengths,
 * wrong VRs, pixel data missing or shorter than Rows x Columns x frames x BitsAllocated says, or an
 * image larger than the configured maximum.
 */
export class DicomParseError extends DicomError {
  override name = 'DicomParseError';
  constructor(
    message: string,
    /** SOP Instance UID when it could be read, for logs; never a patient attribute. */
    readonly sopInstanceUID?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The transfer syntax (or a pixel format inside it, e.g. 12-bit lossy JPEG) has no decoder here. */
export class UnsupportedTransferSyntaxError extends DicomError {
  override name = 'UnsupportedTransferSyntaxError';
  constructor(
    message: string,
    readonly transferSyntaxUID: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A codec accepted the transfer syntax but failed on this frame (corrupt bitstream, wrong size). */
export class PixelDecodeError extends DicomError {
  override name = 'PixelDecodeError';
  constructor(
    message: string,
    readonly transferSyntaxUID: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Reason codes of {@link SeriesRejectedError}; docs/CONTRACTS.md §3 lists them. */
export type SeriesRejectionReason =
  | 'not-ct'
  | 'localizer'
  | 'mixed-geometry'
  | 'too-few-slices'
  | 'gantry-tilt'
  | 'missing-pixel-data'
  | 'duplicate-position'
  | 'missing-rescale'
  | 'invalid-rescale'
  | 'implausible-geometry'
  | 'unsupported-transfer-syntax';

/** The series cannot become a CT volume; `reason` is a stable code the server and viewer can show. */
export class SeriesRejectedError extends DicomError {
  override name = 'SeriesRejectedError';
  constructor(
    message: string,
    readonly reason: SeriesRejectionReason,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
