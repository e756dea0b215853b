import { Injectable } from '@nestjs/common';

/** Where and how to reach one DICOMweb service root. */
export interface PacsTarget {
  baseUrl: string;
  /** Value of the Authorization header, or undefined for none. */
  authorization?: string;
  timeoutMs: number;
}

export interface ProbeResult {
  ok: boolean;
  status?: number;
  latencyMs: number;
  error?: string;
  /** The first study UID QIDO returned, to probe WADO with. */
  studyInstanceUID?: string;
}

/**
 * Lightweight reachability probes of QIDO-RS, WADO-RS and STOW-RS (PS3.18 10.6, 10.4, 10.5). They read
 * status codes only, so they talk HTTP directly rather than through the full DicomwebClient.
 */
@Injectable()
export class PacsProbeRepository {
  async probeQido(target: PacsTarget): Promise<ProbeResult> {
    const result = await this.request(target, 'GET', '/studies?limit=1', { accept: 'application/dicom+json' });
    if (!result.ok || !result.response) return result;
    let text: string;
    try {
      // The timeout signal still runs while the body streams: a slow body is a failed probe, not a 500.
      text = await result.response.text();
    } catch (error) {
      const cause = (error as Error).name;
      return { ok: false, status: result.status, latencyMs: result.latencyMs, error: `QIDO-RS body failed: ${cause === 'TimeoutError' ? `no answer within ${target.timeoutMs} ms` : cause}` };
    }
    let studyInstanceUID: string | undefined;
    try {
      const body = text ? (JSON.parse(text) as Array<Record<string, { Value?: string[] }>>) : [];
      studyInstanceUID = body[0]?.['0020000D']?.Value?.[0];
    } catch (error) {
      return { ok: false, status: result.status, latencyMs: result.latencyMs, error: `QIDO-RS answered with invalid JSON (${(error as Error).message})` };
    }
    return { ok: true, status: result.status, latencyMs: result.latencyMs, studyInstanceUID };
  }

  async probeWado(target: PacsTarget, studyInstanceUID: string | undefined): Promise<ProbeResult> {
    if (!studyInstanceUID) return { ok: false, latencyMs: 0, error: 'WADO-RS not probed: the PACS returned no study to ask for' };
    const result = await this.request(target, 'GET', `/studies/${encodeURIComponent(studyInstanceUID)}/metadata`, { accept: 'application/dicom+json' });
    await result.response?.arrayBuffer();
    return strip(result);
  }

  /**
   * POSTs an empty multipart/related body. A PACS with STOW answers 200/202/400/409/415 (it read and
   * refused nothing); 404/405 mean no STOW service there, and 5xx a broken one.
   */
  async probeStow(target: PacsTarget): Promise<ProbeResult> {
    const boundary = 'covseg-probe';
    const result = await this.request(target, 'POST', '/studies', { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`, accept: 'application/dicom+json' }, `--${boundary}--\r\n`, true);
    await result.response?.arrayBuffer();
    if (result.status !== undefined && result.status < 500 && result.status !== 404 && result.status !== 405) return { ok: true, status: result.status, latencyMs: result.latencyMs };
    return strip(result);
  }

  private async request(
    target: PacsTarget,
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
    anyStatus = false,
  ): Promise<ProbeResult & { response?: Response }> {
    const url = `${target.baseUrl.replace(/\/+$/, '')}${path}`;
    const started = performance.now();
    try {
      const response = await fetch(url, {
        method,
        body,
        headers: { ...headers, ...(target.authorization ? { authorization: target.authorization } : {}) },
        signal: AbortSignal.timeout(target.timeoutMs),
      });
      const latencyMs = Math.round(performance.now() - started);
      if (!response.ok && !anyStatus) {
        await response.arrayBuffer();
        return { ok: false, status: response.status, latencyMs, error: `${method} ${url} answered ${response.status}` };
      }
      return { ok: response.ok, status: response.status, latencyMs, response, error: response.ok ? undefined : `${method} ${url} answered ${response.status}` };
    } catch (error) {
      const latencyMs = Math.round(performance.now() - started);
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      return { ok: false, latencyMs, error: `${method} ${url} failed: ${cause === 'TimeoutError' ? `no answer within ${target.timeoutMs} ms` : cause}` };
    }
  }
}

function strip(result: ProbeResult & { response?: Response }): ProbeResult {
  const { response: _response, ...rest } = result;
  return rest;
}
