/** Base class of every error thrown by `@covseg/dicom`; subclasses set `override name` and forward `{ cause }`. */
export class DicomError extends Error {
  override name = 'DicomError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
