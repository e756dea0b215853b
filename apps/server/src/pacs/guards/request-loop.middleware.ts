import { HttpException, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { MAX_VIA_HOPS, OwnRequestMarker, viaHops } from '../services/own-request-marker';

/** 508 Loop Detected (RFC 5842 §7.2): the request is one this process sent to a PACS. */
export class RequestLoopError extends HttpException {
  override name = 'RequestLoopError';
  constructor(method: string, path: string, why = "came from this server's own PACS gateway: a PACS endpoint's base URL points back at this server") {
    super({ message: `${method} ${path} ${why}` }, 508);
  }
}

/**
 * Refuses, before any guard or handler runs, a request carrying this process's own Via mark: a PACS
 * endpoint configured with our own URL (the DICOMweb proxy, the API) would otherwise call itself
 * until sockets or memory run out. The outer request then sees a 508 from "the PACS" and reports it.
 */
@Injectable()
export class RequestLoopMiddleware implements NestMiddleware {
  constructor(private readonly marker: OwnRequestMarker) {}

  use(request: Request, _response: Response, next: NextFunction): void {
    if (this.marker.isOwn(request.headers.via)) throw new RequestLoopError(request.method, request.path);
    if (viaHops(request.headers.via).length >= MAX_VIA_HOPS) {
      throw new RequestLoopError(request.method, request.path, `passed ${MAX_VIA_HOPS} or more proxies (Via): a loop between PACS endpoints and proxies`);
    }
    next();
  }
}
