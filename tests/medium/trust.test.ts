import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/orthanc';
import { TEST_ADMIN_TOKEN, TestServer, startTestServer } from '../support/server';
import { captureOutput, fillPath } from './trust-support';

// Routes anyone may call (the issue: health, the login page and login-link redemption).
const PUBLIC_ROUTES = new Set(['GET /api/health', 'GET /login', 'POST /api/auth/login-links/{code}/redeem']);
// Routes only an admin may call. Every other route needs any valid token.
const ADMIN_ROUTES = [
  'POST /api/pacs-endpoints',
  'PATCH /api/pacs-endpoints/{id}',
  'DELETE /api/pacs-endpoints/{id}',
  'POST /api/pacs-endpoints/{id}/test',
  'POST /api/auth/tokens',
  'GET /api/auth/tokens',
  'DELETE /api/auth/tokens/{id}',
  'POST /api/auth/login-links',
  'GET /api/audit',
  'GET /api/outbox',
  'POST /api/outbox/{id}/redeliver',
];
const SECRET = 'Zq9-unique-pacs-secret-7f3a1c';

describe('authentication, roles, audit and secrets at rest', () => {
  let server: TestServer;
  let userToken: string;
  let routes: string[];
  const output = captureOutput();

  const call = (route: string, token?: string, body?: unknown) => {
    const [method, path] = route.split(' ');
    return fetch(`${server.baseUrl}${fillPath(path)}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  };

  beforeAll(async () => {
    server = await startTestServer();
    userToken = (await server.json<{ token: string }>('/api/auth/tokens', { method: 'POST', body: JSON.stringify({ role: 'user', label: 'medium test user' }) })).token;
    const doc = await server.json<{ paths: Record<string, Record<string, unknown>> }>('/api/docs-json');
    routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\/$/, '') || '/'}`));
  });
  afterAll(async () => {
    output.restore();
    await server?.stop();
  });

  it('lists every admin route in the OpenAPI document, so the lists below cannot go stale silently', () => {
    for (const route of ADMIN_ROUTES) expect(routes).toContain(route);
    expect(routes.length).toBeGreaterThan(ADMIN_ROUTES.length);
  });

  it('refuses anonymous callers on every route except health, login and redemption', async () => {
    for (const route of routes.filter((r) => !PUBLIC_ROUTES.has(r))) {
      const response = await call(route);
      expect(response.status, route).toBe(401);
    }
    expect((await call('GET /api/health')).status).toBe(200);
  });

  it('refuses an unknown, a malformed and a query-string token', async () => {
    expect((await call('GET /api/auth/me', 'x'.repeat(43))).status).toBe(401);
    const malformed = await fetch(`${server.baseUrl}/api/auth/me`, { headers: { authorization: `Basic ${TEST_ADMIN_TOKEN}` } });
    expect(malformed.status).toBe(401);
    expect((await fetch(`${server.baseUrl}/api/auth/me?access_token=${TEST_ADMIN_TOKEN}`)).status).toBe(401);
  });

  it('refuses user tokens on every admin route with 403', async () => {
    for (const route of ADMIN_ROUTES) {
      const response = await call(route, userToken, route.startsWith('POST') || route.startsWith('PATCH') ? {} : undefined);
      expect(response.status, route).toBe(403);
    }
  });

  it('tells a caller who they are', async () => {
    expect(await (await call('GET /api/auth/me', userToken)).json()).toMatchObject({ kind: 'token', role: 'user' });
    expect(await (await call('GET /api/auth/me', TEST_ADMIN_TOKEN)).json()).toMatchObject({ kind: 'token', role: 'admin' });
  });

  it('revokes a token so it stops working at once', async () => {
    const created = await server.json<{ token: string; id: string }>('/api/auth/tokens', { method: 'POST', body: JSON.stringify({ role: 'user', label: 'short-lived' }) });
    expect((await call('GET /api/auth/me', created.token)).status).toBe(200);
    expect((await server.request(`/api/auth/tokens/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call('GET /api/auth/me', created.token)).status).toBe(401);
  });

  it('validates token requests: unknown roles and extra fields are 400', async () => {
    expect((await server.request('/api/auth/tokens', { method: 'POST', body: JSON.stringify({ role: 'root', label: 'x' }) })).status).toBe(400);
    expect((await server.request('/api/auth/tokens', { method: 'POST', body: JSON.stringify({ role: 'user', label: 'x', isAdmin: true }) })).status).toBe(400);
  });

  it('exchanges a login link once for a session of the requested role', async () => {
    const link = await server.json<{ url: string }>('/api/auth/login-links', { method: 'POST', body: JSON.stringify({ role: 'user', next: '/?study=1.2.3' }) });
    const url = new URL(link.url);
    expect(url.pathname).toBe('/login');
    const page = await fetch(`${server.baseUrl}/login${url.search}`, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('covseg.token');
    const code = url.searchParams.get('code')!;
    const redeem = () => fetch(`${server.baseUrl}/api/auth/login-links/${code}/redeem`, { method: 'POST' });
    const first = await redeem();
    expect(first.status).toBe(200);
    const session = (await first.json()) as { token: string; role: string; next: string; expiresAt: string };
    expect(session).toMatchObject({ role: 'user', next: '/?study=1.2.3' });
    expect(Date.parse(session.expiresAt)).toBeGreaterThan(Date.now());
    expect(await (await call('GET /api/auth/me', session.token)).json()).toMatchObject({ role: 'user' });
    expect((await call('POST /api/auth/tokens', session.token, { role: 'admin', label: 'escalate' })).status).toBe(403);
    expect((await redeem()).status).toBe(410);
  });

  it('refuses a login link that points to another origin, and a malformed code', async () => {
    const response = await server.request('/api/auth/login-links', { method: 'POST', body: JSON.stringify({ role: 'user', next: '//evil.example/' }) });
    expect(response.status).toBe(400);
    expect((await fetch(`${server.baseUrl}/api/auth/login-links/..%2F..%2Fetc/redeem`, { method: 'POST' })).status).toBe(400);
    expect((await fetch(`${server.baseUrl}/api/auth/login-links/${'A'.repeat(43)}/redeem`, { method: 'POST' })).status).toBe(410);
  });

  it('keeps PACS secrets out of responses, logs, audit entries and the database file', async () => {
    const deadPort = await freePort();
    const created = await server.json<{ id: string }>('/api/pacs-endpoints', {
      method: 'POST',
      body: JSON.stringify({ name: 'guarded', baseUrl: `http://127.0.0.1:${deadPort}/dicom-web`, authType: 'basic', username: 'svc', secret: SECRET, timeoutMs: 500 }),
    });
    const bodies: string[] = [];
    const keep = async (response: Response) => bodies.push(`${response.status} ${await response.text()}`);
    await keep(await server.request(`/api/pacs-endpoints/${created.id}`, { method: 'PATCH', body: JSON.stringify({ secret: `${SECRET}-2` }) }));
    // A PACS that refuses the connection: error paths must not print the Authorization header either.
    await keep(await server.request(`/api/pacs-endpoints/${created.id}/test`, { method: 'POST' }));
    // Credentials smuggled into the URL are refused without being echoed.
    await keep(await server.request(`/api/pacs-endpoints/${created.id}`, { method: 'PATCH', body: JSON.stringify({ baseUrl: `http://svc:${SECRET}@127.0.0.1/dicom-web` }) }));
    await keep(await server.request('/api/pacs-endpoints'));
    await keep(await server.request(`/api/pacs-endpoints/${created.id}`));
    await keep(await server.request('/api/audit?limit=1000'));
    expect(bodies[2]).toMatch(/^400 .*credentials/);
    for (const body of bodies) expect(body).not.toContain(SECRET);
    expect(output.text()).not.toContain(SECRET);
    expect(output.text()).not.toContain(Buffer.from(`svc:${SECRET}`).toString('base64'));
    for (const file of readdirSync(server.dataDir).filter((f) => f.startsWith('covseg.sqlite'))) {
      expect(readFileSync(join(server.dataDir, file)).includes(SECRET), file).toBe(false);
    }
  });

  it('audits who changed which endpoint, and who started and cancelled which job, with no secret', async () => {
    const endpoint = (await server.json<Array<{ id: string; name: string }>>('/api/pacs-endpoints')).find((e) => e.name === 'guarded')!;
    const job = await server.json<{ id: string }>('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: endpoint.id, studyInstanceUID: '1.2.3' }), expectStatus: 202 });
    await server.json(`/api/jobs/${job.id}/cancel`, { method: 'POST' });
    const audit = await server.json<Array<{ actor: string; action: string; target: string; details: Record<string, unknown> }>>('/api/audit');
    const update = audit.find((e) => e.action === 'pacs-endpoint.update' && (e.details.fields as string[]).includes('secret'));
    expect(update).toBeDefined();
    expect(update!.details.secret).toBe('[redacted]');
    expect(update!.actor).toMatch(/^token:[0-9a-f]{16}$/);
    expect(update!.target).toMatch(/^pacs-endpoint:[0-9a-f-]{36}$/);
    expect(audit.some((e) => e.action === 'token.create')).toBe(true);
    expect(audit.some((e) => e.action === 'login-link.redeem')).toBe(true);
    expect(audit.find((e) => e.action === 'job.create')).toMatchObject({ target: `job:${job.id}`, details: { pacsEndpointId: endpoint.id, studyInstanceUID: '1.2.3' } });
    expect(audit.find((e) => e.action === 'job.cancel')).toMatchObject({ target: `job:${job.id}` });
  });

  it('serves Prometheus metrics to authenticated callers only', async () => {
    expect((await call('GET /metrics')).status).toBe(401);
    const response = await call('GET /metrics', userToken);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain('# TYPE covseg_jobs_total counter');
    expect(text).toContain('# TYPE covseg_job_stage_duration_seconds histogram');
    expect(text).toMatch(/covseg_http_requests_total\{method="GET",status="4xx"\} [1-9]/);
  });
});
