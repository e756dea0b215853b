import { JobRepository } from '../repositories/job.repository';
import { JobPriority, JobQueuePort, QueuedJob } from './job-queue.port';

/**
 * The queue port in embedded mode: the database is the queue (the worker claims the oldest queued job),
 * so enqueueing only wakes the in-process worker. Priority is not applied here: one process, one queue.
 */
export class InProcessJobQueue implements JobQueuePort {
  constructor(
    private readonly wake: () => void,
    private readonly jobs: JobRepository,
  ) {}

  async enqueue(_job: QueuedJob, _priority: JobPriority): Promise<void> {
    this.wake();
  }

  async position(jobId: string): Promise<number | undefined> {
    return this.jobs.queuedAhead(jobId);
  }

  async workerCount(): Promise<number> {
    return 1;
  }
}
