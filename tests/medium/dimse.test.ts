import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDicom, readSeg } from '@covseg/dicom';
import { SeriesFactory } from '../factories/series.factory';
import { runDcmtk } from '../support/dcmtk';
import { waitForJob } from '../support/jobs';
import { lidcSlices } from '../support/lidc-fixture';
import { freePort, OrthancInstance } from '../support/orthanc';
import { TestServer, startTestServer } from '../support/server';

const SLICES = 30;
/** Segmentation on a shared 2-core machine can take minutes; only correctness is asserted here (speed: bench/). */
const HEAVY_TEST_MS = 300_000;

/** Waits until a DIMSE job exists for the series (queued once the series is stable), then until it ends. */
async function waitForDimseJob(server: TestServer, seriesInstanceUID: string, timeoutMs = 240_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const jobs = (await server.json<any[]>('/api/jobs')).filter((j) => j.source === 'dimse' && j.seriesInstanceUID === seriesInstanceUID);
    if (jobs.length > 0) return waitForJob(server, jobs[0].id, Math.max(1_000, deadline - Date.now()));
    if (Date.now() > deadline) throw new Error(`No DIMSE job for series ${seriesInstanceUID} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The value of one metric series on /metrics (0 when it has not been counted yet). */
async function metricValue(server: TestServer, series: string): Promise<number> {
  const text = await (await server.request('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

async function dimseJobsOf(server: TestServer, seriesInstanceUID: string): Promise<any[]> {
  return (await server.json<any[]>('/api/jobs')).filter((j) => j.source === 'dimse' && j.seriesInstanceUID === seriesInstanceUID);
}

describe('DIMSE: our C-STORE SCP and SCU against a real Orthanc and dcmtk', () => {
  let orthanc: OrthancInstance;
  let server: TestServer;
  let dicomPort: number;
  let orthancEndpointId: string;
  let scratch: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'covseg-dimse-'));
    dicomPort = await freePort();
    // Orthanc knows us as a DICOM modality, so it can push with /modalities/covseg/store.
    orthanc = await OrthancInstance.start({ aeTitle: 'ORTHANC', modalities: { covseg: ['COVSEG', '127.0.0.1', dicomPort] } });
    server = await startTestServer({ env: { DICOM_PORT: String(dicomPort), DICOM_STABLE_SECONDS: '2', DICOM_TIMEOUT_SECONDS: '5' } });
    const endpoint = await server.json<{ id: string }>('/api/pacs-endpoints', {
      method: 'POST',
      body: JSON.stringify({
        name: 'orthanc',
        baseUrl: orthanc.dicomwebUrl,
        dicomAeTitle: 'ORTHANC',
        dicomHost: '127.0.0.1',
        dicomPort: orthanc.dicomPort,
        resultTransport: 'c-store',
        timeoutMs: 20_000,
      }),
    });
    orthancEndpointId = endpoint.id;
  });
  afterAll(async () => {
    await server?.stop();
    orthanc?.destroy();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('reports the listener in /api/health and answers C-ECHO in the endpoint test', async () => {
    const health = await server.json<any>('/api/health');
    expect(health.dicom).toEqual({ aeTitle: 'COVSEG', host: '127.0.0.1', port: dicomPort, listening: true });
    const test = await server.json<any>(`/api/pacs-endpoints/${orthancEndpointId}/test`, { method: 'POST' });
    expect(test.echo.ok).toBe(true);
    expect(test.qido.ok).toBe(true);
  });

  it('segments a series Orthanc pushes by C-STORE once it is stable, and C-STOREs the SEG back to Orthanc', async () => {
    const files = lidcSlices(SLICES, 50);
    await orthanc.upload(files);
    const { SeriesInstanceUID: seriesInstanceUID } = parseDicom(files[0]).dataset as { SeriesInstanceUID: string };
    const [orthancSeries] = (await (
      await fetch(`${orthanc.restUrl}/tools/find`, { method: 'POST', body: JSON.stringify({ Level: 'Series', Query: { SeriesInstanceUID: seriesInstanceUID } }) })
    ).json()) as string[];
    // Two pushes back to back: the series is still settling, so it must give one job, not two.
    for (let push = 0; push < 2; push++) {
      const response = await fetch(`${orthanc.restUrl}/modalities/covseg/store`, { method: 'POST', body: JSON.stringify({ Resources: [orthancSeries], Synchronous: true }) });
      expect(response.status, await response.text()).toBe(200);
    }

    const job = await waitForDimseJob(server, seriesInstanceUID);
    expect(job.error).toBeNull();
    expect(job.status).toBe('succeeded');
    expect(job.pacsEndpointId).toBe(orthancEndpointId);
    expect(job.result.slices).toBe(SLICES);
    expect(job.result.quantification.lungVolumeMl).toBeGreaterThan(100);
    expect(job.seriesSelection).toBeNull();
    expect(await dimseJobsOf(server, seriesInstanceUID)).toHaveLength(1);

    // The SEG arrived in Orthanc over DIMSE, intact: dciodvfy finds no error and it references the pushed series.
    expect(await orthanc.findInstances({ Modality: 'SEG' })).toEqual([job.result.segSopInstanceUID]);
    const seg = await orthanc.downloadInstance(job.result.segSopInstanceUID);
    const path = join(scratch, 'seg.dcm');
    writeFileSync(path, seg);
    const check = spawnSync('dciodvfy', [path], { encoding: 'utf8' });
    expect(check.stderr.split('\n').filter((line) => line.startsWith('Error'))).toEqual([]);
    const read = readSeg(seg);
    expect(read.sopInstanceUID).toBe(job.result.segSopInstanceUID);
    expect(read.segments.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(parseDicom(seg).dataset.ReferencedSeriesSequence)).toContain(seriesInstanceUID);

    // Once the job has finished, the received instances are deleted.
    const deadline = Date.now() + 10_000;
    const seriesDir = join(server.dataDir, 'dimse', 'series', orthancEndpointId);
    while (readdirSync(seriesDir).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(readdirSync(seriesDir)).toEqual([]);
    // Both pushes were received and counted (Orthanc sends every instance again: 2 × SLICES C-STOREs).
    expect(await metricValue(server, 'covseg_dimse_cstore_total{outcome="received"}')).toBe(2 * SLICES);
    expect(await metricValue(server, 'covseg_dimse_associations_total{outcome="accepted"}')).toBeGreaterThanOrEqual(2);
  }, HEAVY_TEST_MS);

  it('counts C-ECHOs and rejected associations on /metrics', async () => {
    const echoes = await metricValue(server, 'covseg_dimse_cecho_total');
    const rejected = await metricValue(server, 'covseg_dimse_associations_total{outcome="rejected"}');
    expect((await runDcmtk('echoscu', ['-aet', 'COUNTED', '-aec', 'COVSEG', '127.0.0.1', String(dicomPort)])).code).toBe(0);
    const path = join(scratch, 'counted.dcm');
    writeFileSync(path, SeriesFactory.ct().slices(1).build().files[0]!);
    expect((await runDcmtk('storescu', ['-aet', 'STRANGER', '-aec', 'COVSEG', '127.0.0.1', String(dicomPort), path])).code).not.toBe(0);
    expect(await metricValue(server, 'covseg_dimse_cecho_total')).toBe(echoes + 1);
    expect(await metricValue(server, 'covseg_dimse_associations_total{outcome="rejected"}')).toBe(rejected + 1);
  });

  it("answers echoscu from any AE title, even with dcmtk's default called AE title", async () => {
    const echo = await runDcmtk('echoscu', ['-aet', 'SOMEONE', '-aec', 'COVSEG', '127.0.0.1', String(dicomPort)]);
    expect(echo.output).toBe('');
    expect(echo.code).toBe(0);
    const bare = await runDcmtk('echoscu', ['127.0.0.1', String(dicomPort)]);
    expect(bare.code, bare.output).toBe(0);
  });

  it('rejects storescu from an AE title no endpoint has, and stores nothing', async () => {
    const series = SeriesFactory.ct().slices(8).build();
    const paths = series.files.map((bytes, i) => {
      const p = join(scratch, `unknown-${i}.dcm`);
      writeFileSync(p, bytes);
      return p;
    });
    const store = await runDcmtk('storescu', ['-aet', 'STRANGER', '-aec', 'COVSEG', '127.0.0.1', String(dicomPort), ...paths]);
    expect(store.code).not.toBe(0);
    expect(store.output).toContain('Calling AE Title Not Recognized');
    expect(readdirSync(join(server.dataDir, 'dimse', 'series'))).not.toContain('STRANGER');
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await dimseJobsOf(server, series.seriesInstanceUID)).toEqual([]);
  });

  it('rejects a storage association to another called AE title, even from a known calling AE title', async () => {
    const series = SeriesFactory.ct().slices(1).build();
    const path = join(scratch, 'called-ae.dcm');
    writeFileSync(path, series.files[0]!);
    const store = await runDcmtk('storescu', ['-aet', 'ORTHANC', '-aec', 'NOTUS', '127.0.0.1', String(dicomPort), path]);
    expect(store.code).not.toBe(0);
    expect(store.output).toContain('Called AE Title Not Recognized');
  });

  it('accepts storescu from a configured AE title and delivers the result by STOW-RS when the endpoint says so', async () => {
    await server.json('/api/pacs-endpoints', {
      method: 'POST',
      body: JSON.stringify({ name: 'workstation', baseUrl: orthanc.dicomwebUrl, dicomAeTitle: 'WS1', resultTransport: 'stow' }),
    });
    const series = SeriesFactory.ct().slices(10).size(64, 64).build();
    const paths = series.files.map((bytes, i) => {
      const p = join(scratch, `ws1-${i}.dcm`);
      writeFileSync(p, bytes);
      return p;
    });
    const store = await runDcmtk('storescu', ['-aet', 'WS1', '-aec', 'COVSEG', '127.0.0.1', String(dicomPort), ...paths]);
    expect(store.output).toBe('');
    expect(store.code).toBe(0);
    const job = await waitForDimseJob(server, series.seriesInstanceUID);
    expect(job.error).toBeNull();
    expect(job.status).toBe('succeeded');
    expect(job.result.slices).toBe(10);
    expect(await orthanc.findInstances({ Modality: 'SEG', SeriesInstanceUID: job.result.segSeriesInstanceUID })).toEqual([job.result.segSopInstanceUID]);
  }, HEAVY_TEST_MS);

  it('queues a series received before a restart exactly once, after the restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'covseg-dimse-restart-'));
    const port = await freePort();
    // Never stable before the restart; stable at once after it.
    const before = await startTestServer({ dataDir, env: { DICOM_PORT: String(port), DICOM_STABLE_SECONDS: '3600' } });
    await before.json('/api/pacs-endpoints', { method: 'POST', body: JSON.stringify({ name: 'restart', baseUrl: orthanc.dicomwebUrl, dicomAeTitle: 'RESTART1' }) });
    const series = SeriesFactory.ct().slices(8).size(48, 48).build();
    const paths = series.files.map((bytes, i) => {
      const p = join(scratch, `restart-${i}.dcm`);
      writeFileSync(p, bytes);
      return p;
    });
    const store = await runDcmtk('storescu', ['-aet', 'RESTART1', '-aec', 'COVSEG', '127.0.0.1', String(port), ...paths]);
    expect(store.code, store.output).toBe(0);
    await before.stop();
    const after = await startTestServer({ dataDir, env: { DICOM_PORT: String(port), DICOM_STABLE_SECONDS: '1' } });
    try {
      const job = await waitForDimseJob(after, series.seriesInstanceUID);
      expect(job.error).toBeNull();
      expect(job.result.slices).toBe(8);
      await new Promise((r) => setTimeout(r, 2_500));
      expect(await dimseJobsOf(after, series.seriesInstanceUID)).toHaveLength(1);
    } finally {
      await after.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, HEAVY_TEST_MS);

  it('segments a series pushed by a PACS without DICOMweb and returns the SEG by C-STORE', async () => {
    const dimseOnly = await server.json<any>('/api/pacs-endpoints', {
      method: 'POST',
      body: JSON.stringify({ name: 'dimse-only', dicomAeTitle: 'MODALITY2', dicomHost: '127.0.0.1', dicomPort: orthanc.dicomPort, resultTransport: 'c-store' }),
    });
    expect(dimseOnly.baseUrl).toBeNull();
    const series = SeriesFactory.ct().slices(9).size(48, 48).build();
    const paths = series.files.map((bytes, i) => {
      const p = join(scratch, `m2-${i}.dcm`);
      writeFileSync(p, bytes);
      return p;
    });
    const store = await runDcmtk('storescu', ['-aet', 'MODALITY2', '-aec', 'COVSEG', '127.0.0.1', String(dicomPort), ...paths]);
    expect(store.code, store.output).toBe(0);
    const job = await waitForDimseJob(server, series.seriesInstanceUID);
    expect(job.error).toBeNull();
    expect(job.status).toBe('succeeded');
    expect(await orthanc.findInstances({ Modality: 'SEG', SeriesInstanceUID: job.result.segSeriesInstanceUID })).toEqual([job.result.segSopInstanceUID]);
    // Pulling over DICOMweb from it is refused with a reason, not attempted.
    const refused = await server.request('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: dimseOnly.id, studyInstanceUID: series.studyInstanceUID }) });
    expect(refused.status).toBe(409);
  }, HEAVY_TEST_MS);
});
