import { Injectable } from '@nestjs/common';
import { type DicomJsonDataset, getJsonString } from '@covseg/dicom';
import { PacsEndpointRecord } from '../repositories/pacs-endpoint.repository';
import { PacsGateway } from '../repositories/pacs.gateway';

export interface ProbeResult {
  ok: boolean;
  status?: number;
  latencyMs: number;
  error?: string;
  /** The check was not run: there was nothing to probe (ok is false, error says why). Not a failure of the PACS. */
  skipped?: true;
}

/**
 * Reachability probes of QIDO-RS, WADO-RS and STOW-RS (PS3.18 10.6, 10.4, 10.5) through the gateway's
 * client (one attempt each, capped answers, no redirects). Never throw for a failing PACS: they report it.
 */
@Injectable()
export class PacsProbeService {
  constructor(private readonly gateway: PacsGateway) {}

  /**
   * QIDO-RS `GET /studies?limit=1`; also returns the first study UID, to probe WADO with. `signal` (the
   * health monitor's shutdown) ends it early.
   */
  async probeQido(endpoint: PacsEndpointRecord, timeoutMs?: number, signal?: AbortSignal): Promise<ProbeResult & { studyInstanceUID?: string }> {
    const result = await this.get(endpoint, '/studies', 'limit=1', timeoutMs, signal);
    if (!result.ok || result.body === undefined) return strip(result);
    try {
      const studies = result.body.trim() ? (JSON.parse(result.body) as DicomJsonDataset[]) : [];
      const studyInstanceUID = Array.isArray(studies) && studies[0] ? getJsonString(studies[0], 'StudyInstanceUID') : undefined;
      return { ...strip(result), studyInstanceUID };
    } catch (error) {
      return { ok: false, status: result.status, latencyMs: result.latencyMs, error: `QIDO-RS answered with invalid JSON (${(error as Error).message})` };
    }
  }

  /** WADO-RS metadata of one study the PACS holds. */
  async probeWado(endpoint: PacsEndpointRecord, studyInstanceUID: string | undefined): Promise<ProbeResult> {
    if (!studyInstanceUID) return { ok: false, skipped: true, latencyMs: 0, error: 'WADO-RS not probed: the PACS returned no study to ask for' };
    if (!/^[0-9.]{1,64}$/.test(studyInstanceUID)) return { ok: false, latencyMs: 0, error: 'WADO-RS not probed: the PACS returned a study UID that is not a DICOM UID' };
    return strip(await this.get(endpoint, `/studies/${studyInstanceUID}/metadata`, undefined));
  }

  /** One GET through the gateway (capped, no redirects, no retry); the body read as text for a 2xx. */
  private async get(endpoint: PacsEndpointRecord, path: string, query: string | undefined, timeoutMs?: number, signal?: AbortSignal): Promise<ProbeResult & { body?: string }> {
    const started = performance.now();
    const limitMs = Math.min(timeoutMs ?? endpoint.timeoutMs, endpoint.timeoutMs);
    // The timeout of open() covers the headers; this one also ends a PACS that stalls mid-body.
    const deadline = AbortSignal.timeout(limitMs);
    const whole = signal ? AbortSignal.any([deadline, signal]) : deadline;
    try {
      const client = await this.gateway.client(endpoint, 'probe', { timeoutMs });
      const response = await client.open({ method: 'GET', path, query, headers: { accept: 'application/dicom+json' }, signal: whole });
      if (response.status < 200 || response.status >= 300) {
        await response.body?.cancel();
        return { ok: false, status: response.status, latencyMs: Math.round(performance.now() - started), error: `GET ${response.url} answered ${response.status}` };
      }
      const body = await new Response(response.body).text();
      return { ok: true, status: response.status, latencyMs: Math.round(performance.now() - started), body };
    } catch (error) {
      if (whole.aborted) return { ok: false, latencyMs: Math.round(performance.now() - started), error: `GET ${path}: no complete answer within ${limitMs} ms` };
      return failed(error, started);
    }
  }

  /**
   * POSTs an empty multipart/related body. A PACS with STOW answers 200/202/400/409/415 (it read and
   * refused nothing); 404/405 mean no STOW service there, and 5xx a broken one. Sent once, never retried.
   */
  async probeStow(endpoint: PacsEndpointRecord): Promise<ProbeResult> {
    const boundary = 'covseg-probe';
    const started = performance.now();
    try {
      const response = await this.gateway.open(endpoint, {
        method: 'POST',
        path: '/studies',
        headers: { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`, accept: 'application/dicom+json' },
        body: `--${boundary}--\r\n`,
      });
      await response.body?.cancel();
      const latencyMs = Math.round(performance.now() - started);
      if (response.status < 500 && response.status !== 404 && response.status !== 405) return { ok: true, status: response.status, latencyMs };
      return { ok: false, status: response.status, latencyMs, error: `STOW-RS POST ${response.url} answered ${response.status}` };
    } catch (error) {
      return failed(error, started);
    }
  }
}

function strip(result: ProbeResult & { body?: string }): ProbeResult {
  const { body: _body, ...rest } = result;
  return rest;
}

function failed(error: unknown, started: number): ProbeResult {
  const status = (error as { status?: unknown }).status;
  return { ok: false, ...(typeof status === 'number' ? { status } : {}), latencyMs: Math.round(performance.now() - started), error: error instanceof Error ? error.message : String(error) };
}
