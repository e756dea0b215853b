import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeriesFactory } from '../factories/series.factory';
import { hostileCorpus, type HostileCase } from '../support/hostile-corpus';
import { OrthancInstance } from '../support/orthanc';
import { authHeaders, repoRoot, ServerProcess, spawnServerProcess } from '../support/server';

type StatusClass = '2xx' | '3xx' | '4xx' | '5xx' | 'no answer';
const classOf = (status: number): StatusClass => (status >= 200 && status < 600 ? (`${Math.floor(status / 100)}xx` as StatusClass) : 'no answer');

/**
 * Issue #10's own hostile corpus (>= 150 requests over upload, the JSON APIs and the proxy; the DICOM
 * port's hostile upper-layer traffic is a corpus of its own in dimse-hostile.test.ts) and fast-check
 * fuzzing of every JSON DTO, against the BUILT server process with a real Orthanc. Every answer must be
 * < 500 and /api/health must answer 200 after each. The counts by status class are printed and written
 * to test-artifacts/hostile-corpus-counts.json.
 */
describe('the hostile corpus and DTO fuzzing against the server process', () => {
  let orthanc: OrthancInstance;
  let server: ServerProcess;
  let corpus: HostileCase[] = [];
  let endpointId: string;
  const counts: Record<string, Record<StatusClass, number>> = {};
  /** Corpus requests answered 2xx: legitimate answers (a flipped pixel still segments), listed for review. */
  const accepted: string[] = [];
  const count = (category: string, status: number) => {
    counts[category] ??= { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, 'no answer': 0 };
    counts[category][classOf(status)] += 1;
  };
  const healthy = async () => (await server.request('/api/health')).status;

  beforeAll(async () => {
    orthanc = await OrthancInstance.start();
    const series = SeriesFactory.ct().size(32, 32).slices(8).build();
    await orthanc.upload(series.files);
    server = await spawnServerProcess({ dicomwebUrl: orthanc.dicomwebUrl, env: { PACS_RETRIES: '0' } });
    endpointId = server.pacsEndpointId!;
    const root = await server.json<{ id: string }>('/api/pacs-endpoints', { method: 'POST', body: JSON.stringify({ name: 'orthanc-rest-root', baseUrl: orthanc.restUrl }) });
    const [orthancId] = (await (await fetch(`${orthanc.restUrl}/instances`)).json()) as string[];
    corpus = hostileCorpus({ endpointId, orthancRootEndpointId: root.id, orthancId: orthancId! });
  });
  afterAll(async () => {
    await server?.stop();
    orthanc?.destroy();
  });

  it('answers every corpus request with < 500, and health stays 200 after each', async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(150);
    const failures: string[] = [];
    for (const entry of corpus) {
      const headers = { ...(entry.auth === false ? {} : authHeaders(server.env)), ...entry.headers };
      let status = 0;
      try {
        const response = await fetch(`${server.baseUrl}${entry.path}`, { method: entry.method, body: entry.body, headers });
        status = response.status;
        const text = await response.text();
        if (status >= 500) failures.push(`${entry.category} ${entry.name}: ${status} ${text.slice(0, 200)}`);
      } catch (error) {
        failures.push(`${entry.category} ${entry.name}: no answer (${(error as Error).message})`);
      }
      count(entry.category, status);
      if (status >= 200 && status < 300) accepted.push(`${entry.category} ${entry.name}`);
      const health = await healthy();
      if (health !== 200) failures.push(`${entry.category} ${entry.name}: health ${health} afterwards`);
    }
    expect(failures).toEqual([]);
  });

  const fuzz = (category: string, arbitrary: fc.Arbitrary<{ method: string; path: string; body: unknown }>, numRuns: number) =>
    fc.assert(
      fc.asyncProperty(arbitrary, async ({ method, path, body }) => {
        const response = await server.request(path, { method, body: JSON.stringify(body) });
        const text = await response.text();
        count(category, response.status);
        expect(response.status, `${method} ${path} ${JSON.stringify(body).slice(0, 300)} -> ${text.slice(0, 300)}`).toBeLessThan(500);
        // Undo what a run created, so the next runs (and health) see the same server.
        if (response.status === 201 && path === '/api/pacs-endpoints') await server.request(`/api/pacs-endpoints/${JSON.parse(text).id}`, { method: 'DELETE' });
        expect(await healthy()).toBe(200);
      }),
      { seed: 1010, numRuns },
    );

  // Values that are often "almost right": UIDs, UUIDs, URLs, roles, control characters.
  const nearValues = () =>
    fc.oneof(
      fc.anything(),
      fc.constantFrom('1.2.840.10008.1', '01.2', '1..2', 'none', 'basic', 'bearer', 'admin', 'user', 'http://127.0.0.1:1/dicom-web', 'javascript:alert(1)', 'a\r\nb', '/#/studies', '//evil'),
      fc.uuid(),
      fc.string({ unit: 'binary', maxLength: 64 }),
      fc.integer(),
      fc.double(),
    );
  const objectOf = (keys: string[]) => fc.dictionary(fc.constantFrom(...keys, '__proto__', 'constructor', 'extra'), nearValues(), { maxKeys: keys.length + 2 });

  it('fuzzes POST /api/jobs (fast-check)', async () => {
    await fuzz('fuzz', objectOf(['pacsEndpointId', 'studyInstanceUID', 'seriesInstanceUID', 'force']).map((body) => ({ method: 'POST', path: '/api/jobs', body })), 60);
  });

  it('fuzzes POST and PATCH /api/pacs-endpoints (fast-check)', async () => {
    const fields = ['name', 'baseUrl', 'authType', 'username', 'secret', 'timeoutMs', 'dicomAeTitle', 'dicomHost', 'dicomPort', 'resultTransport'];
    await fuzz('fuzz', objectOf(fields).map((body) => ({ method: 'POST', path: '/api/pacs-endpoints', body })), 60);
    await fuzz('fuzz', objectOf([...fields, 'enabled']).map((body) => ({ method: 'PATCH', path: `/api/pacs-endpoints/${endpointId}`, body: { ...body, baseUrl: undefined } })), 40);
  });

  it('fuzzes the auth and watcher DTOs (fast-check)', async () => {
    await fuzz('fuzz', objectOf(['role', 'next', 'ttlSeconds']).map((body) => ({ method: 'POST', path: '/api/auth/login-links', body })), 30);
    await fuzz('fuzz', objectOf(['role', 'name', 'ttlSeconds']).map((body) => ({ method: 'POST', path: '/api/auth/tokens', body })), 30);
    await fuzz('fuzz', objectOf(['enabled', 'modalities', 'bodyPartExamined', 'pollSeconds', 'autoSegment']).map((body) => ({ method: 'PUT', path: `/api/pacs-endpoints/${endpointId}/watcher`, body })), 30);
    await fuzz('fuzz', objectOf(['pacsEndpointId', 'StudyInstanceUID']).map((body) => ({ method: 'POST', path: '/api/notifications/orthanc', body })), 30);
  });

  it('reports the counts by status class: no 5xx at all', () => {
    const total = Object.values(counts).reduce((sum, c) => sum + Object.values(c).reduce((a, b) => a + b, 0), 0);
    const report = { total, byCategory: counts, accepted };
    mkdirSync(join(repoRoot, 'test-artifacts'), { recursive: true });
    writeFileSync(join(repoRoot, 'test-artifacts/hostile-corpus-counts.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log(`hostile corpus: ${JSON.stringify(report)}`);
    for (const c of Object.values(counts)) expect(c['5xx'] + c['no answer']).toBe(0);
    expect(total).toBeGreaterThanOrEqual(150);
  });
});
