import { Injectable } from '@nestjs/common';
import { PacsTimeoutError, PacsUnreachableError, ProxyClientGoneError } from '../viewer.errors';

export interface UpstreamRequest {
  method: 'GET' | 'HEAD';
  url: URL;
  /** Authorization header of the endpoint (opened secret); never logged, never echoed. */
  authorization: string | undefined;
  accept: string | undefined;
  /** Limit for the wait until the PACS sends its headers, ms. */
  timeoutMs: number;
  /** Aborts the upstream request, e.g. when the browser goes away. */
  signal: AbortSignal;
  /** Safe description for error messages (no host, no credentials), e.g. `GET studies/1.2/series`. */
  describe: string;
}

/**
 * Raw HTTP to a PACS for the DICOMweb proxy. The body is returned as a stream and must be consumed or
 * cancelled by the caller; nothing is buffered here (a series can be hundreds of MB).
 */
@Injectable()
export class PacsHttpRepository {
  async open(request: UpstreamRequest): Promise<Response> {
    const headers: Record<string, string> = {};
    if (request.accept) headers.accept = request.accept;
    if (request.authorization) headers.authorization = request.authorization;
    const controller = new AbortController();
    const onCallerAbort = () => controller.abort(request.signal.reason);
    if (request.signal.aborted) onCallerAbort();
    request.signal.addEventListener('abort', onCallerAbort, { once: true });
    let timedOut = false;
    // The timeout covers the wait for the headers only; the streamed body then runs as long as the browser reads.
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, request.timeoutMs);
    try {
      // redirect: manual — a PACS redirect must not take our credentials to another host.
      return await fetch(request.url, { method: request.method, headers, signal: controller.signal, redirect: 'manual' });
    } catch (cause) {
      request.signal.removeEventListener('abort', onCallerAbort);
      if (request.signal.aborted) throw new ProxyClientGoneError(`Proxying ${request.describe}`);
      if (timedOut) throw new PacsTimeoutError(`Proxying ${request.describe} to the PACS timed out after ${request.timeoutMs} ms`, { cause });
      throw new PacsUnreachableError(`Proxying ${request.describe} to the PACS failed: ${(cause as Error).message}`, { cause });
    } finally {
      clearTimeout(timer);
    }
  }
}
