import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lidcSlices } from '../support/lidc-fixture';
import { OrthancInstance, freePort } from '../support/orthanc';
import { TestServer, startTestServer } from '../support/server';

describe('the DICOMweb proxy under access control', () => {
  let orthanc: OrthancInstance;
  let server: TestServer;
  let userToken: string;
  let base: string;
  const raw = (path: string, init: RequestInit & { token?: string } = {}) =>
    fetch(`${server.baseUrl}${path}`, { ...init, headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.headers as Record<string, string>) } });

  beforeAll(async () => {
    orthanc = await OrthancInstance.start();
    await orthanc.upload(lidcSlices(1, 60));
    server = await startTestServer({ dicomwebUrl: orthanc.dicomwebUrl });
    userToken = (await server.json<{ token: string }>('/api/auth/tokens', { method: 'POST', body: JSON.stringify({ role: 'user', label: 'viewer' }) })).token;
    base = `/api/dicomweb/${server.pacsEndpointId}`;
  });
  afterAll(async () => {
    await server?.stop();
    orthanc?.destroy();
  });

  it('refuses anonymous callers and serves QIDO to a logged-in user', async () => {
    expect((await raw(`${base}/studies`)).status).toBe(401);
    const response = await raw(`${base}/studies`, { token: userToken });
    expect(response.status).toBe(200);
    expect(((await response.json()) as unknown[]).length).toBe(1);
  });

  it('refuses an endpoint that does not exist, and one that is not a UUID', async () => {
    const unknown = await raw('/api/dicomweb/00000000-0000-4000-8000-000000000000/studies', { token: userToken });
    expect(unknown.status).toBe(404);
    const malformed = await raw('/api/dicomweb/not-an-id/studies', { token: userToken });
    expect(malformed.status).toBeGreaterThanOrEqual(400);
    expect(malformed.status).toBeLessThan(500);
  });

  it('counts a PACS that does not answer in covseg_pacs_errors_total, by endpoint', async () => {
    const dead = await server.json<{ id: string }>('/api/pacs-endpoints', {
      method: 'POST',
      body: JSON.stringify({ name: 'dead', baseUrl: `http://127.0.0.1:${await freePort()}/dicom-web`, timeoutMs: 1000 }),
    });
    const response = await raw(`/api/dicomweb/${dead.id}/studies`, { token: userToken });
    expect(response.status).toBe(502);
    const metrics = await (await raw('/metrics', { token: userToken })).text();
    expect(metrics).toMatch(new RegExp(`covseg_pacs_errors_total\\{endpoint="${dead.id}",kind="proxy:[A-Za-z]+"\\} 1`));
  });

  it('refuses every write method, even for an admin, and stores nothing', async () => {
    const before = (await orthanc.findInstances({})).length;
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const response = await raw(`${base}/studies`, { method, token: server.env.COVSEG_BOOTSTRAP_ADMIN_TOKEN, body: method === 'DELETE' ? undefined : 'x', headers: { 'content-type': 'application/dicom' } });
      expect(response.status, method).toBeGreaterThanOrEqual(400);
      expect(response.status, method).toBeLessThan(500);
    }
    expect((await orthanc.findInstances({})).length).toBe(before);
  });

  it.each([
    '/../../system',
    '/studies/../../system',
    '/studies/%2e%2e/%2e%2e/system',
    '/studies/..%2F..%2Fsystem',
    '/%2e%2e%2f%2e%2e%2fsystem',
    '/studies/%252e%252e/system',
    '/studies\\..\\..\\system',
    '/tools/find',
  ])('refuses the traversal or non-DICOMweb path %s without reaching Orthanc’s REST API', async (path) => {
    // node:http sends the path byte for byte; fetch would normalise the dot segments away first.
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const url = new URL(server.baseUrl);
      const req = request({ host: url.hostname, port: url.port, path: `${base}${path}`, headers: { authorization: `Bearer ${userToken}` } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(status, `${path}: ${text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    // Orthanc's /system answers with its name and version; none of that may come back.
    expect(text).not.toContain('DatabaseVersion');
  });
});
