import { Injectable } from '@nestjs/common';
import { JobWorker } from '../pipeline/job-worker';
import { JobRepository } from '../repositories/job.repository';
import type { JobQueue } from './job-queue';

/**
 * The embedded JobQueue: the database is the queue and this process's JobWorker claims from it (oldest
 * first; priority is not applied: one process, one queue), so enqueueing only wakes the worker (it also
 * polls every JOB_POLL_MS, which picks up anything missed).
 */
@Injectable()
export class InProcessJobQueue implements JobQueue {
  constructor(
    private readonly worker: JobWorker,
    private readonly jobs: JobRepository,
  ) {}

  async enqueue(_jobId: string): Promise<void> {
    void this.worker.wake();
  }

  async cancel(jobId: string): Promise<void> {
    this.worker.cancel(jobId);
  }

  async position(jobId: string): Promise<number | undefined> {
    return this.jobs.queuedAhead(jobId);
  }

  async workerCount(): Promise<number> {
    return 1;
  }
}
