import { ConflictException, Inject, Injectable } from '@nestjs/common';
import { pacsFailure } from '../../pacs/pacs.errors';
import { PacsGateway } from '../../pacs/repositories/pacs.gateway';
import { PacsEndpointService } from '../../pacs/services/pacs-endpoint.service';
import { ProxyClientGoneError, ProxyMethodNotAllowedError } from '../viewer.errors';
import { MetricsService } from '../../metrics/services/metrics.service';
import { joinUnderBase, requireSafeProxyPath } from './proxy-path';

/** Response headers the proxy passes on. Never Set-Cookie, WWW-Authenticate or Location (they belong to the PACS). */
const SAFE_HEADERS = ['content-type', 'content-length', 'etag', 'last-modified'];

export interface ProxiedResponse {
  status: number;
  headers: Record<string, string>;
  body: ReadableStream<Uint8Array> | null;
}

/**
 * The browser's read-only window on a configured PACS: checks the path, sends it through the PACS
 * gateway (credentials added server-side, no redirects, capped body) and hands back a streamed answer
 * with only safe headers. The PACS's own status passes through (its 404 stays a 404).
 */
@Injectable()
export class DicomwebProxyService {
  constructor(
    private readonly endpoints: PacsEndpointService,
    private readonly gateway: PacsGateway,
    @Inject(MetricsService) private readonly metrics: MetricsService,
  ) {}

  async forward(input: {
    method: string;
    endpointId: string;
    rawPath: string;
    rawQuery: string;
    accept: string | undefined;
    /** The request's Via chain, passed on with our hop appended (loop detection across servers). */
    via?: string | string[];
    signal: AbortSignal;
  }): Promise<ProxiedResponse> {
    if (input.method !== 'GET' && input.method !== 'HEAD') throw new ProxyMethodNotAllowedError(input.method);
    const { path, query } = requireSafeProxyPath(input.rawPath, input.rawQuery);
    const record = await this.endpoints.getRecordOrFail(input.endpointId);
    if (record.baseUrl === null) throw new ConflictException(`PACS endpoint ${record.id} has no DICOMweb base URL (it is reached over DIMSE only)`);
    // Re-checks the joined URL stays under the endpoint's base URL (same origin, path prefix).
    joinUnderBase(record.baseUrl, path, query);
    const upstream = await this.gateway
      .open(record, { method: input.method, path: `/${path}`, query, headers: input.accept ? { accept: input.accept } : {}, signal: input.signal }, input.via)
      .catch((error: unknown) => {
        if (input.signal.aborted) throw new ProxyClientGoneError(`Proxying ${input.method} ${path}`);
        // /metrics: PACS errors by endpoint (the kind is the error class: a bounded label set).
        this.metrics.pacsError(record.id, `proxy:${error instanceof Error ? error.name : 'unknown'}`);
        // 504 for a timeout, 502 for an unreachable PACS or a redirect; anything else is our bug (500).
        throw pacsFailure(error, `Proxying ${input.method} ${path}`);
      });
    if (upstream.status >= 500 || upstream.status === 429) this.metrics.pacsError(record.id, `proxy:http-${upstream.status}`);
    const headers: Record<string, string> = {};
    for (const name of SAFE_HEADERS) {
      const value = upstream.headers.get(name);
      if (value === null) continue;
      // fetch decompresses gzip/deflate, so the upstream length no longer matches what we send.
      if (name === 'content-length' && upstream.headers.get('content-encoding')) continue;
      headers[name] = value;
    }
    // Redirects never get here (the gateway refuses them: 502). The body is capped by the gateway's client.
    return { status: upstream.status, headers, body: upstream.body };
  }
}
