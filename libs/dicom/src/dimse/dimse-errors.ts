import { DicomError } from '../errors';

/**
 * Errors of the DIMSE (DICOM upper layer) gateway. Messages name the operation and the peer
 * (AE title, host:port) and carry UIDs at most, never patient data. `transient` says whether a retry
 * may help (refused connection, timeout, congestion), as with the DICOMweb errors.
 */
export class DimseError extends DicomError {
  override name = 'DimseError';
  constructor(
    message: string,
    readonly transient: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The TCP connection failed, dropped or timed out before the operation finished. */
export class DimseNetworkError extends DimseError {
  override name = 'DimseNetworkError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, true, options);
  }
}

/** The peer rejected the association (PS3.8 9.3.4): unknown AE title, no accepted presentation context, congestion. */
export class DimseAssociationRejectedError extends DimseError {
  override name = 'DimseAssociationRejectedError';
  constructor(
    message: string,
    /** PS3.8 Table 9-21: 1 permanent, 2 transient. */
    readonly result: number,
    readonly reason: number,
  ) {
    super(message, result === 2);
  }
}

/** The peer answered a C-STORE or C-ECHO with a failure status (PS3.4 Annex B.2.3, PS3.7 C.4). */
export class DimseStatusError extends DimseError {
  override name = 'DimseStatusError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    // A7xx: out of resources, worth retrying later. Everything else is a refusal of this object.
    super(message, (status & 0xff00) === 0xa700);
  }
}
