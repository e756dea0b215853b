import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForJob } from '../support/jobs';
import { lidcSlices } from '../support/lidc-fixture';
import { OrthancInstance } from '../support/orthanc';
import { ServerProcess, spawnServerProcess, startTestServer, TestServer } from '../support/server';
import { CuttableProxy } from './faults-proxy';

const SLICES = 40;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

describe('fault tolerance of segmentation jobs', () => {
  let orthanc: OrthancInstance;
  let studyInstanceUID: string;
  let seriesInstanceUID: string;
  const segCount = async () => (await orthanc.findInstances({ Modality: 'SEG', StudyInstanceUID: studyInstanceUID })).length;
  const submit = async (server: TestServer, pacsEndpointId = server.pacsEndpointId, force = true) =>
    (await server.json<{ id: string }>('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId, studyInstanceUID, seriesInstanceUID, force }), expectStatus: 202 })).id;

  beforeAll(async () => {
    orthanc = await OrthancInstance.start();
    const slices = lidcSlices(SLICES, 45);
    await orthanc.upload(slices);
    const [instance] = await orthanc.findInstances({ Modality: 'CT' });
    const bytes = await orthanc.downloadInstance(instance);
    const { parseDicom } = await import('@covseg/dicom');
    const dataset = parseDicom(bytes).dataset as { StudyInstanceUID: string; SeriesInstanceUID: string };
    studyInstanceUID = dataset.StudyInstanceUID;
    seriesInstanceUID = dataset.SeriesInstanceUID;
  });
  afterAll(() => orthanc?.destroy());

  describe('a server process killed with SIGKILL during a job', () => {
    let dataDir: string;
    let server: ServerProcess | undefined;
    // Made in beforeAll, not at collection: a filtered run skips this block's afterAll.
    beforeAll(() => {
      dataDir = mkdtempSync(join(tmpdir(), 'covseg-faults-'));
    });
    afterAll(async () => {
      await server?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('finishes the job after a restart, and the PACS holds exactly one SEG of the series', async () => {
      server = await spawnServerProcess({ dicomwebUrl: orthanc.dicomwebUrl, dataDir });
      const before = await segCount();
      const id = await submit(server, server.pacsEndpointId, false);
      const stage = await until('the job to reach inference', async () => {
        const job = await server!.json<any>(`/api/jobs/${id}`);
        if (job.status !== 'queued' && job.status !== 'running') throw new Error(`Job ended before the kill: ${JSON.stringify(job)}`);
        return ['preprocess', 'infer', 'postprocess'].includes(job.stage) ? job.stage : undefined;
      });
      await server.kill();
      expect(server.child.signalCode).toBe('SIGKILL');

      server = await spawnServerProcess({ dicomwebUrl: orthanc.dicomwebUrl, dataDir });
      const job = await waitForJob(server, id, 180_000);
      expect(job.status, `killed at ${stage}: ${JSON.stringify(job.error)}`).toBe('succeeded');
      expect(job.attempts).toBeGreaterThanOrEqual(2);
      expect((await segCount()) - before).toBe(1);
      expect(server.output()).toContain('Requeued 1 job(s)');
    });
  });

  describe('a server process killed after the PACS stored the SEG but before it heard so', () => {
    let dataDir: string;
    let proxy: CuttableProxy;
    let server: ServerProcess | undefined;
    beforeAll(() => {
      dataDir = mkdtempSync(join(tmpdir(), 'covseg-faults-stow-'));
    });
    afterAll(async () => {
      await server?.stop();
      await proxy?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('delivers the same SEG again after a restart, so the PACS still holds exactly one', async () => {
      proxy = await CuttableProxy.start(orthanc.restUrl);
      server = await spawnServerProcess({ dicomwebUrl: proxy.dicomwebUrl, dataDir });
      const before = await segCount();
      const stored = proxy.swallowStowAnswer();
      const id = await submit(server);
      await stored;
      expect((await segCount()) - before).toBe(1);
      await server.kill();
      server = await spawnServerProcess({ dicomwebUrl: proxy.dicomwebUrl, dataDir });
      const job = await waitForJob(server, id, 180_000);
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
      expect(job.attempts).toBeGreaterThanOrEqual(2);
      expect((await segCount()) - before).toBe(1);
    });
  });

  describe('a PACS outage', () => {
    let proxy: CuttableProxy;
    let server: TestServer;
    beforeAll(async () => {
      proxy = await CuttableProxy.start(orthanc.restUrl);
      server = await startTestServer({ dicomwebUrl: proxy.dicomwebUrl, env: { PACS_RETRIES: '8', PACS_RETRY_BASE_MS: '200' } });
    });
    afterAll(async () => {
      await server?.stop();
      await proxy?.close();
    });

    it('in the middle of the series retrieval: the job finishes after retries once the PACS is back', async () => {
      const before = await segCount();
      const held = proxy.holdRetrieval();
      const id = await submit(server);
      await held;
      orthanc.stop();
      proxy.cutAll();
      await new Promise((r) => setTimeout(r, 1500));
      const during = await server.json<any>(`/api/jobs/${id}`);
      expect(during.status, JSON.stringify(during.error)).toBe("running");
      orthanc.start();
      const job = await waitForJob(server, id, 180_000);
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
      expect((await segCount()) - before).toBe(1);
      expect((await server.request('/api/health')).status).toBe(200);
    });

    it('that lasts: the job fails with a clear reason after the retry budget, and other endpoints keep working', async () => {
      const shortBudget = await startTestServer({ dicomwebUrl: proxy.dicomwebUrl, env: { PACS_RETRIES: '2', PACS_RETRY_BASE_MS: '50' } });
      try {
        const healthy = await shortBudget.json<{ id: string }>('/api/pacs-endpoints', {
          method: 'POST',
          body: JSON.stringify({ name: 'direct', baseUrl: orthanc.dicomwebUrl, timeoutMs: 10_000 }),
        });
        orthanc.stop();
        const doomed = await submit(shortBudget);
        const failed = await waitForJob(shortBudget, doomed, 60_000);
        expect(failed.status).toBe('failed');
        expect(failed.error.code).toBe('pacs-unavailable');
        expect(failed.error.message).toMatch(/did not answer after \d+ attempts/);
        expect((await shortBudget.request('/api/health')).status).toBe(200);
        orthanc.start();
        const other = await waitForJob(shortBudget, await submit(shortBudget, healthy.id, false), 180_000);
        expect(other.status, JSON.stringify(other.error)).toBe('succeeded');
        const metrics = await (await shortBudget.request('/metrics')).text();
        expect(metrics).toMatch(/covseg_jobs_total\{outcome="failed"\} 1/);
        expect(metrics).toContain(`covseg_pacs_errors_total{endpoint="${shortBudget.pacsEndpointId}",kind="pacs-unavailable"} 1`);
      } finally {
        await shortBudget.stop();
      }
    });
  });
});
