import {
  DicomError,
  DicomParseError,
  DicomwebError,
  DicomwebHttpError,
  DicomwebStoreError,
  DimseAssociationRejectedError,
  DimseError,
  DimseStatusError,
  PixelDecodeError,
  SeriesRejectedError,
  UnsupportedTransferSyntaxError,
} from '@covseg/dicom';
import { SegmentationError } from '@covseg/segmentation';
import { JobError } from './job.errors';

/** What a failed job records: a stable code for programs and a message for people. */
export interface JobFailure {
  code: string;
  message: string;
}

/**
 * Turns whatever stopped a job into a failure a person can act on. Library messages already name the
 * operation and target (STYLE.md), so they are kept and prefixed with what it means for the job.
 */
export function describeFailure(error: unknown, context: { pacsRetries?: number } = {}): JobFailure {
  if (error instanceof JobError) return { code: error.code, message: error.message };
  if (error instanceof SeriesRejectedError) return { code: `series-rejected:${error.reason}`, message: `The series cannot be segmented (${error.reason}): ${error.message}` };
  if (error instanceof UnsupportedTransferSyntaxError) return { code: 'unsupported-transfer-syntax', message: `An instance uses a transfer syntax we cannot decode: ${error.message}` };
  if (error instanceof DicomParseError || error instanceof PixelDecodeError) return { code: 'malformed-instance', message: `An instance of the series is malformed: ${error.message}` };
  if (error instanceof DicomwebStoreError) return { code: 'stow-refused', message: `The PACS refused the SEG: ${error.message}` };
  if (error instanceof DicomwebHttpError && error.status === 404) return { code: 'not-found', message: `The PACS does not have it: ${error.message}` };
  if (error instanceof DicomwebHttpError && (error.status === 401 || error.status === 403)) {
    return { code: 'pacs-auth', message: `The PACS refused our credentials; check the endpoint's auth settings: ${error.message}` };
  }
  if (error instanceof DicomwebError && error.transient) {
    const attempts = context.pacsRetries === undefined ? 'several attempts' : `${context.pacsRetries + 1} attempts`;
    return { code: 'pacs-unavailable', message: `The PACS did not answer after ${attempts}; check that it is running and reachable: ${error.message}` };
  }
  if (error instanceof DicomwebError) return { code: 'pacs-error', message: `The PACS answered in a way we cannot use: ${error.message}` };
  if (error instanceof DimseStatusError && !error.transient) return { code: 'c-store-refused', message: `The PACS refused the result over C-STORE: ${error.message}` };
  if (error instanceof DimseAssociationRejectedError && !error.transient) {
    return { code: 'pacs-association-rejected', message: `The PACS rejected our DICOM association; check that it knows our AE title and that the endpoint's AE title is right: ${error.message}` };
  }
  if (error instanceof DimseError && error.transient) {
    const attempts = context.pacsRetries === undefined ? 'several attempts' : `${context.pacsRetries + 1} attempts`;
    return { code: 'pacs-unavailable', message: `The PACS's DICOM port did not answer after ${attempts}; check that it is running and reachable: ${error.message}` };
  }
  if (error instanceof DicomError) return { code: 'dicom-error', message: error.message };
  if (error instanceof SegmentationError) return { code: 'segmentation-failed', message: `Segmentation failed: ${error.message}` };
  return { code: 'internal', message: `Internal error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}` };
}

/** Whether trying the same step again later can succeed (PACS outage, timeout, 5xx, 429). */
export function isTransient(error: unknown): boolean {
  return (error instanceof DicomwebError || error instanceof DimseError) && error.transient;
}
