import { Socket, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeriesFactory } from '../factories/series.factory';
import { waitForJob } from '../support/jobs';
import { OrthancInstance, freePort } from '../support/orthanc';
import { DATABASE_KINDS, databaseEnv, stopTestPostgres, testPostgres } from '../support/databases';
import { TestServer, startTestServer } from '../support/server';

afterAll(stopTestPostgres);

describe.each(DATABASE_KINDS)('segmentation jobs that must be refused (state in %s)', (database) => {
  let orthanc: OrthancInstance;
  let server: TestServer;

  beforeAll(async () => {
    orthanc = await OrthancInstance.start();
    server = await startTestServer({ dicomwebUrl: orthanc.dicomwebUrl, env: { PACS_RETRIES: '2', PACS_RETRY_BASE_MS: '20', ...(await databaseEnv(database)) } });
  });
  afterAll(async () => {
    await server?.stop();
    orthanc?.destroy();
  });

  const submit = async (body: Record<string, unknown>) => {
    const { id } = await server.json<{ id: string }>('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: server.pacsEndpointId, ...body }), expectStatus: 202 });
    return waitForJob(server, id);
  };
  const expectServerUp = async () => expect((await server.request('/api/health')).status).toBe(200);

  it('fails a job on an MR series with the reason not-ct, and the server stays up', async () => {
    const mr = SeriesFactory.ct().withModality('MR').slices(12).build();
    await orthanc.upload(mr.files);
    const job = await submit({ studyInstanceUID: mr.studyInstanceUID, seriesInstanceUID: mr.seriesInstanceUID });
    expect(job.status).toBe('failed');
    expect(job.error.code).toBe('series-rejected:not-ct');
    expect(job.error.message).toContain('cannot be segmented');
    await expectServerUp();
  });

  it('explains, series by series, why a study without CT has nothing to segment', async () => {
    const mr = SeriesFactory.ct().withModality('MR').slices(12).build();
    await orthanc.upload(mr.files);
    const job = await submit({ studyInstanceUID: mr.studyInstanceUID });
    expect(job.status).toBe('failed');
    expect(job.error.code).toBe('no-eligible-series');
    expect(job.error.message).toContain(`series ${mr.seriesInstanceUID}: Modality is MR, not CT`);
  });

  it('fails a job whose series holds a malformed instance, naming it', async () => {
    const broken = SeriesFactory.ct()
      .slices(12)
      .modify((dataset, index) => {
        // Claims twice the rows its pixel data holds: the parser must refuse rather than read past the end.
        if (index === 5) dataset.Rows = 64;
      })
      .build();
    await orthanc.upload(broken.files);
    const job = await submit({ studyInstanceUID: broken.studyInstanceUID, seriesInstanceUID: broken.seriesInstanceUID });
    expect(job.status).toBe('failed');
    expect(job.error.code).toBe('malformed-instance');
    expect(job.error.message).toContain(broken.instances.find((i) => i.sliceIndex === 5)!.sopInstanceUID);
    await expectServerUp();
  });

  it('fails a job for an unknown study with study-not-found', async () => {
    const job = await submit({ studyInstanceUID: '1.2.826.0.1.3680043.8.498.999999999' });
    expect(job.status).toBe('failed');
    expect(job.error.code).toBe('study-not-found');
    expect(job.error.message).toContain('1.2.826.0.1.3680043.8.498.999999999');
    await expectServerUp();
  });

  it('fails a job on a PACS that is down after retrying, saying the PACS did not answer', async () => {
    const dead = await server.json<{ id: string }>('/api/pacs-endpoints', {
      method: 'POST',
      body: JSON.stringify({ name: 'down', baseUrl: `http://127.0.0.1:${await freePort()}/dicom-web`, timeoutMs: 1000 }),
    });
    const { id } = await server.json<{ id: string }>('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: dead.id, studyInstanceUID: '1.2.3' }), expectStatus: 202 });
    const job = await waitForJob(server, id);
    expect(job.status).toBe('failed');
    expect(job.error.code).toBe('pacs-unavailable');
    expect(job.error.message).toContain('The PACS did not answer after 3 attempts');
    expect(job.error.message).toContain('ECONNREFUSED');
    await expectServerUp();
  });

  it('refuses a job for an endpoint that does not exist with 404', async () => {
    const response = await server.request('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: '00000000-0000-4000-8000-000000000000', studyInstanceUID: '1.2.3' }) });
    expect(response.status).toBe(404);
  });

  it('refuses a study UID that is not a DICOM UID with 400', async () => {
    const response = await server.request('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: server.pacsEndpointId, studyInstanceUID: '../etc/passwd' }) });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain('studyInstanceUID must be a DICOM UID');
  });

  it('cancels a queued job at once', async () => {
    // A PACS that accepts connections and never answers keeps the first job in its QIDO request.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    const silentPort = await freePort();
    await new Promise<void>((resolve) => silent.listen(silentPort, '127.0.0.1', resolve));
    const paused = await startTestServer({ dicomwebUrl: orthanc.dicomwebUrl, env: { JOB_CONCURRENCY: '1', JOB_POLL_MS: '3600000', ...(await databaseEnv(database)) } });
    try {
      // The first job occupies the only worker slot (a PACS that never answers), so the second stays queued.
      const blackhole = await paused.json<{ id: string }>('/api/pacs-endpoints', {
        method: 'POST',
        body: JSON.stringify({ name: 'slow', baseUrl: `http://127.0.0.1:${silentPort}/dicom-web`, timeoutMs: 20_000 }),
      });
      const first = await paused.json<{ id: string }>('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: blackhole.id, studyInstanceUID: '1.2.3' }), expectStatus: 202 });
      const second = await paused.json<{ id: string }>('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: blackhole.id, studyInstanceUID: '1.2.4' }), expectStatus: 202 });
      const cancelled = await paused.json<any>(`/api/jobs/${second.id}/cancel`, { method: 'POST' });
      expect(cancelled.status).toBe('cancelled');
      const running = await paused.json<any>(`/api/jobs/${first.id}/cancel`, { method: 'POST' });
      expect(running.cancelRequested).toBe(true);
      expect((await waitForJob(paused, first.id, 10_000)).status).toBe('cancelled');
      const listed = await paused.json<any[]>('/api/jobs?limit=1');
      expect(listed.map((j) => j.id)).toEqual([second.id]);
    } finally {
      await paused.stop();
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('fails a job that runs past JOB_TIMEOUT_MS with the reason timeout', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    const silentPort = await freePort();
    await new Promise<void>((resolve) => silent.listen(silentPort, '127.0.0.1', resolve));
    const impatient = await startTestServer({ env: { JOB_TIMEOUT_MS: '1000', ...(await databaseEnv(database)) } });
    try {
      const endpoint = await impatient.json<{ id: string }>('/api/pacs-endpoints', {
        method: 'POST',
        body: JSON.stringify({ name: 'silent', baseUrl: `http://127.0.0.1:${silentPort}/dicom-web`, timeoutMs: 30_000 }),
      });
      const { id } = await impatient.json<{ id: string }>('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: endpoint.id, studyInstanceUID: '1.2.3' }), expectStatus: 202 });
      const job = await waitForJob(impatient, id, 15_000);
      expect(job.status).toBe('failed');
      expect(job.error).toEqual({ code: 'timeout', message: 'The job ran longer than JOB_TIMEOUT_MS=1000 ms and was stopped' });
    } finally {
      await impatient.stop();
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});

describe('the API while PostgreSQL is stopped', () => {
  it('answers 503 with a reason instead of hanging, and recovers without a restart once PostgreSQL is back', async () => {
    const server = await startTestServer({ env: { ...(await databaseEnv('PostgreSQL')), DATABASE_CONNECT_TIMEOUT_MS: '1000' } });
    const postgres = (await testPostgres())!;
    try {
      expect((await server.request('/api/jobs')).status).toBe(200);
      postgres.stop();
      const down = await server.request('/api/jobs');
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ error: 'DatabaseUnavailableError', message: 'The database is unavailable; try again shortly' });
      postgres.start();
      expect((await server.request('/api/jobs')).status).toBe(200);
    } finally {
      postgres.start();
      await server.stop();
    }
  });
});
