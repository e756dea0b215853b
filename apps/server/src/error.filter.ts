import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { Response } from 'express';
import {
  DicomError,
  DicomParseError,
  DicomwebError,
  DicomwebHttpError,
  DicomwebTimeoutError,
  DimseError,
  PixelDecodeError,
  SeriesRejectedError,
  UnsupportedTransferSyntaxError,
} from '@covseg/dicom';
import { ImageDecodeError, ImageTooLargeError, InvalidInputError, SegmentationError } from '@covseg/segmentation';
import { JobError } from './jobs/pipeline/job.errors';
import { DatabaseUnavailableError, DatabaseUniqueViolationError } from './core/database/database.errors';

/** The body of every error response. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

/**
 * The one place where errors become HTTP statuses (STYLE.md). Library errors map by class:
 * see {@link statusOf}. Anything unknown is a 500 and is logged with its stack.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const body = this.toBody(exception);
    if (body.statusCode >= 500) this.logger.error(`${body.error}: ${String(body.message)}`, exception instanceof Error ? exception.stack : undefined);
    response.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof HttpException) {
      const payload = exception.getResponse();
      const message = typeof payload === 'object' && payload && 'message' in payload ? (payload as { message: string | string[] }).message : exception.message;
      return { statusCode: exception.getStatus(), error: exception.name, message };
    }
    const clientError = clientErrorOf(exception);
    if (clientError) return clientError;
    // Not our bug and not the PACS: the database is down or restarting. Say so, without its address.
    if (exception instanceof DatabaseUnavailableError) {
      return { statusCode: HttpStatus.SERVICE_UNAVAILABLE, error: exception.name, message: 'The database is unavailable; try again shortly' };
    }
    const status = statusOf(exception);
    const error = exception instanceof Error ? exception.name : 'Error';
    // 5xx of ours say nothing of internals; 502/504 messages name the PACS operation and URL, which helps.
    const message = status === HttpStatus.INTERNAL_SERVER_ERROR ? 'Internal server error' : (exception as Error).message;
    return { statusCode: status, error, message };
  }
}

/**
 * Errors of the HTTP layer below Nest (body-parser, express, multer) that describe a client mistake:
 * they carry a 4xx `status` (or `statusCode`) and `expose: true` (the http-errors convention). They keep
 * their status and message, so an oversize body is 413 and a malformed one 400, never a 500.
 */
function clientErrorOf(exception: unknown): ErrorBody | undefined {
  if (!(exception instanceof Error)) return undefined;
  const { status, statusCode, expose, type } = exception as Error & { status?: unknown; statusCode?: unknown; expose?: unknown; type?: unknown };
  const code = typeof status === 'number' ? status : statusCode;
  if (typeof code !== 'number' || code < 400 || code > 499 || expose !== true) return undefined;
  const messages: Record<string, string> = {
    'entity.too.large': 'The request body is larger than the server accepts (MAX_JSON_BODY_BYTES)',
    'entity.parse.failed': `The request body is not valid JSON: ${exception.message}`,
    'entity.verify.failed': exception.message,
  };
  return { statusCode: code, error: exception.name, message: (typeof type === 'string' && messages[type]) || exception.message };
}

/**
 * HTTP status of a library error, by class (the libraries export one class per failure):
 * bad bytes or a series we refuse → 422, bad image input → 400 (413 when too large), the PACS said 404
 * → 404, the PACS failed or answered nonsense → 502, the PACS timed out → 504. Model and inference
 * failures are ours → 500.
 */
export function statusOf(exception: unknown): number {
  if (exception instanceof DicomwebTimeoutError) return HttpStatus.GATEWAY_TIMEOUT;
  if (exception instanceof DicomwebHttpError && exception.status === 404) return HttpStatus.NOT_FOUND;
  if (exception instanceof DicomwebError || exception instanceof DimseError) return HttpStatus.BAD_GATEWAY;
  if (
    exception instanceof SeriesRejectedError ||
    exception instanceof DicomParseError ||
    exception instanceof UnsupportedTransferSyntaxError ||
    exception instanceof PixelDecodeError
  ) {
    return HttpStatus.UNPROCESSABLE_ENTITY;
  }
  if (exception instanceof DicomError) return HttpStatus.UNPROCESSABLE_ENTITY;
  if (exception instanceof ImageTooLargeError) return HttpStatus.PAYLOAD_TOO_LARGE;
  if (exception instanceof ImageDecodeError || exception instanceof InvalidInputError) return HttpStatus.BAD_REQUEST;
  if (exception instanceof SegmentationError) return HttpStatus.INTERNAL_SERVER_ERROR;
  if (exception instanceof JobError) return HttpStatus.UNPROCESSABLE_ENTITY;
  if (exception instanceof DatabaseUniqueViolationError) return HttpStatus.CONFLICT;
  return HttpStatus.INTERNAL_SERVER_ERROR;
}
