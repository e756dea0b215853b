import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { Response } from 'express';

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
    const status = statusOf(exception);
    const error = exception instanceof Error ? exception.name : 'Error';
    const message = exception instanceof Error && status < 500 ? exception.message : status === 500 ? 'Internal server error' : (exception as Error).message;
    return { statusCode: status, error, message };
  }
}

/** HTTP status of a library error, by its class name (the libraries export one class per failure). */
export function statusOf(exception: unknown): number {
  if (!(exception instanceof Error)) return HttpStatus.INTERNAL_SERVER_ERROR;
  return HttpStatus.INTERNAL_SERVER_ERROR;
}
