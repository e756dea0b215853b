import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { IncomingMessage, ServerResponse, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeriesFactory } from '../factories/series.factory';
import { waitForJob } from '../support/jobs';
import { OrthancInstance, freePort } from '../support/orthanc';
import { issueToken } from '../support/review-fixture';
import { ServerProcess, spawnServerProcess } from '../support/server';

/** A loopback proxy in front of Orthanc's DICOMweb that answers STOW-RS with 503 while `failStow` is set. */
async function startStowFailer(target: string) {
  const state = { failStow: true, stowAttempts: 0 };
  const port = await freePort();
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method === 'POST') {
      state.stowAttempts += 1;
      if (state.failStow) {
        res.writeHead(503).end('PACS down for maintenance');
        return;
      }
    }
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k, v]) => typeof v === 'string' && k !== 'host' && k !== 'content-length')) as Record<string, string>;
    const upstream = await fetch(`${target}${req.url!.replace(/^\/dicom-web/, '')}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
    const contentType = upstream.headers.get('content-type');
    res.writeHead(upstream.status, contentType ? { 'content-type': contentType } : {});
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}/dicom-web`, state, close: () => (server.closeAllConnections(), server.close()) };
}

const outboxFiles = (dataDir: string) => {
  try {
    return readdirSync(join(dataDir, 'outbox')).filter((f) => f.endsWith('.dcm'));
  } catch {
    return [];
  }
};

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the outbox keeps no payload it does not need, and retries then gives up visibly', () => {
  let orthanc: OrthancInstance;
  let failer: Awaited<ReturnType<typeof startStowFailer>>;
  let server: ServerProcess | undefined;
  let dataDir: string;
  const env = { PACS_RETRIES: '0', OUTBOX_RETRY_BASE_MS: '200', OUTBOX_SWEEP_MS: '100', OUTBOX_MAX_ATTEMPTS: '3' };

  beforeAll(async () => {
    orthanc = await OrthancInstance.start();
    failer = await startStowFailer(orthanc.dicomwebUrl);
  });
  afterAll(async () => {
    await server?.stop();
    failer?.close();
    orthanc?.destroy();
  });

  const startJob = async (target: ServerProcess) => {
    const series = SeriesFactory.ct().size(96, 96).pixelSpacingMm(3, 3).slices(10).build();
    await orthanc.upload(series.files);
    const { id } = await target.json<{ id: string }>('/api/jobs', {
      method: 'POST',
      body: JSON.stringify({ pacsEndpointId: target.pacsEndpointId, studyInstanceUID: series.studyInstanceUID, seriesInstanceUID: series.seriesInstanceUID }),
      expectStatus: 202,
    });
    return { id, series };
  };

  it('retries a failed delivery with backoff, delivers once the PACS is back, and deletes the payload (kept 0600 meanwhile)', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'covseg-outbox-'));
    try {
      server = await spawnServerProcess({ dicomwebUrl: failer.url, dataDir, env: { ...env, OUTBOX_RETRY_BASE_MS: '1500' } });
      failer.state.failStow = true;
      const { id, series } = await startJob(server);
      const failed = await waitForJob(server, id);
      expect(failed.status).toBe('failed');
      // Pending payload: private to the server's user.
      const [file] = outboxFiles(dataDir);
      expect(file).toBeDefined();
      expect(statSync(join(dataDir, 'outbox', file!)).mode & 0o777).toBe(0o600);
      expect(statSync(join(dataDir, 'outbox')).mode & 0o777).toBe(0o700);

      failer.state.failStow = false;
      const delivered = await until('the retried delivery', async () => {
        const job = await server!.json<any>(`/api/jobs/${id}`);
        return job.status === 'succeeded' ? job : undefined;
      });
      expect(delivered.result.segSopInstanceUID).toMatch(/^2\.25\./);
      expect(await orthanc.findInstances({ Modality: 'SEG', StudyInstanceUID: series.studyInstanceUID })).toEqual([delivered.result.segSopInstanceUID]);
      // OUTBOX_KEEP_DELIVERED_HOURS=0 (default): nothing of the delivered result (SEG and SR) stays on disk.
      expect(outboxFiles(dataDir)).toEqual([]);
      // The gauge is the sweeper's sample (every OUTBOX_SWEEP_MS), so it may trail the job by one sweep.
      const metrics = await until('the delivered gauge', async () => {
        const text = await (await server!.request('/metrics')).text();
        return /covseg_outbox_entries\{status="delivered"\} 1/.test(text) ? text : undefined;
      });
      expect(metrics).toMatch(/covseg_outbox_entries\{status="delivered"\} 1/);
      await server.stop();
      server = undefined;
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('gives up after OUTBOX_MAX_ATTEMPTS deliveries: the entry is failed with its reason, counted on /metrics, its payload deleted (OUTBOX_KEEP_FAILED_HOURS=0)', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'covseg-outbox-'));
    try {
      server = await spawnServerProcess({ dicomwebUrl: failer.url, dataDir, env: { ...env, OUTBOX_KEEP_FAILED_HOURS: '0' } });
      failer.state.failStow = true;
      failer.state.stowAttempts = 0;
      const { id } = await startJob(server);
      const metrics = await until('the failed outbox entry', async () => {
        const text = await (await server!.request('/metrics')).text();
        return /covseg_outbox_entries\{status="failed"\} 1/.test(text) ? text : undefined;
      });
      expect(metrics).toMatch(/covseg_outbox_entries\{status="pending"\} 0/);
      expect(failer.state.stowAttempts).toBe(3);
      const job = await waitForJob(server, id);
      expect(job.status).toBe('failed');
      expect(job.error.message).toMatch(/503/);
      expect(outboxFiles(dataDir)).toEqual([]);
      // No further attempts once failed.
      await new Promise((r) => setTimeout(r, 1000));
      expect(failer.state.stowAttempts).toBe(3);
      expect(server.output()).toMatch(/delivery 3 of 3/);
    } finally {
      await server?.stop();
      server = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('lists the outbox and re-delivers a failed entry for an admin only, audited, from its kept payload: one SEG on the PACS', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'covseg-outbox-'));
    try {
      // Default OUTBOX_KEEP_FAILED_HOURS (7 days): a failed entry keeps its payload for re-delivery.
      server = await spawnServerProcess({ dicomwebUrl: failer.url, dataDir, env });
      failer.state.failStow = true;
      const { id: jobId, series } = await startJob(server);
      const entry = await until('the failed outbox entry', async () => (await server!.json<any[]>('/api/outbox?status=failed')).find((e) => e.jobId === jobId));
      expect(entry).toMatchObject({ status: 'failed', attempts: 3, payloadAvailable: true, studyInstanceUID: series.studyInstanceUID, sourceSeriesInstanceUID: series.seriesInstanceUID });
      expect(entry.lastError).toMatch(/503/);
      // UIDs and state only: no patient data, no bytes, no file path.
      const listed = JSON.stringify(await server.json<any[]>('/api/outbox'));
      expect(listed).not.toMatch(/Factory|Phantom|filePath|outbox\//);
      // The failed result's payload (SEG and SR) is still on disk, for the re-delivery.
      expect(outboxFiles(dataDir).length).toBeGreaterThanOrEqual(1);

      const user = await issueToken(server, 'user', 'ward workstation');
      const asUser = { authorization: `Bearer ${user}` };
      expect((await server.request('/api/outbox', { headers: asUser })).status).toBe(403);
      expect((await server.request(`/api/outbox/${entry.id}/redeliver`, { method: 'POST', headers: asUser })).status).toBe(403);
      expect((await server.request(`/api/outbox/${jobId}/redeliver`, { method: 'POST' })).status).toBe(404);

      failer.state.failStow = false;
      const accepted = await server.json<any>(`/api/outbox/${entry.id}/redeliver`, { method: 'POST', expectStatus: 202 });
      expect(accepted).toMatchObject({ id: entry.id, status: 'pending', attempts: 0 });
      const job = await waitForJob(server, jobId);
      expect({ status: job.status, error: job.error }).toEqual({ status: 'succeeded', error: null });
      const delivered = (await server.json<any[]>('/api/outbox')).find((e) => e.id === entry.id);
      expect(delivered).toMatchObject({ status: 'delivered', payloadAvailable: false });
      expect(await orthanc.findInstances({ Modality: 'SEG', StudyInstanceUID: series.studyInstanceUID })).toEqual([entry.segSopInstanceUID]);
      // Only a failed entry is re-delivered.
      expect((await server.request(`/api/outbox/${entry.id}/redeliver`, { method: 'POST' })).status).toBe(409);
      const audit = await server.json<Array<{ action: string; target: string }>>('/api/audit?limit=50');
      expect(audit.filter((a) => a.action === 'outbox.redeliver').map((a) => a.target)).toEqual([`outbox:${entry.id}`]);
    } finally {
      await server?.stop();
      server = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('keeps a delivered payload for OUTBOX_KEEP_DELIVERED_HOURS, mode 0600', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'covseg-outbox-'));
    try {
      server = await spawnServerProcess({ dicomwebUrl: failer.url, dataDir, env: { ...env, OUTBOX_KEEP_DELIVERED_HOURS: '24' } });
      failer.state.failStow = false;
      const { id } = await startJob(server);
      const job = await waitForJob(server, id);
      expect(job.status).toBe('succeeded');
      // The whole result is kept: its SEG and its SR.
      const files = outboxFiles(dataDir);
      expect(files.sort()).toEqual([`${job.result.segSopInstanceUID}.dcm`, `${job.result.srSopInstanceUID}.dcm`].sort());
      for (const file of files) expect(statSync(join(dataDir, 'outbox', file)).mode & 0o777).toBe(0o600);
    } finally {
      await server?.stop();
      server = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
