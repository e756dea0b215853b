import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';

/**
 * How this server process recognises its own PACS requests when they come back to it: every request
 * the gateway sends carries `Via: 1.1 covseg-<random id>` (RFC 9110 §7.6.3, whose stated use is loop
 * detection), and a request arriving with that id is refused (RequestLoopMiddleware). Without it a PACS
 * endpoint whose base URL is our own DICOMweb proxy made one health call into ~1,700 nested requests.
 * The id is random per process and says nothing about the deployment.
 */
@Injectable()
export class OwnRequestMarker {
  readonly pseudonym = `covseg-${randomBytes(6).toString('hex')}`;
  /** The Via header value the gateway sends. */
  readonly via = `1.1 ${this.pseudonym}`;

  /** Whether a request's Via header (one or several, comma-separated hops) names this process. */
  isOwn(viaHeader: string | string[] | undefined): boolean {
    if (viaHeader === undefined) return false;
    const hops = (Array.isArray(viaHeader) ? viaHeader.join(',') : viaHeader).split(',');
    return hops.some((hop) => hop.trim().split(/\s+/)[1] === this.pseudonym);
  }
}
