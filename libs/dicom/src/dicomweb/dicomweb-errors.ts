import { DicomError } from '../errors';

/**
 * Base class of every DICOMweb failure. `transient` tells a job runner whether trying the same request
 * again later can succeed (outage, timeout, 5xx, 408, 429) or cannot (other 4xx, malformed response).
 * Messages name the operation and the URL (`STOW-RS failed with status 409: POST <url>`), never credentials.
 */
export class DicomwebError extends DicomError {
  override name = 'DicomwebError';
  readonly transient: boolean;
  constructor(message: string, options: { transient: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.transient = options.transient;
  }
}

/** The server answered with a non-success HTTP status. 5xx, 408 and 429 are transient. */
export class DicomwebHttpError extends DicomwebError {
  override name = 'DicomwebHttpError';
  /** The raw Retry-After header (seconds or an HTTP date), when the server sent one. */
  readonly retryAfter: string | undefined;
  constructor(
    message: string,
    readonly status: number,
    options?: { retryAfter?: string; cause?: unknown },
  ) {
    super(message, { transient: status >= 500 || status === 408 || status === 429, cause: options?.cause });
    this.retryAfter = options?.retryAfter;
  }
}

/**
 * The PACS answered with a redirect (3xx). Never followed: the request carries the endpoint's
 * credentials, and a redirect could take them (or our reads) to another host or port. Not transient.
 */
export class DicomwebRedirectError extends DicomwebHttpError {
  override name = 'DicomwebRedirectError';
}

/** The request never got an HTTP answer (connection refused or reset, DNS failure). Always transient. */
export class DicomwebNetworkError extends DicomwebError {
  override name = 'DicomwebNetworkError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { transient: true, cause: options?.cause });
  }
}

/** The request (headers and body) did not complete within the client's `timeoutMs`. Always transient. */
export class DicomwebTimeoutError extends DicomwebError {
  override name = 'DicomwebTimeoutError';
  constructor(
    message: string,
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, { transient: true, cause: options?.cause });
  }
}

/** The server answered 2xx, but the body is not what PS3.18 promises (not JSON, broken multipart). Not transient. */
export class DicomwebResponseError extends DicomwebError {
  override name = 'DicomwebResponseError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { transient: false, cause: options?.cause });
  }
}

/**
 * The answer stopped before its end: fewer bytes than its Content-Length, a connection closed mid-body,
 * or a multipart body without its closing delimiter. The transport retries it once (a connection
 * dropped mid-transfer); the same failure twice in a row is reported as not transient, since a PACS
 * that keeps cutting its answer short is broken, not busy.
 */
export class DicomwebIncompleteBodyError extends DicomwebError {
  override name = 'DicomwebIncompleteBodyError';
}

/**
 * The answer is larger than the client accepts (counted after any Content-Encoding is undone, so a
 * gzip bomb stops at the limit too). Not transient: asking again yields the same answer.
 */
export class DicomwebResponseTooLargeError extends DicomwebError {
  override name = 'DicomwebResponseTooLargeError';
  constructor(
    message: string,
    readonly limitBytes: number,
  ) {
    super(message, { transient: false });
  }
}

/** STOW-RS stored none or only some of the instances (PS3.18 10.5.3: FailedSOPSequence in the response). */
export class DicomwebStoreError extends DicomwebError {
  override name = 'DicomwebStoreError';
  constructor(
    message: string,
    readonly status: number,
    readonly failedInstances: ReadonlyArray<{ sopInstanceUID: string; failureReason: number | undefined }>,
  ) {
    super(message, { transient: false });
  }
}
