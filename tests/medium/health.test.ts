import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeriesFactory } from '../factories/series.factory';
import { waitForPacsProbes, type AdminHealth } from '../support/health';
import { OrthancInstance } from '../support/orthanc';
import { spawnServerProcess, TEST_ADMIN_TOKEN, type ServerProcess } from '../support/server';
import { CuttableProxy } from './faults-proxy';

/**
 * /api/health against the built server process, a real Orthanc, a PACS that stalls mid-body (a proxy in
 * front of Orthanc that sends half a QIDO answer and then nothing) and an endpoint whose base URL is the
 * server's own DICOMweb proxy. The probes run in the background; HEALTH_PROBE_INTERVAL_MS is an hour
 * here, so every probe after the first round is one a request asked for: anonymous calls must ask none.
 */
describe('/api/health from cached probes', () => {
  let orthanc: OrthancInstance;
  let stalling: CuttableProxy;
  let counting: CuttableProxy;
  let server: ServerProcess;
  const ids: Record<string, string> = {};
  const anonymous = () => fetch(`${server.baseUrl}/api/health`);
  const createEndpoint = async (body: Record<string, unknown>) => (await server.json<{ id: string }>('/api/pacs-endpoints', { method: 'POST', body: JSON.stringify(body) })).id;

  beforeAll(async () => {
    orthanc = await OrthancInstance.start();
    await orthanc.upload(SeriesFactory.ct().size(32, 32).slices(2).build().files);
    stalling = await CuttableProxy.start(orthanc.restUrl);
    stalling.stallAnswers();
    // A plain forwarding proxy in front of Orthanc, only to count the requests our server sends it.
    counting = await CuttableProxy.start(orthanc.restUrl);
    server = await spawnServerProcess({ dicomwebUrl: counting.dicomwebUrl, env: { HEALTH_PROBE_INTERVAL_MS: '3600000' } });
    ids.orthanc = server.pacsEndpointId!;
    ids.stalling = await createEndpoint({ name: 'stalling-pacs', baseUrl: stalling.dicomwebUrl, timeoutMs: 60_000 });
    // Its own proxy URL needs its id: created first, then pointed at itself, with a token the proxy accepts.
    ids.loop = await createEndpoint({ name: 'loop-pacs', baseUrl: 'http://127.0.0.1:9/dicom-web', authType: 'bearer', secret: TEST_ADMIN_TOKEN });
    await server.json(`/api/pacs-endpoints/${ids.loop}`, { method: 'PATCH', body: JSON.stringify({ baseUrl: `${server.baseUrl}/api/dicomweb/${ids.loop}` }) });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await stalling?.close();
    await counting?.close();
    orthanc?.destroy();
  });

  it('shows an admin each endpoint from the background probes: Orthanc up, the stalled PACS and the self-loop down with the reason', async () => {
    const health: AdminHealth = await waitForPacsProbes(server);
    const byId = Object.fromEntries(health.pacsEndpoints.map((endpoint) => [endpoint.id, endpoint]));
    expect(byId[ids.orthanc]).toMatchObject({ name: 'test-pacs', reachable: true, baseUrl: counting.dicomwebUrl });
    expect(byId[ids.stalling]).toMatchObject({ reachable: false });
    expect(byId[ids.stalling]!.error).toMatch(/timed out|no (complete )?answer/);
    expect(byId[ids.loop]).toMatchObject({ reachable: false });
    // The probe reached our own proxy once, which refused it as ours (508 Loop Detected) instead of forwarding.
    expect(byId[ids.loop]!.error).toMatch(/508/);
    expect(health.status).toBe('degraded');
    expect(health.pacsCheckedAt).not.toBeNull();
    for (const endpoint of health.pacsEndpoints) expect(endpoint.ageMs).toBeGreaterThanOrEqual(0);
    expect(stalling.requests.some((request) => request.startsWith('GET /dicom-web/studies'))).toBe(true);
  });

  it('answers anonymous callers with the status alone, never 500, and contacts no PACS for them', async () => {
    await waitForPacsProbes(server);
    const stalledBefore = stalling.requests.length;
    const orthancBefore = counting.requests.length;
    const answers = await Promise.all(Array.from({ length: 25 }, () => anonymous()));
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      const text = await answer.text();
      expect(JSON.parse(text)).toEqual({ status: 'degraded' });
      for (const secretish of ['stalling-pacs', 'loop-pacs', 'test-pacs', counting.dicomwebUrl, stalling.dicomwebUrl, '127.0.0.1', '.onnx', ids.orthanc, ids.loop]) {
        expect(text).not.toContain(secretish);
      }
    }
    expect(stalling.requests.length).toBe(stalledBefore);
    expect(counting.requests.length).toBe(orthancBefore);
  });

  it('gives a user token (not admin) the status alone too', async () => {
    const { token } = await server.json<{ token: string }>('/api/auth/tokens', { method: 'POST', body: JSON.stringify({ role: 'user', label: 'health reader' }) });
    const answer = await fetch(`${server.baseUrl}/api/health`, { headers: { authorization: `Bearer ${token}` } });
    expect(await answer.json()).toEqual({ status: 'degraded' });
    const badToken = await fetch(`${server.baseUrl}/api/health`, { headers: { authorization: 'Bearer not-a-token' } });
    expect(badToken.status).toBe(200);
    expect(await badToken.json()).toEqual({ status: 'degraded' });
  });

  it('ends a request through its own proxy at the first hop (508), instead of nesting requests', async () => {
    const before = await serverRequests();
    const answer = await server.request(`/api/dicomweb/${ids.loop}/studies`, { headers: { accept: 'application/dicom+json' } });
    await answer.arrayBuffer();
    expect(answer.status).toBe(508);
    // The user's request plus the one looped hop (and this scrape): not hundreds.
    expect((await serverRequests()) - before).toBeLessThanOrEqual(3);
  });

  it('reports ok once the failing endpoints are disabled, still from the cache', async () => {
    for (const id of [ids.stalling, ids.loop]) await server.json(`/api/pacs-endpoints/${id}`, { method: 'PATCH', body: JSON.stringify({ enabled: false }) });
    const health = await waitForPacsProbes(server);
    expect(health.pacsEndpoints.map((endpoint) => endpoint.id)).toEqual([ids.orthanc]);
    expect(health.status).toBe('ok');
    expect(await (await anonymous()).json()).toEqual({ status: 'ok' });
  });

  /** HTTP requests our server answered so far, all methods and statuses (covseg_http_requests_total). */
  async function serverRequests(): Promise<number> {
    const text = await (await server.request('/metrics')).text();
    return [...text.matchAll(/^covseg_http_requests_total\{[^}]*\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
  }
});
