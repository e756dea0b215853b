import { BadGatewayException, GatewayTimeoutException, NotFoundException } from '@nestjs/common';
import { DicomwebError, DicomwebHttpError, DicomwebNetworkError, DicomwebTimeoutError } from '@covseg/dicom';

/**
 * What a PACS failure means to our API's caller, one class per meaning. They extend Nest's HTTP
 * exceptions so the one ErrorFilter turns them into their status; `name` becomes the body's `error`.
 * Only DICOMweb failures become these: any other error is ours and stays a 500 (never blamed on the PACS).
 */

/** The PACS answered 404 for what was asked (a study or series it does not hold). */
export class PacsResourceNotFoundError extends NotFoundException {
  override name = 'PacsResourceNotFoundError';
}

/** The PACS did not answer within the endpoint's timeout. */
export class PacsTimeoutError extends GatewayTimeoutException {
  override name = 'PacsTimeoutError';
}

/** The PACS could not be reached (connection refused, DNS, reset before an answer). */
export class PacsUnreachableError extends BadGatewayException {
  override name = 'PacsUnreachableError';
}

/** The PACS answered, but with a failure or something we do not accept (5xx, redirect, oversized or cut-short body, not DICOM JSON). */
export class PacsAnswerError extends BadGatewayException {
  override name = 'PacsAnswerError';
}

/**
 * The HTTP error for a failed PACS call named `what` (e.g. `QIDO-RS series of study 1.2.3`): 404 stays
 * 404, a timeout is 504, unreachable and bad answers are 502. Returns anything that is not a DICOMweb
 * failure unchanged, so our own bugs surface as 500.
 */
export function pacsFailure(error: unknown, what: string): unknown {
  if (!(error instanceof DicomwebError)) return error;
  const message = `${what} failed: ${error.message}`;
  if (error instanceof DicomwebHttpError && error.status === 404) return new PacsResourceNotFoundError(`${what} failed: the PACS has no such resource (404)`, { cause: error });
  if (error instanceof DicomwebTimeoutError) return new PacsTimeoutError(message, { cause: error });
  if (error instanceof DicomwebNetworkError) return new PacsUnreachableError(message, { cause: error });
  return new PacsAnswerError(message, { cause: error });
}

/** Runs one PACS call for an API request, translating its failure with {@link pacsFailure}. */
export async function callPacs<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw pacsFailure(error, what);
  }
}

