import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { DicomwebClient, type DicomwebAuth, DicomwebHttpError, DicomwebNetworkError, type RawRequest, type RawResponse } from '@covseg/dicom';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';
import { SecretCipher } from '../../core/services/secret-cipher';
import { OwnRequestMarker } from '../services/own-request-marker';
import { PacsEndpointRecord, PacsEndpointRepository } from './pacs-endpoint.repository';

/**
 * Who is asking, which sets the retry policy of reads (STOW-RS is never retried by a client, whatever the use):
 * - `job`: a background job; reads retry transient failures PACS_RETRIES times.
 * - `watcher`: background polling; like a job.
 * - `viewer`, `review`: a person is waiting; one retry, a longer back-off helps nobody.
 * - `probe`, `proxy`: exactly one request; the caller reports what happened.
 */
export type PacsUse = 'job' | 'watcher' | 'viewer' | 'review' | 'probe' | 'proxy';

/**
 * The one way from a PACS endpoint to its DICOMweb service. Here, and only here, the endpoint's secret
 * is opened (into the client's auth, which alone builds the Authorization header); here the retry policy
 * per use is set; and every client it hands out has the hardened transport of libs/dicom: answers capped
 * (decoded bytes, gzip included), redirects never followed, a body cut short retried once.
 */
@Injectable()
export class PacsGateway {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cipher: SecretCipher,
    private readonly endpoints: PacsEndpointRepository,
    private readonly marker: OwnRequestMarker,
  ) {}

  /**
   * A DICOMweb client of `endpoint` for one use. `timeoutMs` may only shorten the endpoint's own timeout
   * (a health probe). Never log its options: they hold the opened secret.
   */
  async client(endpointOrId: PacsEndpointRecord | string, use: PacsUse, options: { timeoutMs?: number } = {}): Promise<DicomwebClient> {
    const endpoint = typeof endpointOrId === 'string' ? await this.recordOrFail(endpointOrId) : endpointOrId;
    // A conflict with the endpoint's configuration (409), not a PACS failure.
    if (endpoint.baseUrl === null) throw new ConflictException(`PACS endpoint ${endpoint.id} has no DICOMweb base URL (it is reached over DIMSE only)`);
    return new DicomwebClient({
      baseUrl: endpoint.baseUrl,
      timeoutMs: Math.min(endpoint.timeoutMs, options.timeoutMs ?? endpoint.timeoutMs),
      auth: this.authOf(endpoint),
      retries: this.retriesFor(use),
      backoffMs: use === 'job' || use === 'watcher' ? this.config.pacsRetryBaseMs : undefined,
      // Via marks the request as ours, so that a base URL pointing back at this server is refused, not looped.
      // Accept-Encoding: see PACS_ACCEPT_ENCODING (fetch would otherwise ask for gzip, which Orthanc applies
      // to QIDO, metadata and single instances: 80-130 ms instead of 6-15 ms for a 0.5 MB CT instance on loopback).
      headers: { Via: this.marker.via, 'Accept-Encoding': this.config.pacsAcceptEncoding === 'gzip' ? 'gzip, deflate' : 'identity' },
    });
  }

  /**
   * One request whose answer the caller streams itself (the viewer's proxy): see DicomwebClient.open.
   * @param incomingVia the Via header of the request being proxied: the request sent carries that chain
   *   plus our hop, so a loop through several servers ends where it first comes back (OwnRequestMarker)
   */
  async open(endpoint: PacsEndpointRecord | string, request: RawRequest, incomingVia?: string | string[]): Promise<RawResponse> {
    const client = await this.client(endpoint, 'proxy');
    return client.open({ ...request, headers: { ...request.headers, Via: this.marker.viaAfter(incomingVia) } });
  }

  /**
   * Whether a failed STOW-RS (or other non-idempotent request) may be sent again: only when the failure
   * proves the PACS did not process it (no connection was ever made; 429 or 503, which say "not
   * processed", PS3.18 10.5.3). A 500, a timeout or a connection lost mid-request leave the outcome
   * unknown: never re-sent blindly (the job fails; its outbox entry is retried later, after a check).
   */
  static mayResend(error: unknown): boolean {
    if (error instanceof DicomwebHttpError) return error.status === 429 || error.status === 503;
    if (error instanceof DicomwebNetworkError) return NOT_CONNECTED.has(causeCode(error) ?? '');
    return false;
  }

  private async recordOrFail(id: string): Promise<PacsEndpointRecord> {
    const record = await this.endpoints.get(id);
    if (!record) throw new NotFoundException(`PACS endpoint ${id} does not exist`);
    return record;
  }

  private retriesFor(use: PacsUse): number {
    switch (use) {
      case 'job':
      case 'watcher':
        return this.config.pacsRetries;
      case 'viewer':
      case 'review':
        return 1;
      case 'probe':
      case 'proxy':
        return 0;
    }
  }

  private authOf(endpoint: PacsEndpointRecord): DicomwebAuth {
    if (endpoint.authType === 'none' || endpoint.sealedSecret === null) return { type: 'none' };
    const secret = this.cipher.open(endpoint.sealedSecret);
    return endpoint.authType === 'bearer' ? { type: 'bearer', token: secret } : { type: 'basic', username: endpoint.username ?? '', password: secret };
  }
}

/** Socket errors raised before any byte of the request left: nothing can have been stored. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('E')) return code;
    current = current.cause;
  }
  return undefined;
}
