import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { MetricsService } from '../services/metrics.service';

/**
 * Counts answered requests by method and status class (2xx, 4xx, 5xx): bounded labels, no paths. A
 * middleware on `finish` rather than an interceptor, because guard refusals (401/403) and filter
 * answers never pass through interceptors.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(@Inject(MetricsService) private readonly metrics: MetricsService) {}

  use(request: Request, response: Response, next: NextFunction): void {
    response.once('finish', () => this.metrics.httpRequests.inc({ method: request.method, status: `${Math.floor(response.statusCode / 100)}xx` }));
    next();
  }
}
