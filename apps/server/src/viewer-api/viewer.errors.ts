import { BadGatewayException, BadRequestException, HttpException, HttpStatus, PayloadTooLargeException, UnprocessableEntityException, UnsupportedMediaTypeException } from '@nestjs/common';

/**
 * Errors of the viewer module, one class per failure. They extend Nest's HTTP exceptions so the one
 * ErrorFilter turns them into their status with the message; `name` becomes the body's `error`.
 */

/** The DICOMweb proxy refused a path: traversal, encoded separators, absolute URLs, odd characters. */
export class ProxyPathRejectedError extends BadRequestException {
  override name = 'ProxyPathRejectedError';
}

/** The DICOMweb proxy only reads (GET/HEAD). */
export class ProxyMethodNotAllowedError extends HttpException {
  override name = 'ProxyMethodNotAllowedError';
  constructor(method: string) {
    super(`The DICOMweb proxy only reads: ${method} is not allowed (use GET or HEAD)`, HttpStatus.METHOD_NOT_ALLOWED);
  }
}

/**
 * The browser went away (closed the page, cancelled a prefetch) before the PACS answered. Not a server
 * fault: 499 (nginx's "client closed request"), so the filter does not log it as an error.
 */
export class ProxyClientGoneError extends HttpException {
  override name = 'ProxyClientGoneError';
  constructor(what: string) {
    super(`${what}: the client closed the request`, 499);
  }
}

/** An uploaded slice is missing, empty or of a type we do not read. */
export class UploadRejectedError extends UnsupportedMediaTypeException {
  override name = 'UploadRejectedError';
}

/** An uploaded slice is over the size or pixel limits. */
export class UploadTooLargeError extends PayloadTooLargeException {
  override name = 'UploadTooLargeError';
}

/** An uploaded slice has the right type but cannot be decoded or segmented (corrupt, multi-frame, not CT-like). */
export class UploadUnreadableError extends UnprocessableEntityException {
  override name = 'UploadUnreadableError';
}

/** A SEG in the PACS that references the series cannot be read; the overlay request names it. */
export class OverlayReadError extends BadGatewayException {
  override name = 'OverlayReadError';
}
