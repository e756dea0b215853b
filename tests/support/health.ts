import type { TestServer } from './server';

interface PacsReachability {
  id: string;
  name: string;
  baseUrl: string | null;
  reachable: boolean | null;
  latencyMs?: number;
  error?: string;
  checkedAt: string | null;
  ageMs: number | null;
}

/** The admin view of /api/health (the test server's requests carry the bootstrap admin token). */
export interface AdminHealth {
  status: 'ok' | 'degraded';
  pacsCheckedAt: string | null;
  pacsEndpoints: PacsReachability[];
  model: { name: string; version: string; trained: boolean; provider: string; deviceUID: string; path: string } | null;
  jobs: { queued: number; running: number };
  dicom?: { aeTitle: string; host: string; port: number; listening: boolean };
}

/**
 * /api/health answers from the background probes' cache; this polls it (as an admin) until every
 * enabled endpoint has been probed at least once, and returns that answer.
 */
export async function waitForPacsProbes(server: Pick<TestServer, 'json'>, timeoutMs = 30_000): Promise<AdminHealth> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const health = await server.json<AdminHealth>('/api/health');
    if (health.pacsEndpoints.every((endpoint) => endpoint.checkedAt !== null)) return health;
    if (Date.now() > deadline) throw new Error(`PACS endpoints not probed within ${timeoutMs} ms: ${JSON.stringify(health.pacsEndpoints)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
