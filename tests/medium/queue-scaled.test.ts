import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSeg } from '@covseg/dicom';
import { SeriesFactory } from '../factories/series.factory';
import { waitForJob } from '../support/jobs';
import { runDcmtk } from '../support/dcmtk';
import { freePort, OrthancInstance } from '../support/orthanc';
import { PostgresInstance } from '../support/postgres';
import { RedisInstance } from '../support/redis';
import { ScaledCluster } from '../support/scaled-cluster';

/** Every file under a folder, recursively (relative paths). */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

/**
 * Scaled mode as separate processes: one ROLE=api and two ROLE=worker servers, each with a data folder
 * of its own (no shared disk), meeting through a real Redis and a real PostgreSQL, against a real
 * Orthanc. The guarantees of issue 8 §3 across processes.
 */
describe('scaled mode: an API and two workers on BullMQ', () => {
  let orthanc: OrthancInstance;
  let redis: RedisInstance;
  let postgres: PostgresInstance;
  let cluster: ScaledCluster;
  let dicomPort: number;

  beforeAll(async () => {
    [orthanc, redis, postgres] = await Promise.all([OrthancInstance.start(), RedisInstance.start(), PostgresInstance.start()]);
    const env = { DATABASE_URL: await postgres.createDatabase(), COVSEG_SECRET_KEY: Buffer.alloc(32, 42).toString('base64') };
    // The API process also runs the C-STORE SCP; the workers do not.
    dicomPort = await freePort();
    const apiEnv = { DICOM_PORT: String(dicomPort), DICOM_STABLE_SECONDS: '2', DICOM_TIMEOUT_SECONDS: '5' };
    cluster = await ScaledCluster.start({ redis, dicomwebUrl: orthanc.dicomwebUrl, workers: 2, env, apiEnv });
    // Builds the server when stale, then boots three processes (each migrates or loads the model).
  }, 300_000);
  afterAll(async () => {
    await cluster?.stop();
    redis?.destroy();
    postgres?.destroy();
    orthanc?.destroy();
  });

  async function newStudy(slices = 40) {
    const series = SeriesFactory.ct().size(192, 192).pixelSpacingMm(2, 2).slices(slices).build();
    await orthanc.upload(series.files);
    return series;
  }

  const submit = (study: { studyInstanceUID: string; seriesInstanceUID: string }) =>
    cluster.api.json<{ id: string }>('/api/jobs', {
      method: 'POST',
      body: JSON.stringify({ pacsEndpointId: cluster.api.pacsEndpointId, studyInstanceUID: study.studyInstanceUID, seriesInstanceUID: study.seriesInstanceUID }),
      expectStatus: 202,
    });

  async function untilStage(id: string, stage: string) {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const job = await cluster.api.json<any>(`/api/jobs/${id}`);
      if (job.stage === stage && job.status === 'running') return job;
      if (job.status !== 'queued' && job.status !== 'running') throw new Error(`job ${id} ended ${job.status} before stage ${stage}`);
      if (Date.now() > deadline) throw new Error(`job ${id} never reached ${stage}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('serves no API from a worker: only health and metrics, on the worker’s own port', async () => {
    const worker = [...cluster.workers.values()][0];
    expect((await worker.request('/api/health')).status).toBe(200);
    expect((await worker.request('/metrics')).status).toBe(200);
    const refused = await worker.request('/api/jobs');
    expect(refused.status).toBe(404);
    expect(await refused.text()).toContain('ROLE=worker');
    expect((await worker.request('/')).status).toBe(404);
  });

  it('gives identical SEG pixel data and segment attributes from either worker for the same pixels', async () => {
    const a = SeriesFactory.ct().size(192, 192).pixelSpacingMm(2, 2).slices(40).build();
    // The same pixels and geometry under new UIDs: a second study the other worker segments at the same time.
    const b = SeriesFactory.ct().size(192, 192).pixelSpacingMm(2, 2).slices(40).build();
    await orthanc.upload([...a.files, ...b.files]);
    const [ja, jb] = await Promise.all([submit(a), submit(b)]);
    const [doneA, doneB] = await Promise.all([waitForJob(cluster.api, ja.id, 120_000), waitForJob(cluster.api, jb.id, 120_000)]);
    expect([doneA.status, doneB.status]).toEqual(['succeeded', 'succeeded']);
    expect(cluster.holderOf(ja.id)).not.toBe(cluster.holderOf(jb.id));
    const [segA, segB] = await Promise.all([orthanc.downloadInstance(doneA.result.segSopInstanceUID), orthanc.downloadInstance(doneB.result.segSopInstanceUID)]);
    const [readA, readB] = [readSeg(segA), readSeg(segB)];
    const attributes = (r: ReturnType<typeof readSeg>) => r.segments.map(({ labelmap: _labelmap, ...rest }) => rest);
    expect(attributes(readB)).toEqual(attributes(readA));
    expect([readB.rows, readB.columns, readB.slices.length]).toEqual([readA.rows, readA.columns, readA.slices.length]);
    for (let i = 0; i < readA.segments.length; i++) expect(Buffer.compare(Buffer.from(readB.segments[i].labelmap), Buffer.from(readA.segments[i].labelmap))).toBe(0);
  });

  it('finishes the job of a worker killed with -9 mid-inference on the other worker: one SEG on the PACS', async () => {
    const study = await newStudy();
    const { id } = await submit(study);
    await untilStage(id, 'infer');
    const holder = cluster.holderOf(id)!;
    expect(holder).toBeDefined();
    await cluster.workers.get(holder)!.kill();
    const job = await waitForJob(cluster.api, id, 120_000);
    expect({ status: job.status, error: job.error }).toEqual({ status: 'succeeded', error: null });
    expect(job.attempts).toBeGreaterThanOrEqual(2);
    expect(cluster.holderOf(id)).not.toBe(holder);
    expect(await orthanc.findInstances({ Modality: 'SEG', StudyInstanceUID: study.studyInstanceUID })).toEqual([job.result.segSopInstanceUID]);
    // Put a second worker back for the next tests.
    cluster.workers.delete(holder);
    await cluster.addWorker(`${holder}-b`);
  });

  it('stores one SEG when two jobs for the same series reach two free workers at once', async () => {
    const study = await newStudy();
    const [a, b] = await Promise.all([submit(study), submit(study)]);
    const [jobA, jobB] = await Promise.all([waitForJob(cluster.api, a.id, 120_000), waitForJob(cluster.api, b.id, 120_000)]);
    expect([jobA.status, jobB.status]).toEqual(['succeeded', 'succeeded']);
    const segs = await orthanc.findInstances({ Modality: 'SEG', StudyInstanceUID: study.studyInstanceUID });
    expect(segs).toHaveLength(1);
    expect([jobA.result.segSopInstanceUID, jobB.result.segSopInstanceUID]).toEqual([segs[0], segs[0]]);
    // One built the SEG; the other, held back by the study lock, found it (in the database or on the PACS).
    const reused = [jobA.result.reused, jobB.result.reused];
    expect(reused.filter((r) => r === 'none')).toHaveLength(1);
  });

  it('loses no job and stores no second SEG when Redis restarts mid-run', async () => {
    const study = await newStudy();
    const queuedStudy = await newStudy();
    const { id } = await submit(study);
    await untilStage(id, 'infer');
    const { id: queuedId } = await submit(queuedStudy);
    redis.restart();
    const [job, queued] = await Promise.all([waitForJob(cluster.api, id, 120_000), waitForJob(cluster.api, queuedId, 120_000)]);
    expect([job.status, queued.status]).toEqual(['succeeded', 'succeeded']);
    expect(await orthanc.findInstances({ Modality: 'SEG', StudyInstanceUID: study.studyInstanceUID })).toHaveLength(1);
    expect(await orthanc.findInstances({ Modality: 'SEG', StudyInstanceUID: queuedStudy.studyInstanceUID })).toHaveLength(1);
  });

  it('answers 503 with a reason while PostgreSQL is stopped, pauses the workers, and recovers both without a restart', async () => {
    const study = await newStudy();
    const { id } = await submit(study);
    await untilStage(id, 'infer');
    postgres.stop();
    try {
      const response = await cluster.api.request(`/api/jobs/${id}`, { signal: AbortSignal.timeout(60_000) });
      expect(response.status).toBe(503);
      expect((await response.json()).message).toMatch(/database is unavailable/i);
      // Health says so too, instead of failing with the database's error: 503 degraded, status only
      // for an anonymous caller (a token cannot be checked while the database is away).
      const health = await fetch(`${cluster.api.baseUrl}/api/health`, { signal: AbortSignal.timeout(60_000) });
      expect(health.status).toBe(503);
      expect(await health.json()).toEqual({ status: 'degraded' });
      const deadline = Date.now() + 60_000;
      while (![...cluster.workers.values()].some((w) => /pauses: the database does not answer/.test(w.output()))) {
        if (Date.now() > deadline) throw new Error('no worker paused while the database was away');
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      postgres.start();
    }
    const job = await waitForJob(cluster.api, id, 180_000);
    expect({ status: job.status, error: job.error }).toEqual({ status: 'succeeded', error: null });
    const recovered = await cluster.api.json<{ status: string; database: { dialect: string; reachable: boolean } }>('/api/health');
    expect(recovered.database).toEqual({ dialect: 'postgres', reachable: true });
    expect(await orthanc.findInstances({ Modality: 'SEG', StudyInstanceUID: study.studyInstanceUID })).toEqual([job.result.segSopInstanceUID]);
    expect([...cluster.workers.values()].some((w) => /resumes: the database answers again/.test(w.output()))).toBe(true);
  });

  it('segments on a worker a series pushed by C-STORE to the API process: the instances travel through PostgreSQL, not a disk', async () => {
    await cluster.api.json('/api/pacs-endpoints', {
      method: 'POST',
      body: JSON.stringify({ name: 'modality', baseUrl: orthanc.dicomwebUrl, dicomAeTitle: 'CT1', resultTransport: 'stow' }),
    });
    const series = SeriesFactory.ct().slices(10).size(64, 64).build();
    const scratch = mkdtempSync(join(tmpdir(), 'covseg-scaled-dimse-'));
    try {
      const paths = series.files.map((bytes, i) => {
        const path = join(scratch, `${i}.dcm`);
        writeFileSync(path, bytes);
        return path;
      });
      const store = await runDcmtk('storescu', ['-aet', 'CT1', '-aec', 'COVSEG', '127.0.0.1', String(dicomPort), ...paths]);
      expect(store.code).toBe(0);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    // Nothing of the series on the receiving process's disk: it went to the database before each C-STORE was answered.
    expect(existsSync(join(cluster.api.dataDir, 'dimse', 'series'))).toBe(false);
    expect(filesUnder(join(cluster.api.dataDir, 'dimse'))).toEqual([]);
    const deadline = Date.now() + 120_000;
    let id: string | undefined;
    while (!id) {
      id = (await cluster.api.json<any[]>('/api/jobs')).find((j) => j.source === 'dimse' && j.seriesInstanceUID === series.seriesInstanceUID)?.id;
      if (Date.now() > deadline) throw new Error('no DIMSE job was queued');
      if (!id) await new Promise((r) => setTimeout(r, 250));
    }
    const job = await waitForJob(cluster.api, id, 180_000);
    expect({ status: job.status, error: job.error, slices: job.result.slices }).toEqual({ status: 'succeeded', error: null, slices: 10 });
    // A worker, another process with a data folder of its own, read the pixels.
    expect([...cluster.workers.keys()]).toContain(cluster.holderOf(id));
    expect(await orthanc.findInstances({ Modality: 'SEG', SeriesInstanceUID: job.result.segSeriesInstanceUID })).toEqual([job.result.segSopInstanceUID]);
  });

  it('keeps no job state on any process’s disk: the data folders hold no SEG, outbox or database file', () => {
    for (const process of [cluster.api, ...cluster.workers.values()]) {
      const files = filesUnder(process.dataDir);
      expect(files.filter((f) => /outbox|\.sqlite|\.dcm$/.test(f)), `${process.dataDir}: ${files.join(', ')}`).toEqual([]);
    }
  });

  it('gives a queued job its position and an ETA from recent throughput', async () => {
    const studies = await Promise.all([newStudy(), newStudy(), newStudy()]);
    const ids = [];
    for (const study of studies) ids.push((await submit(study)).id);
    const last = await cluster.api.json<any>(`/api/jobs/${ids[2]}`);
    expect(last.queue.workers).toBe(2);
    if (last.status === 'queued') {
      expect(last.queue.position).toBeGreaterThanOrEqual(0);
      // Earlier tests finished jobs, so there is a throughput to estimate from.
      expect(last.queue.etaSeconds).toBeGreaterThan(0);
    }
    const done = await Promise.all(ids.map((id) => waitForJob(cluster.api, id, 180_000)));
    expect(done.map((j) => j.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect((await cluster.api.json<any>(`/api/jobs/${ids[2]}`)).queue).toMatchObject({ position: null, etaSeconds: null });
  });
});
