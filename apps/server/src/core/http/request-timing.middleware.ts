import type { NextFunction, Request, Response } from 'express';
import { performance } from 'node:perf_hooks';
import { NestExpressApplication } from '@nestjs/platform-express';

const RECEIVED_AT = Symbol('covseg.receivedAt');

/**
 * Stamps each request with the moment Express first saw it (performance.now(), ms), so that a route can
 * report in Server-Timing how long middleware, authentication and validation took before it ran.
 * Register it before every other middleware, or the stamp starts late.
 */
export function stampRequestArrival(app: NestExpressApplication): void {
  app.use(function stampArrival(request: Request, _response: Response, next: NextFunction) {
    (request as Request & { [RECEIVED_AT]?: number })[RECEIVED_AT] = performance.now();
    next();
  });
}

/** When Express first saw the request (performance.now(), ms), or undefined when it was not stamped. */
export function receivedAt(request: Request): number | undefined {
  return (request as Request & { [RECEIVED_AT]?: number })[RECEIVED_AT];
}
