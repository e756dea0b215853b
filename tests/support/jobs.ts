import { TestServer } from './server';

/** A socket the server closed as the poll reused it (keep-alive race after a long synchronous job step). */
const isConnectionReset = (error: unknown) => error instanceof TypeError && (error.cause as { code?: string } | undefined)?.code === 'ECONNRESET';

/**
 * Polls GET /api/jobs/:id until the job leaves queued/running; returns the final job (any-typed for tests).
 * A GET that meets a reset connection is asked again: with the server in-process, a job step that keeps
 * the event loop busy for seconds lets the server's keep-alive timer close the socket the next poll reuses.
 */
export async function waitForJob(server: TestServer, id: string, timeoutMs = 110_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await server.json<any>(`/api/jobs/${id}`).catch((error: unknown) => {
      if (isConnectionReset(error)) return { status: 'running', stage: 'unknown (connection reset, polling again)' };
      throw error;
    });
    if (job.status !== 'queued' && job.status !== 'running') return job;
    if (Date.now() > deadline) throw new Error(`Job ${id} still ${job.status} (stage ${job.stage}) after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
