/**
 * Who asked for a job decides its place in the queue: a job a user started goes ahead of the study
 * watcher's backlog (issue 8 §3, Priority).
 */
export type JobPriority = 'user' | 'watcher';

/** What the queue needs to know of a job; the job itself lives in the database. */
export interface QueuedJob {
  id: string;
  pacsEndpointId: string;
  studyInstanceUID: string;
}

/**
 * The queue port: how the job service hands a queued job (already stored) to whichever worker will run
 * it. Two adapters: in-process (embedded mode, the database is the queue) and BullMQ on Redis (scaled
 * mode). Enqueueing is idempotent per job id, so a retry or the reconciler may hand the same job twice.
 */
export interface JobQueuePort {
  enqueue(job: QueuedJob, priority: JobPriority): Promise<void>;
  /** Jobs ahead of this one (0: next to run); undefined when it is not waiting (running, finished or unknown). */
  position(jobId: string): Promise<number | undefined>;
  /** Processes that run jobs right now (1 in embedded mode); at least 1 for an ETA. */
  workerCount(): Promise<number>;
}

/** What the consumer asks of the job code: run one job by id, under a signal the consumer may abort. */
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
}

/** Injection token of the {@link JobQueuePort} this process uses. */
export const JOB_QUEUE = Symbol('JOB_QUEUE');
