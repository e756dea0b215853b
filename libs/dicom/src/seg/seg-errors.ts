import { DicomError } from '../errors';

/** The input to `writeBinarySeg` cannot make a valid SEG (sizes, values, geometry, missing header attributes). */
export class SegWriteError extends DicomError {
  override name = 'SegWriteError';
}

/** The bytes are a SEG we cannot turn into labelmaps (malformed, unsupported class or encoding, frames that match no source slice). */
export class SegReadError extends DicomError {
  override name = 'SegReadError';
  constructor(
    message: string,
    /** SOP Instance UID of the SEG when it could be read, for logs. */
    readonly sopInstanceUID?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
