import { CallHandler, ExecutionContext, HttpException, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { catchError, Observable, tap, throwError } from 'rxjs';
import { MetricsService } from '../services/metrics.service';

/** Counts answered requests by method and status class (2xx, 4xx, 5xx): bounded labels, no paths. */
@Injectable()
export class HttpMetricsInterceptor implements NestInterceptor {
  constructor(@Inject(MetricsService) private readonly metrics: MetricsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const method = context.switchToHttp().getRequest<Request>().method;
    const count = (status: number) => this.metrics.httpRequests.inc({ method, status: `${Math.floor(status / 100)}xx` });
    return next.handle().pipe(
      tap(() => count(context.switchToHttp().getResponse<{ statusCode: number }>().statusCode)),
      catchError((error: unknown) => {
        count(error instanceof HttpException ? error.getStatus() : 500);
        return throwError(() => error);
      }),
    );
  }
}
