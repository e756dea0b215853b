import { NotFoundException, UnprocessableEntityException } from '@nestjs/common';

/**
 * Errors of the review module, one class per failure; Nest HTTP exceptions, so the one ErrorFilter
 * turns them into their status. Messages carry UIDs, never patient data.
 */

/** The corrected masks do not fit the SEG or the series (unknown segment or slice, runs of the wrong length). */
export class CorrectionRejectedError extends UnprocessableEntityException {
  override name = 'CorrectionRejectedError';
}

/** The SEG to correct or review is not on the PACS, or does not segment the given series. */
export class ResultNotFoundError extends NotFoundException {
  override name = 'ResultNotFoundError';
}
