import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lidcSlices } from '../support/lidc-fixture';
import { OrthancInstance, freePort } from '../support/orthanc';
import { waitForPacsProbes } from '../support/health';
import { TestServer, startTestServer } from '../support/server';

describe('PACS endpoints API', () => {
  let orthanc: OrthancInstance;
  let server: TestServer;

  beforeAll(async () => {
    orthanc = await OrthancInstance.start();
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
    orthanc?.destroy();
  });

  const post = (body: unknown) => server.request('/api/pacs-endpoints', { method: 'POST', body: JSON.stringify(body) });

  it('creates an endpoint and never returns its secret, only hasSecret', async () => {
    const response = await post({ name: 'secret-pacs', baseUrl: orthanc.dicomwebUrl, authType: 'bearer', secret: 's3cr3t-token' });
    expect(response.status).toBe(201);
    const text = await response.text();
    expect(text).not.toContain('s3cr3t-token');
    const created = JSON.parse(text);
    expect(created).toMatchObject({ name: 'secret-pacs', authType: 'bearer', hasSecret: true, timeoutMs: 30000 });
    const listed = await (await server.request('/api/pacs-endpoints')).text();
    expect(listed).toContain(created.id);
    expect(listed).not.toContain('s3cr3t-token');
    const fetched = await server.json<Record<string, unknown>>(`/api/pacs-endpoints/${created.id}`);
    expect(fetched).not.toHaveProperty('secret');
    expect(fetched.hasSecret).toBe(true);
  });

  it('rejects a baseUrl that is not an http(s) URL, naming the field', async () => {
    const response = await post({ name: 'bad-url', baseUrl: 'ftp://example.org/dicom-web', authType: 'none' });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain('baseUrl must be an http(s) URL');
  });

  it('rejects properties that are not part of the DTO', async () => {
    const response = await post({ name: 'extra', baseUrl: orthanc.dicomwebUrl, authType: 'none', isAdmin: true });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain('property isAdmin should not exist');
  });

  it('rejects basic auth without a username', async () => {
    const response = await post({ name: 'basic-no-user', baseUrl: orthanc.dicomwebUrl, authType: 'basic', secret: 'pw' });
    expect(response.status).toBe(400);
    expect((await response.json()).message).toContain('basic needs a username');
  });

  it('refuses a second endpoint with the same name with 409', async () => {
    expect((await post({ name: 'twin', baseUrl: orthanc.dicomwebUrl })).status).toBe(201);
    const second = await post({ name: 'twin', baseUrl: orthanc.dicomwebUrl });
    expect(second.status).toBe(409);
  });

  it('updates an endpoint and forgets the secret when auth becomes none', async () => {
    const created = await (await post({ name: 'to-update', baseUrl: orthanc.dicomwebUrl, authType: 'bearer', secret: 'tok' })).json();
    const updated = await server.json<Record<string, unknown>>(`/api/pacs-endpoints/${created.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ authType: 'none', timeoutMs: 5000 }),
    });
    expect(updated).toMatchObject({ authType: 'none', hasSecret: false, timeoutMs: 5000, baseUrl: orthanc.dicomwebUrl });
  });

  it('refuses to switch between basic and bearer without the new secret, and switches with it', async () => {
    const created = await (await post({ name: 'to-switch', baseUrl: orthanc.dicomwebUrl, authType: 'basic', username: 'u', secret: 'pw' })).json();
    const patch = (body: unknown) => server.request(`/api/pacs-endpoints/${created.id}`, { method: 'PATCH', body: JSON.stringify(body) });
    const refused = await patch({ authType: 'bearer' });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toContain('authType basic -> bearer needs the new secret');
    expect(await server.json(`/api/pacs-endpoints/${created.id}`)).toMatchObject({ authType: 'basic', username: 'u', hasSecret: true });
    const switched = await (await patch({ authType: 'bearer', secret: 'tok' })).json();
    expect(switched).toMatchObject({ authType: 'bearer', hasSecret: true });
    expect(switched).not.toHaveProperty('username');
    // Keeping the type keeps the stored secret without sending it again.
    expect(await (await patch({ authType: 'bearer', timeoutMs: 7000 })).json()).toMatchObject({ authType: 'bearer', hasSecret: true, timeoutMs: 7000 });
  });

  it('deletes an endpoint, after which it is a 404', async () => {
    const created = await (await post({ name: 'to-delete', baseUrl: orthanc.dicomwebUrl })).json();
    expect((await server.request(`/api/pacs-endpoints/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    const gone = await server.request(`/api/pacs-endpoints/${created.id}`);
    expect(gone.status).toBe(404);
    expect((await gone.json()).message).toContain(created.id);
  });

  it('reports WADO-RS as skipped, not failed, on a real Orthanc that holds no study yet', async () => {
    const created = await (await post({ name: 'empty orthanc', baseUrl: orthanc.dicomwebUrl })).json();
    const result = await server.json<Record<string, { ok: boolean; skipped?: boolean; status?: number; error?: string }>>(`/api/pacs-endpoints/${created.id}/test`, { method: 'POST' });
    expect(result.qido).toMatchObject({ ok: true, status: 200 });
    expect(result.qido.skipped).toBeUndefined();
    expect(result.wado).toMatchObject({ ok: false, skipped: true, error: 'WADO-RS not probed: the PACS returned no study to ask for' });
    expect(result.stow.ok).toBe(true);
  });

  it('reports QIDO, WADO and STOW reachable on a real Orthanc that holds a study', async () => {
    await orthanc.upload(lidcSlices(1, 60));
    const created = await (await post({ name: 'orthanc', baseUrl: orthanc.dicomwebUrl })).json();
    const result = await server.json<Record<string, { ok: boolean; skipped?: boolean; status?: number; error?: string }>>(`/api/pacs-endpoints/${created.id}/test`, { method: 'POST' });
    expect(result.qido).toMatchObject({ ok: true, status: 200 });
    expect(result.wado).toMatchObject({ ok: true, status: 200 });
    expect(result.wado.skipped).toBeUndefined();
    expect(result.stow.ok).toBe(true);
  });

  it('reports every service unreachable, with the reason, when nothing listens on the port', async () => {
    const deadUrl = `http://127.0.0.1:${await freePort()}/dicom-web`;
    const created = await (await post({ name: 'dead', baseUrl: deadUrl, timeoutMs: 2000 })).json();
    const result = await server.json<Record<string, { ok: boolean; error?: string }>>(`/api/pacs-endpoints/${created.id}/test`, { method: 'POST' });
    expect(result.qido.ok).toBe(false);
    expect(result.qido.error).toContain('ECONNREFUSED');
    expect(result.stow.ok).toBe(false);
  });
});

describe('health, docs and the viewer page', () => {
  let orthanc: OrthancInstance;
  let server: TestServer;

  beforeAll(async () => {
    orthanc = await OrthancInstance.start();
    server = await startTestServer({ dicomwebUrl: orthanc.dicomwebUrl });
  });
  afterAll(async () => {
    await server?.stop();
    orthanc?.destroy();
  });

  it('answers /api/health to anyone with the status only, and to an admin with each PACS reachability and the loaded model', async () => {
    const deadUrl = `http://127.0.0.1:${await freePort()}/dicom-web`;
    await server.json('/api/pacs-endpoints', { method: 'POST', body: JSON.stringify({ name: 'dead', baseUrl: deadUrl, timeoutMs: 1000 }) });
    const health = await waitForPacsProbes(server);
    expect(health.status).toBe('degraded');
    expect(health.model).toMatchObject({ name: 'covseg-unet', provider: 'cpu' });
    expect(typeof health.model!.trained).toBe('boolean');
    expect(health.jobs).toEqual({ queued: 0, running: 0 });
    const byName = Object.fromEntries(health.pacsEndpoints.map((p) => [p.name, p]));
    expect(byName['test-pacs']!.reachable).toBe(true);
    expect(byName.dead!.reachable).toBe(false);
    expect(byName.dead!.error).toContain('ECONNREFUSED');
    expect(byName.dead!.ageMs).toBeGreaterThanOrEqual(0);

    const anonymous = await fetch(`${server.baseUrl}/api/health`);
    expect(anonymous.status).toBe(200);
    expect(await anonymous.json()).toEqual({ status: 'degraded' });
  });

  it('publishes the OpenAPI document with the jobs and PACS endpoint routes', async () => {
    const document = await (await fetch(`${server.baseUrl}/api/docs-json`)).json();
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/api/jobs', '/api/jobs/{id}', '/api/jobs/{id}/cancel', '/api/pacs-endpoints/{id}/test', '/api/health']));
    expect(document.components.schemas.CreatePacsEndpointDto.properties.secret.writeOnly).toBe(true);
  });

  it('serves an HTML page at / and falls back to it for client-side routes, but not for unknown API paths', async () => {
    const root = await fetch(`${server.baseUrl}/`, { headers: { accept: 'text/html' } });
    expect(root.status).toBe(200);
    expect(await root.text()).toMatch(/<html/i);
    const deep = await fetch(`${server.baseUrl}/viewer/anything`, { headers: { accept: 'text/html' } });
    expect(deep.status).toBe(200);
    const api = await server.request('/api/no-such-route');
    expect(api.status).toBe(404);
  });
});
