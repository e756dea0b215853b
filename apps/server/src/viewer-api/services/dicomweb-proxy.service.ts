import { Inject, Injectable } from '@nestjs/common';
import { PacsEndpointService } from '../../pacs/services/pacs-endpoint.service';
import { PacsHttpRepository } from '../repositories/pacs-http.repository';
import { ProxyMethodNotAllowedError } from '../viewer.errors';
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
 * The browser's read-only window on a configured PACS: checks the path, injects the endpoint's
 * credentials server-side and hands back a streamed answer with only safe headers.
 */
@Injectable()
export class DicomwebProxyService {
  constructor(
    private readonly endpoints: PacsEndpointService,
    private readonly http: PacsHttpRepository,
    @Inject(MetricsService) private readonly metrics: MetricsService,
  ) {}

  async forward(input: { method: string; endpointId: string; rawPath: string; rawQuery: string; accept: string | undefined; signal: AbortSignal }): Promise<ProxiedResponse> {
    if (input.method !== 'GET' && input.method !== 'HEAD') throw new ProxyMethodNotAllowedError(input.method);
    const { path, query } = requireSafeProxyPath(input.rawPath, input.rawQuery);
    const record = this.endpoints.getRecordOrFail(input.endpointId);
    const target = this.endpoints.getTarget(record);
    const url = joinUnderBase(target.baseUrl, path, query);
    const upstream = await this.http
      .open({
        method: input.method,
        url,
        authorization: target.authorization,
        accept: input.accept,
        timeoutMs: target.timeoutMs,
        signal: input.signal,
        describe: `${input.method} ${path}`,
      })
      .catch((error: unknown) => {
        // /metrics: PACS errors by endpoint (the kind is the error class: a bounded label set).
        if (!input.signal.aborted) this.metrics.pacsError(record.id, `proxy:${error instanceof Error ? error.name : 'unknown'}`);
        throw error;
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
    // A 3xx would point the browser at the PACS itself; report it as a gateway error instead.
    const status = upstream.status >= 300 && upstream.status < 400 ? 502 : upstream.status;
    if (status !== upstream.status) await upstream.body?.cancel();
    return { status, headers, body: status === upstream.status ? upstream.body : null };
  }
}
