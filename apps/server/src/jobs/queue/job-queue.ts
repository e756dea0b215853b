/**
 * The job queue port: how the API side hands a job to whoever runs it. The job's row (status `queued`)
 * is the truth; the queue only says "there is work". Adapters: `InProcessJobQueue` (the embedded
 * default, drives this process's JobWorker) and `BullmqJobQueue` (scaled mode, REDIS_URL: BullMQ on
 * Redis, run by ROLE=worker processes), chosen in jobs.module.ts. JobService, the watcher and DIMSE
 * reception do not know which. Enqueueing is idempotent per job id.
 */
export interface JobQueue {
  /** Hands over a job whose row is already `queued`. Resolves once the queue holds it (not when it ran). */
  enqueue(jobId: string, options?: EnqueueOptions): Promise<void>;
  /** Asks the process running the job to abort it at its next checkpoint; no effect if nobody runs it. */
  cancel(jobId: string): Promise<void>;
  /** Jobs ahead of this one (0: next to run); undefined when it is not waiting (running, finished or unknown). */
  position(jobId: string): Promise<number | undefined>;
  /** Processes taking jobs now (1 in embedded mode), for an ETA. */
  workerCount(): Promise<number>;
}

/**
 * Who asked for a job decides its place in the queue: a job a user started (`user`, the default) goes
 * ahead of the study watcher's backlog (`watcher`) and of jobs the system requeues (`system`).
 */
export type JobPriority = 'user' | 'watcher' | 'system';

export interface EnqueueOptions {
  priority?: JobPriority;
}

/** What a queue worker asks of the job code: run one job by id, under a signal the worker may abort. */
export interface QueueJobRunner {
  /**
   * Claims the job in the database and runs it to a recorded outcome (succeeded, failed, cancelled).
   * Resolves false when the job was not runnable (gone, cancelled, finished by an earlier attempt).
   * Throws only when the outcome could not be recorded (database away) or the worker is shutting down;
   * the queue then retries the job later, on this worker or another.
   */
  runById(jobId: string, signal: AbortSignal): Promise<boolean>;
  /** Called when BullMQ gave up on a job (it stalled or threw too often): record why, if still active. */
  recordLost(jobId: string, reason: string): Promise<void>;
  /** True when `error` says the state store is unreachable: the worker then pauses instead of failing jobs. */
  isStoreUnavailable(error: unknown): boolean;
  /** Resolves when the state store answers again; rejects while it does not. */
  probeStore(): Promise<void>;
}

/** Injection token of the JobQueue port (`@Inject(JOB_QUEUE) queue: JobQueue`). */
export const JOB_QUEUE = Symbol('JOB_QUEUE');
