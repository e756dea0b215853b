import { TestServer } from './server';

/** Polls GET /api/jobs/:id until the job leaves queued/running; returns the final job (any-typed for tests). */
export async function waitForJob(server: TestServer, id: string, timeoutMs = 110_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await server.json<any>(`/api/jobs/${id}`);
    if (job.status !== 'queued' && job.status !== 'running') return job;
    if (Date.now() > deadline) throw new Error(`Job ${id} still ${job.status} (stage ${job.stage}) after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
