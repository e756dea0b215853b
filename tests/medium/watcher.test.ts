import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuiltSeries, SeriesFactory } from '../factories/series.factory';
import { waitForJob } from '../support/jobs';
import { OrthancInstance } from '../support/orthanc';
import { TestServer, startTestServer } from '../support/server';

/** A small chest phantom study with its own UIDs; `date` is its StudyDate. */
const study = (date: string, bodyPart = 'CHEST'): BuiltSeries =>
  SeriesFactory.ct()
    .size(48, 48)
    .pixelSpacingMm(6, 6)
    .slices(12)
    .modify((dataset) => Object.assign(dataset, { StudyDate: date, BodyPartExamined: bodyPart }))
    .build();

async function until<T>(what: string | (() => Promise<string>), probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : await what()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('the study watcher (automatic processing)', () => {
  let orthanc: OrthancInstance;
  let server: TestServer;
  let dataDir: string;
  const existing = study('20250101');
  const first = study('20260301');
  const second = study('20260301');
  const head = study('20260302', 'HEAD');
  const later = study('20260215');

  const jobsFor = async (s: TestServer, uid: string) => (await s.json<any[]>('/api/jobs?limit=500')).filter((j) => j.studyInstanceUID === uid);
  const segCount = async (uid: string) => (await orthanc.findInstances({ Modality: 'SEG', StudyInstanceUID: uid })).length;
  const watcher = (s: TestServer) => s.json<any>(`/api/pacs-endpoints/${s.pacsEndpointId}/watcher`);
  const polledAfter = async (s: TestServer, since: string) => until('a watcher poll', async () => ((await watcher(s)).lastPollAt > since ? true : undefined));
  const finishedJobFor = async (s: TestServer, uid: string) => {
    const [job] = await until(async () => `a job for ${uid} (watcher: ${JSON.stringify(await watcher(s))})`, async () => {
      const jobs = await jobsFor(s, uid);
      return jobs.length > 0 ? jobs : undefined;
    });
    return waitForJob(s, job.id);
  };

  beforeAll(async () => {
    orthanc = await OrthancInstance.start();
    // Our own data folder: the helper deletes folders it created on stop, and the restart needs it.
    dataDir = mkdtempSync(join(tmpdir(), 'covseg-watcher-'));
    server = await startTestServer({ dicomwebUrl: orthanc.dicomwebUrl, dataDir });
    await orthanc.upload(existing.files);
  });
  afterAll(async () => {
    await server?.stop();
    orthanc?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is off until an admin turns it on, and only admins may', async () => {
    expect((await watcher(server)).enabled).toBe(false);
    const invalid = await server.request(`/api/pacs-endpoints/${server.pacsEndpointId}/watcher`, { method: 'PUT', body: JSON.stringify({ enabled: true, pollSeconds: 0 }) });
    expect(invalid.status).toBe(400);
    const enabled = await server.json<any>(`/api/pacs-endpoints/${server.pacsEndpointId}/watcher`, {
      method: 'PUT',
      body: JSON.stringify({ enabled: true, pollSeconds: 1, modalities: ['CT'], bodyPartExamined: 'CHEST' }),
    });
    expect(enabled).toMatchObject({ enabled: true, pollSeconds: 1, bodyPartExamined: 'CHEST', processExisting: false });
  });

  it('records what the PACS already holds without segmenting it', async () => {
    await polledAfter(server, '');
    expect((await watcher(server)).seen.map((s: any) => s.studyInstanceUID)).toContain(existing.studyInstanceUID);
    expect(await jobsFor(server, existing.studyInstanceUID)).toHaveLength(0);
  });

  it('segments each CT chest study pushed while it is on exactly once', async () => {
    await orthanc.upload([...first.files, ...second.files, ...head.files]);
    for (const s of [first, second]) {
      const job = await finishedJobFor(server, s.studyInstanceUID);
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    }
    // Two more polls after the jobs: nothing is queued again.
    await polledAfter(server, new Date().toISOString());
    await polledAfter(server, new Date().toISOString());
    expect(await jobsFor(server, first.studyInstanceUID)).toHaveLength(1);
    expect(await jobsFor(server, second.studyInstanceUID)).toHaveLength(1);
    expect(await segCount(first.studyInstanceUID)).toBe(1);
    expect(await segCount(second.studyInstanceUID)).toBe(1);
    // BodyPartExamined HEAD does not match the CHEST filter.
    expect(await jobsFor(server, head.studyInstanceUID)).toHaveLength(0);
    expect((await watcher(server)).watermarkStudyDate).toBe('20260302');
  });

  it('does not segment them again after a restart, and keeps watching', async () => {
    await server.stop();
    server = await startTestServer({ dicomwebUrl: orthanc.dicomwebUrl, dataDir });
    await polledAfter(server, new Date().toISOString());
    await polledAfter(server, new Date().toISOString());
    for (const s of [first, second]) expect(await jobsFor(server, s.studyInstanceUID)).toHaveLength(1);
    expect(await segCount(first.studyInstanceUID)).toBe(1);
    // Pushed after the restart, same date as the watermark's range: found and segmented once.
    const third = study('20260302');
    await orthanc.upload(third.files);
    expect((await finishedJobFor(server, third.studyInstanceUID)).status).toBe('succeeded');
    expect(await segCount(third.studyInstanceUID)).toBe(1);
  });

  it('misses by polling a study dated before the watermark, but queues it once when Orthanc notifies', async () => {
    await orthanc.upload(later.files);
    await polledAfter(server, new Date().toISOString());
    await polledAfter(server, new Date().toISOString());
    expect(await jobsFor(server, later.studyInstanceUID)).toHaveLength(0);
    const notify = () => server.request('/api/notifications/orthanc', { method: 'POST', body: JSON.stringify({ pacsEndpointId: server.pacsEndpointId, StudyInstanceUID: later.studyInstanceUID }) });
    const response = await notify();
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: true });
    expect((await finishedJobFor(server, later.studyInstanceUID)).status).toBe('succeeded');
    expect((await notify()).status).toBe(202);
    await polledAfter(server, new Date().toISOString());
    expect(await jobsFor(server, later.studyInstanceUID)).toHaveLength(1);
  });

  it('accepts an Orthanc notification only with a token, and never for a watcher that is off', async () => {
    const anonymous = await fetch(`${server.baseUrl}/api/notifications/orthanc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pacsEndpointId: server.pacsEndpointId }),
    });
    expect(anonymous.status).toBe(401);
    const response = await server.request('/api/notifications/orthanc', { method: 'POST', body: JSON.stringify({ pacsEndpointId: server.pacsEndpointId }) });
    expect(response.status).toBe(202);
    await server.json(`/api/pacs-endpoints/${server.pacsEndpointId}/watcher`, { method: 'PUT', body: JSON.stringify({ enabled: false }) });
    const off = await server.request('/api/notifications/orthanc', { method: 'POST', body: JSON.stringify({ pacsEndpointId: server.pacsEndpointId }) });
    expect(off.status).toBe(400);
  });
});
