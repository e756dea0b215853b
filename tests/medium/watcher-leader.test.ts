import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrthancInstance } from '../support/orthanc';
import { PostgresInstance } from '../support/postgres';
import { RedisInstance } from '../support/redis';
import { FAST_QUEUE_ENV } from '../support/scaled-cluster';
import { ServerProcess, spawnServerProcess } from '../support/server';

/** One metric's value from a server's /metrics (0 when absent), optionally for one label set. */
async function metric(server: ServerProcess, name: string, labels = ''): Promise<number> {
  const text = await (await server.request('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Two API processes of one scaled deployment (real Postgres, Redis and Orthanc, real server processes):
 * the study watcher polls from exactly one of them, and the other takes over when it dies.
 */
describe('the study watcher in scaled mode', () => {
  let orthanc: OrthancInstance;
  let redis: RedisInstance;
  let postgres: PostgresInstance;
  const apis: ServerProcess[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    [orthanc, redis, postgres] = await Promise.all([OrthancInstance.start(), RedisInstance.start(), PostgresInstance.start()]);
    const env = { ...FAST_QUEUE_ENV, REDIS_URL: redis.url, DATABASE_URL: await postgres.createDatabase(), COVSEG_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'), ROLE: 'api' };
    for (let i = 0; i < 2; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), `covseg-leader-${i}-`));
      dirs.push(dataDir);
      apis.push(await spawnServerProcess({ dicomwebUrl: orthanc.dicomwebUrl, dataDir, env }));
    }
  }, 300_000);
  afterAll(async () => {
    await Promise.allSettled(apis.map((api) => api.stop()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    redis?.destroy();
    postgres?.destroy();
    orthanc?.destroy();
  });

  it('refuses a token revoked through one API process at once there, and on the other once AUTH_TOKEN_CACHE_MS has passed', async () => {
    const [a, b] = apis;
    const created = await a.json<{ token: string; id: string }>('/api/auth/tokens', { method: 'POST', body: JSON.stringify({ role: 'user', label: 'revoked across processes' }) });
    const me = async (api: ServerProcess) => (await fetch(`${api.baseUrl}/api/auth/me`, { headers: { authorization: `Bearer ${created.token}` } })).status;
    // Now held in both processes' memory.
    expect(await me(a)).toBe(200);
    expect(await me(b)).toBe(200);
    expect((await a.request(`/api/auth/tokens/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await me(a)).toBe(401);
    // The other process reads the database again once its 2 s bound has passed (not a timing assertion: it must end refused).
    await until('the other API process to refuse the revoked token', async () => ((await me(b)) === 401 ? true : undefined), 30_000);
  });

  it('polls from one API process only, and another takes over within seconds when it is killed', async () => {
    const [a, b] = apis;
    // Both registered the same endpoint (the second found the first's).
    expect(b.pacsEndpointId).toBe(a.pacsEndpointId);
    const endpoint = a.pacsEndpointId!;
    await a.json(`/api/pacs-endpoints/${endpoint}/watcher`, { method: 'PUT', body: JSON.stringify({ enabled: true, pollSeconds: 1 }) });
    const polls = (s: ServerProcess) => metric(s, 'covseg_watcher_polls_total', `endpoint="${endpoint}"`);

    // Several polls (pollSeconds 1), all from the one leader.
    await until('three polls', async () => ((await polls(a)) + (await polls(b)) >= 3 ? true : undefined));
    const leaders = [await metric(a, 'covseg_watcher_leader'), await metric(b, 'covseg_watcher_leader')];
    expect(leaders.sort()).toEqual([0, 1]);
    const [leader, follower] = (await metric(a, 'covseg_watcher_leader')) === 1 ? [a, b] : [b, a];
    expect(await polls(follower)).toBe(0);
    expect(await polls(leader)).toBeGreaterThanOrEqual(3);
    // Still only one after a few more seconds (the follower keeps trying, and keeps failing to lead).
    await new Promise((r) => setTimeout(r, 3000));
    expect(await polls(follower)).toBe(0);

    // kill -9: no shutdown hook hands the lead over; Postgres frees the lock with the dead connection.
    await leader.kill();
    await until('the follower to lead', async () => ((await metric(follower, 'covseg_watcher_leader')) === 1 ? true : undefined), 30_000);
    await until('the new leader to poll', async () => ((await polls(follower)) >= 2 ? true : undefined), 30_000);
    // The watcher's state lives in Postgres: the new leader carries on from it (a successful poll recorded).
    const watcher = await follower.json<{ enabled: boolean; lastPollAt: string | null; lastError: string | null }>(`/api/pacs-endpoints/${endpoint}/watcher`);
    expect(watcher.enabled).toBe(true);
    expect(watcher.lastPollAt).not.toBeNull();
  });
});
