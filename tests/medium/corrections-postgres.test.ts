import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSeg } from '@covseg/dicom';
import { OrthancInstance } from '../support/orthanc';
import { PostgresInstance } from '../support/postgres';
import { aiSegOverLidc, issueToken, LIDC_SERIES, LIDC_STUDY, sliceRuns, type AiSegFixture } from '../support/review-fixture';
import { startInProcessServer, type TestServer } from '../support/server';
import { CuttableProxy } from './faults-proxy';

const SLICES = 8;

/**
 * Scaled mode keeps a reader's correction in PostgreSQL, not on the disk of the API process that
 * received it: a correction whose STOW did not complete there is delivered by another API process.
 * Two servers on one real Postgres, each with its own data folder, against a real Orthanc.
 */
describe('a reader correction in PostgreSQL mode', () => {
  let orthanc: OrthancInstance;
  let postgres: PostgresInstance;
  let proxy: CuttableProxy;
  let a: TestServer;
  let b: TestServer;
  let ai: AiSegFixture;
  const dirs: string[] = [];

  beforeAll(async () => {
    ai = aiSegOverLidc(SLICES);
    [orthanc, postgres] = await Promise.all([OrthancInstance.start(), PostgresInstance.start()]);
    await orthanc.upload([...ai.paths, ai.bytes]);
    // The PACS is reached through a proxy that can swallow a STOW's answer.
    proxy = await CuttableProxy.start(orthanc.restUrl);
    const env = { DATABASE_URL: await postgres.createDatabase(), COVSEG_SECRET_KEY: Buffer.alloc(32, 9).toString('base64') };
    for (let i = 0; i < 2; i++) dirs.push(mkdtempSync(join(tmpdir(), `covseg-correction-pg-${i}-`)));
    a = await startInProcessServer({ dicomwebUrl: proxy.dicomwebUrl, dataDir: dirs[0], env });
    b = await startInProcessServer({ dicomwebUrl: proxy.dicomwebUrl, dataDir: dirs[1], env });
  }, 180_000);
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await proxy?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    postgres?.destroy();
    orthanc?.destroy();
  });

  it('delivers from a second API process a correction whose store did not complete on the first, from the database', async () => {
    expect(b.pacsEndpointId).toBe(a.pacsEndpointId);
    const reviewer = await issueToken(a, 'reviewer', 'Reader 9');
    const edited = ai.infection.slice();
    const perSlice = ai.rows * ai.columns;
    for (let y = 200; y < 212; y++) edited.fill(1, 3 * perSlice + y * ai.columns + 200, 3 * perSlice + y * ai.columns + 230);
    const slices = ai.source.map((s, z) => ({ sopInstanceUID: s.sopInstanceUID, rle: sliceRuns(edited.subarray(z * perSlice, (z + 1) * perSlice)) })).filter((s) => s.rle);
    const body = JSON.stringify({
      endpointId: a.pacsEndpointId,
      study: LIDC_STUDY,
      series: LIDC_SERIES,
      segSeriesInstanceUID: ai.seriesInstanceUID,
      segSopInstanceUID: ai.sopInstanceUID,
      segments: [{ segmentNumber: 1, slices }],
    });
    const save = (server: TestServer) => server.request('/api/corrections', { method: 'POST', body, headers: { authorization: `Bearer ${reviewer}` } });

    // On A the PACS stores the SEG but its answer never comes: A cannot know, so the correction stays pending.
    const swallowed = proxy.swallowStowAnswer();
    const first = await save(a);
    await swallowed;
    expect(first.status).toBeGreaterThanOrEqual(500);
    const [pending] = await b.json<Array<{ id: string; status: string; segSopInstanceUID: string }>>('/api/corrections');
    expect(pending.status).toBe('pending');
    // Nothing of it on A's disk: the SEG bytes went to the database with the row.
    expect(existsSync(join(dirs[0], 'corrections'))).toBe(false);

    // The reader saves again, this time reaching B: B stores the same bytes from the database.
    const second = await save(b);
    expect(second.status).toBe(200);
    const delivered = await second.json();
    expect({ id: delivered.id, status: delivered.status }).toEqual({ id: pending.id, status: 'delivered' });
    const segs = (await orthanc.findInstances({ Modality: 'SEG' })).sort();
    expect(segs).toEqual([ai.sopInstanceUID, pending.segSopInstanceUID].sort());
    const corrected = readSeg(await orthanc.downloadInstance(pending.segSopInstanceUID), ai.source);
    expect(Buffer.from(corrected.segments[0]!.labelmap).equals(Buffer.from(edited))).toBe(true);
    for (const dir of dirs) expect(existsSync(join(dir, 'corrections'))).toBe(false);
  });
});
