import { Injectable } from '@nestjs/common';
import { getJsonString } from '@covseg/dicom';
import { PacsEndpointRecord } from '../repositories/pacs-endpoint.repository';
import { PacsGateway } from '../repositories/pacs.gateway';

export interface ProbeResult {
  ok: boolean;
  status?: number;
  latencyMs: number;
  error?: string;
}

/**
 * Reachability probes of QIDO-RS, WADO-RS and STOW-RS (PS3.18 10.6, 10.4, 10.5) through the gateway's
 * client (one attempt each, capped answers, no redirects). Never throw for a failing PACS: they report it.
 */
@Injectable()
export class PacsProbeService {
  constructor(private readonly gateway: PacsGateway) {}

  /**
   * QIDO-RS `GET /studies?limit=1`; also returns the first study UID, to probe WADO with. `signal` ends it
   * whatever the PACS does (the timeout restarts with each body chunk, so a slow drip alone never ends it).
   */
  async probeQido(endpoint: PacsEndpointRecord, timeoutMs?: number, signal?: AbortSignal): Promise<ProbeResult & { studyInstanceUID?: string }> {
    const client = this.gateway.client(endpoint, 'probe', { timeoutMs });
    return timed(async () => {
      const [first] = await client.searchStudies({ limit: 1 }, signal);
      return { studyInstanceUID: first ? getJsonString(first, 'StudyInstanceUID') : undefined };
    });
  }

  /** WADO-RS metadata of one study the PACS holds. */
  async probeWado(endpoint: PacsEndpointRecord, studyInstanceUID: string | undefined): Promise<ProbeResult> {
    if (!studyInstanceUID) return { ok: false, latencyMs: 0, error: 'WADO-RS not probed: the PACS returned no study to ask for' };
    const client = this.gateway.client(endpoint, 'probe');
    return timed(async () => {
      await client.retrieveStudyMetadata(studyInstanceUID);
      return {};
    });
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

async function timed<T extends object>(run: () => Promise<T>): Promise<ProbeResult & T> {
  const started = performance.now();
  try {
    const extra = await run();
    return { ok: true, latencyMs: Math.round(performance.now() - started), ...extra };
  } catch (error) {
    return failed(error, started) as ProbeResult & T;
  }
}

function failed(error: unknown, started: number): ProbeResult {
  const status = (error as { status?: unknown }).status;
  return { ok: false, ...(typeof status === 'number' ? { status } : {}), latencyMs: Math.round(performance.now() - started), error: error instanceof Error ? error.message : String(error) };
}
