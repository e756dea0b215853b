import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, spawnServerProcess } from '../support/server';

/** GET on `agent`; resolves with the answer's Keep-Alive header and whether the request went over a kept connection. */
function get(baseUrl: string, agent: Agent): Promise<{ status: number; keepAlive: string | undefined; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const sent = request(`${baseUrl}/api/health`, { agent }, (response) => {
      response.resume();
      const keepAlive = response.headers['keep-alive'];
      response.on('end', () => resolve({ status: response.statusCode ?? 0, keepAlive: Array.isArray(keepAlive) ? keepAlive.join(', ') : keepAlive, reused: sent.reusedSocket }));
    });
    sent.on('error', reject);
    sent.end();
  });
}

const idle = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The built server as a real process (main.ts and configureApp as in production; the in-process test server
// keeps connections 10 minutes for its own reasons).
describe('idle keep-alive connections (HTTP_KEEP_ALIVE_MS)', () => {
  let server: ServerProcess;
  let short: ServerProcess;
  beforeAll(async () => {
    [server, short] = await Promise.all([spawnServerProcess(), spawnServerProcess({ env: { HTTP_KEEP_ALIVE_MS: '1000' } })]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([server?.stop(), short?.stop()]);
  });

  it('keeps a browser\'s idle connection past Node\'s own 5 s, so its next request needs no new connection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(server.baseUrl, agent);
      expect(first).toEqual({ status: 200, keepAlive: 'timeout=65', reused: false });
      await idle(6_000);
      const second = await get(server.baseUrl, agent);
      expect(second.reused).toBe(true);
      expect(second.status).toBe(200);
    } finally {
      agent.destroy();
    }
  }, 30_000);

  it('closes an idle connection after HTTP_KEEP_ALIVE_MS', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect(await get(short.baseUrl, agent)).toEqual({ status: 200, keepAlive: 'timeout=1', reused: false });
      await idle(3_000);
      // The server closed it: the agent dropped it and opened a new one.
      expect((await get(short.baseUrl, agent)).reused).toBe(false);
    } finally {
      agent.destroy();
    }
  }, 30_000);
});
