/**
 * The job queue port: how the API side hands a job to whoever runs it. The job's row (status `queued`)
 * is the truth; the queue only says "there is work". Adapters: `InProcessJobQueue` (the embedded
 * default, drives this process's JobWorker); a Redis-backed adapter may replace it for scaled mode
 * without any change to JobService, the watcher or DIMSE reception.
 */
export interface JobQueue {
  /** Hands over a job whose row is already `queued`. Resolves once the queue holds it (not when it ran). */
  enqueue(jobId: string): Promise<void>;
  /** Asks the process running the job to abort it at its next checkpoint; no effect if nobody runs it. */
  cancel(jobId: string): Promise<void>;
}

/** Injection token of the JobQueue port (`@Inject(JOB_QUEUE) queue: JobQueue`). */
export const JOB_QUEUE = Symbol('JOB_QUEUE');
