/**
 * Failures the pipeline itself detects. Each carries the stable `code` stored with the failed job and a
 * message a person can act on (it names the UID concerned, never patient data).
 */
export class JobError extends Error {
  override name = 'JobError';
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class StudyNotFoundError extends JobError {
  override name = 'StudyNotFoundError';
  constructor(studyInstanceUID: string, baseUrl: string) {
    super(`Study ${studyInstanceUID} was not found on the PACS (QIDO-RS ${baseUrl}/studies/${studyInstanceUID}/series returned no series)`, 'study-not-found');
  }
}

export class SeriesNotFoundError extends JobError {
  override name = 'SeriesNotFoundError';
  constructor(seriesInstanceUID: string, studyInstanceUID: string) {
    super(`Series ${seriesInstanceUID} was not found in study ${studyInstanceUID} on the PACS`, 'series-not-found');
  }
}

export class NoEligibleSeriesError extends JobError {
  override name = 'NoEligibleSeriesError';
  constructor(studyInstanceUID: string, reasons: string) {
    super(`Study ${studyInstanceUID} has no axial CT series to segment: ${reasons}`, 'no-eligible-series');
  }
}

export class JobTimeoutError extends JobError {
  override name = 'JobTimeoutError';
  constructor(timeoutMs: number) {
    super(`The job ran longer than JOB_TIMEOUT_MS=${timeoutMs} ms and was stopped`, 'timeout');
  }
}

export class JobCancelledError extends JobError {
  override name = 'JobCancelledError';
  constructor(jobId: string) {
    super(`Job ${jobId} was cancelled`, 'cancelled');
  }
}

/** The job's outbox payload gave up after OUTBOX_MAX_ATTEMPTS deliveries; `reason` is the last failure. */
export class OutboxDeliveryFailedError extends JobError {
  override name = 'OutboxDeliveryFailedError';
  constructor(sopInstanceUID: string, attempts: number, reason: string | null) {
    super(`Delivering SOP Instance ${sopInstanceUID} to the PACS failed ${attempts} times and was given up: ${reason ?? 'unknown reason'}`, 'outbox-failed');
  }
}

/** The server is shutting down; the job goes back to the queue instead of failing. */
export class WorkerShutdownError extends JobError {
  override name = 'WorkerShutdownError';
  constructor() {
    super('The server is shutting down; the job will resume at the next start', 'shutdown');
  }
}

/** A job needs DICOMweb (QIDO/WADO/STOW) but its endpoint is reached over DIMSE only. */
export class NoDicomwebError extends JobError {
  override name = 'NoDicomwebError';
  constructor(pacsEndpointId: string) {
    super(`PACS endpoint ${pacsEndpointId} has no DICOMweb base URL; only series it pushes to our DICOM port can be segmented`, 'no-dicomweb');
  }
}

/** A DIMSE job whose received instances are gone (released after an earlier run, or the data folder was cleared). */
export class ReceivedSeriesMissingError extends JobError {
  override name = 'ReceivedSeriesMissingError';
  constructor(seriesInstanceUID: string) {
    super(`No received instances of series ${seriesInstanceUID} are left on this server; push the series again`, 'received-series-missing');
  }
}

/**
 * A STOW-RS whose outcome is unknown (500, timeout, connection lost mid-request): the PACS may have
 * stored it, so it was not sent again. The outbox keeps the result and its sweeper retries the
 * delivery later (the same SOP Instance UIDs: a store that did happen is replaced, not duplicated).
 */
export class DeliveryUnconfirmedError extends JobError {
  override name = 'DeliveryUnconfirmedError';
  constructor(cause: Error) {
    super(`The PACS did not confirm storing the result, which was not re-sent blindly (the outbox retries the delivery later): ${cause.message}`, 'pacs-stow-unconfirmed', { cause });
  }
}
