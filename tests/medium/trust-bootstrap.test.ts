import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/orthanc';
import { ServerProcess, spawnServerProcess } from '../support/server';

const SECRET = 'Kx7-bootstrap-run-secret-41d9';

describe('a fresh install started as a real process', () => {
  let dataDir: string;
  let server: ServerProcess | undefined;
  let adminToken = '';
  const asAdmin = (path: string, init: RequestInit = {}) =>
    fetch(`${server!.baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) } });

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'covseg-bootstrap-'));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints a generated admin token once to stderr, and that token works', async () => {
    // An empty variable counts as unset: the server must generate its own token.
    server = await spawnServerProcess({ dataDir, env: { COVSEG_BOOTSTRAP_ADMIN_TOKEN: '' } });
    const match = /COVSEG_ADMIN_TOKEN=([A-Za-z0-9_-]{43})/.exec(server.output());
    expect(match, server.output().slice(-2000)).not.toBeNull();
    adminToken = match![1];
    expect(server.output().match(/COVSEG_ADMIN_TOKEN=/g)).toHaveLength(1);
    expect(await (await asAdmin('/api/auth/me')).json()).toMatchObject({ role: 'admin' });
  });

  it('creates the secret key file with mode 0600 and never stores the token itself', () => {
    expect(statSync(join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
    for (const file of ['covseg.sqlite', 'covseg.sqlite-wal']) {
      const path = join(dataDir, file);
      const bytes = (() => {
        try {
          return readFileSync(path);
        } catch {
          return Buffer.alloc(0);
        }
      })();
      expect(bytes.includes(adminToken), file).toBe(false);
    }
  });

  it('keeps an endpoint secret out of everything the process writes, even on failing PACS calls', async () => {
    const created = await asAdmin('/api/pacs-endpoints', {
      method: 'POST',
      body: JSON.stringify({ name: 'remote', baseUrl: `http://127.0.0.1:${await freePort()}/dicom-web`, authType: 'bearer', secret: SECRET, timeoutMs: 300 }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await (await asAdmin(`/api/pacs-endpoints/${id}/test`, { method: 'POST' })).text();
    const job = await asAdmin('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: id, studyInstanceUID: '1.2.3' }) });
    expect(job.status).toBe(202);
    await new Promise((r) => setTimeout(r, 3000));
    expect(server!.output()).not.toContain(SECRET);
    expect(readFileSync(join(dataDir, 'covseg.sqlite')).includes(SECRET)).toBe(false);
  });

  it('does not print a new token on the next boot, and the first one still works', async () => {
    await server!.stop();
    server = await spawnServerProcess({ dataDir, env: { COVSEG_BOOTSTRAP_ADMIN_TOKEN: '' } });
    expect(server.output()).not.toContain('COVSEG_ADMIN_TOKEN=');
    expect((await asAdmin('/api/auth/me')).status).toBe(200);
  });
});
