import { HttpException, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { OwnRequestMarker } from '../services/own-request-marker';

/** 508 Loop Detected (RFC 5842 §7.2): the request is one this process sent to a PACS. */
export class RequestLoopError extends HttpException {
  override name = 'RequestLoopError';
  constructor(method: string, path: string) {
    super({ message: `${method} ${path} came from this server's own PACS gateway: a PACS endpoint's base URL points back at this server` }, 508);
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
    next();
  }
}
