import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { IncomingMessage, ServerResponse, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDicom, readMeasurementReportFile } from '@covseg/dicom';
import { SeriesFactory } from '../factories/series.factory';
import { waitForJob } from '../support/jobs';
import { lidcSlices } from '../support/lidc-fixture';
import { OrthancInstance, freePort } from '../support/orthanc';
import { ServerProcess, spawnServerProcess } from '../support/server';
import { DATABASE_KINDS, DatabaseKind, databaseEnv, stopTestPostgres } from '../support/databases';
import pg from 'pg';

/**
 * A loopback proxy in front of Orthanc's DICOMweb that can swallow STOW-RS requests (never answer)
 * after letting `passStows` of them through, so a job can be caught between the stores of its result.
 */
async function startStowTrap(target: string) {
  const state = { hangStow: true, passStows: 0, held: [] as ServerResponse[] };
  const port = await freePort();
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'POST' && state.hangStow) {
      if (state.passStows > 0) state.passStows--;
      else {
        state.held.push(res);
        return;
      }
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k, v]) => typeof v === 'string' && k !== 'host' && k !== 'content-length')) as Record<string, string>;
    const upstream = await fetch(`${target}${req.url!.replace(/^\/dicom-web/, '')}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
    const contentType = upstream.headers.get('content-type');
    res.writeHead(upstream.status, contentType ? { 'content-type': contentType } : {});
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}/dicom-web`,
    state,
    close: () => {
      for (const res of state.held) res.destroy();
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]));
}

/**
 * The SOP Instance UIDs of the result objects the killed process made durable before storing them:
 * SQLite keeps them as files in DATA_DIR/outbox; PostgreSQL keeps them in outbox_payloads, and then
 * nothing of them may be on the process's disk (a worker on another host must be able to deliver them).
 */
async function builtObjects(database: DatabaseKind, dataDir: string, databaseUrl: string | undefined): Promise<string[]> {
  if (database === 'SQLite') return readdirSync(join(dataDir, 'outbox')).filter((f) => f.endsWith('.dcm')).map((f) => f.replace(/\.dcm$/, ''));
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ sop_instance_uid: string }>('SELECT sop_instance_uid FROM outbox_payloads ORDER BY position');
    return rows.map((r) => r.sop_instance_uid);
  } finally {
    await client.end();
  }
}

afterAll(stopTestPostgres);

describe.each(DATABASE_KINDS)('segmentation jobs survive a crash (state in %s)', (database) => {
  let orthanc: OrthancInstance;
  let trap: Awaited<ReturnType<typeof startStowTrap>>;
  let dataDir: string;
  let server: ServerProcess | undefined;
  let files: Uint8Array[];
  let env: Record<string, string>;

  beforeAll(async () => {
    orthanc = await OrthancInstance.start();
    files = lidcSlices(16, 60);
    await orthanc.upload(files);
    trap = await startStowTrap(orthanc.dicomwebUrl);
    dataDir = mkdtempSync(join(tmpdir(), 'covseg-durable-'));
    env = await databaseEnv(database);
  });
  afterAll(async () => {
    await server?.stop();
    trap?.close();
    orthanc?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('completes a result killed -9 between the SEG and the SR store after restart: one SEG, one SR, nothing rebuilt', async () => {
    const { StudyInstanceUID, SeriesInstanceUID } = parseDicom(files[0]).dataset as { StudyInstanceUID: string; SeriesInstanceUID: string };
    trap.state.passStows = 1; // the SEG reaches the PACS, the SR's store hangs
    server = await spawnServerProcess({ dicomwebUrl: trap.url, dataDir, env });
    const { id } = await server.json<{ id: string }>('/api/jobs', {
      method: 'POST',
      body: JSON.stringify({ pacsEndpointId: server.pacsEndpointId, studyInstanceUID: StudyInstanceUID, seriesInstanceUID: SeriesInstanceUID }),
      expectStatus: 202,
    });
    const deadline = Date.now() + 90_000;
    while (trap.state.held.length === 0) {
      if (Date.now() > deadline) throw new Error('the job never reached the second store');
      await new Promise((r) => setTimeout(r, 100));
    }
    await server.kill();
    server = undefined;

    const built = await builtObjects(database, dataDir, env.DATABASE_URL);
    expect(built).toHaveLength(2);
    const [segSop] = await orthanc.findInstances({ Modality: 'SEG' });
    expect(built).toContain(segSop);
    if (database === 'PostgreSQL') {
      // No shared disk: not one byte of the pending SEG or SR is in the process's data folder.
      const leaked = filesUnder(dataDir).filter((file) => built.some((uid) => readFileSync(file).includes(uid)));
      expect(leaked).toEqual([]);
    }
    const srSop = built.find((uid) => uid !== segSop)!;
    // The half state the kill left: the SEG is on the PACS, its SR is not.
    expect(await orthanc.findInstances({ Modality: 'SR' })).toEqual([]);

    trap.state.hangStow = false;
    server = await spawnServerProcess({ dicomwebUrl: trap.url, dataDir, env });
    const job = await waitForJob(server, id);
    expect(job.status).toBe('succeeded');
    expect(job.attempts).toBe(2);
    expect([job.result.segSopInstanceUID, job.result.srSopInstanceUID]).toEqual([segSop, srSop]);
    // The resumed attempt only stored: no inference, no new encoding.
    expect(job.timings.infer).toBeUndefined();
    expect(job.timings.segEncode).toBeUndefined();
    expect(job.timings.stow).toBeGreaterThan(0);
    expect(await orthanc.findInstances({ Modality: 'SEG' })).toEqual([segSop]);
    expect(await orthanc.findInstances({ Modality: 'SR' })).toEqual([srSop]);
    const report = readMeasurementReportFile(await orthanc.downloadInstance(srSop));
    expect(new Set(report.groups.map((g) => g.segSopInstanceUID))).toEqual(new Set([segSop]));
    expect(server.output()).toContain(`Requeued 1 job(s) left running by a previous process: ${id}`);
    await server.stop();
    server = undefined;
  });

  it('requeues a job stopped by SIGTERM mid-inference and finishes it after restart', async () => {
    const phantom = SeriesFactory.ct().size(192, 192).pixelSpacingMm(2, 2).slices(40).build();
    await orthanc.upload(phantom.files);
    const dir = mkdtempSync(join(tmpdir(), 'covseg-sigterm-'));
    const ownEnv = await databaseEnv(database);
    try {
      server = await spawnServerProcess({ dicomwebUrl: orthanc.dicomwebUrl, dataDir: dir, env: ownEnv });
      const { id } = await server.json<{ id: string }>('/api/jobs', {
        method: 'POST',
        body: JSON.stringify({ pacsEndpointId: server.pacsEndpointId, studyInstanceUID: phantom.studyInstanceUID, seriesInstanceUID: phantom.seriesInstanceUID }),
        expectStatus: 202,
      });
      const deadline = Date.now() + 60_000;
      while ((await server.json<any>(`/api/jobs/${id}`)).stage !== 'infer') {
        if (Date.now() > deadline) throw new Error('the job never reached inference');
        await new Promise((r) => setTimeout(r, 50));
      }
      await server.stop();
      expect(server.child.exitCode ?? server.child.signalCode).not.toBeNull();
      const requeued = server.output().includes(`Job ${id} requeued for the next start`);
      expect(requeued, server.output().split('\n').filter((l) => l.includes(id)).join('\n')).toBe(true);

      server = await spawnServerProcess({ dicomwebUrl: orthanc.dicomwebUrl, dataDir: dir, env: ownEnv });
      const job = await waitForJob(server, id);
      expect({ status: job.status, attempts: job.attempts, error: job.error }).toEqual({ status: 'succeeded', attempts: 2, error: null });
      expect(await orthanc.findInstances({ Modality: 'SEG', StudyInstanceUID: phantom.studyInstanceUID })).toEqual([job.result.segSopInstanceUID]);
      await server.stop();
      server = undefined;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
