import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';

/** Most hops a Via chain may hold: a longer one is a loop through proxies that do not mark themselves, refused. */
export const MAX_VIA_HOPS = 16;

/** The hops of a Via header (one or several, comma-separated), trimmed, empty ones dropped. */
export function viaHops(viaHeader: string | string[] | undefined): string[] {
  if (viaHeader === undefined) return [];
  return (Array.isArray(viaHeader) ? viaHeader.join(',') : viaHeader)
    .split(',')
    .map((hop) => hop.trim())
    .filter(Boolean);
}

/**
 * How this server process recognises its own PACS requests when they come back to it: every request
 * the gateway sends carries `Via: 1.1 covseg-<random id>` (RFC 9110 §7.6.3, whose stated use is loop
 * detection), and a request arriving with that id is refused (RequestLoopMiddleware). Without it a PACS
 * endpoint whose base URL is our own DICOMweb proxy made one health call into ~1,700 nested requests.
 * The id is random per process and says nothing about the deployment.
 *
 * A proxied request carries the Via chain it arrived with, plus our hop (RFC 9110 §7.6.3: a proxy
 * appends, never replaces). Without that, a loop through two processes (ours and another covseg: two
 * sites whose endpoints point at each other's proxy, or two API processes behind one load balancer)
 * was never caught: each hop saw only the previous process's mark. With the chain, the request is
 * refused by the first process it reaches a second time.
 */
@Injectable()
export class OwnRequestMarker {
  readonly pseudonym = `covseg-${randomBytes(6).toString('hex')}`;
  /** The Via header value the gateway sends. */
  readonly via = `1.1 ${this.pseudonym}`;

  /** Whether a request's Via header (one or several, comma-separated hops) names this process. */
  isOwn(viaHeader: string | string[] | undefined): boolean {
    return viaHops(viaHeader).some((hop) => hop.split(/\s+/)[1] === this.pseudonym);
  }

  /**
   * The Via value for a request this process sends on behalf of one it received: the received chain
   * (its well-formed hops only, comments dropped: it is the caller's input) and then our own hop.
   */
  viaAfter(incoming: string | string[] | undefined): string {
    const kept = viaHops(incoming)
      .map((hop) => hop.split(/\s+/).slice(0, 2))
      .filter((parts) => parts.length === 2 && parts.every((part) => /^[!-~]{1,64}$/.test(part) && !part.includes(',')))
      .map((parts) => parts.join(' '))
      .slice(-(MAX_VIA_HOPS - 1));
    return [...kept, this.via].join(', ');
  }
}
