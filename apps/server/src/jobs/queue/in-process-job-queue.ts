import { Injectable } from '@nestjs/common';
import { JobWorker } from '../pipeline/job-worker';
import type { JobQueue } from './job-queue';

/**
 * The embedded JobQueue: the database is the queue and this process's JobWorker claims from it, so
 * enqueueing only wakes the worker (it also polls every JOB_POLL_MS, which picks up anything missed).
 */
@Injectable()
export class InProcessJobQueue implements JobQueue {
  constructor(private readonly worker: JobWorker) {}

  async enqueue(_jobId: string): Promise<void> {
    void this.worker.wake();
  }

  async cancel(jobId: string): Promise<void> {
    this.worker.cancel(jobId);
  }
}
